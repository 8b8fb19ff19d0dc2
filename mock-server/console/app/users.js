// @ts-check
/**
 * System Console > User Management > Users: search, each user's roles and status, and a menu per
 * user with Manage Roles (`PUT /users/{id}/roles`), Manage Tokens (`GET /users/{id}/tokens`,
 * Delete = `POST /users/tokens/revoke`) and Deactivate (confirmed) / Activate (`PUT
 * /users/{id}/active`).
 *
 * Finding users is in user-search.js; the two dialogs in manage-roles.js and manage-tokens.js.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { ConfirmDialog } from './dialog.js';
import { ErrorAlert } from './error-alert.js';
import { ManageRoles } from './manage-roles.js';
import { ManageTokens } from './manage-tokens.js';
import { MenuButton } from './menu-button.js';
import { fullName, isSystemAdmin } from './model.js';
import { findUsers } from './user-search.js';

/** @typedef {import('./model.js').User} User */

/**
 * The Users screen.
 * @param {{ me: User, tokensEnabled: boolean }} props
 */
export function Users({ me, tokensEnabled }) {
  const [term, setTerm] = useState('');
  const [result, setResult] = useState(/** @type {{ users: User[], note: string } | undefined} */ (undefined));
  const [error, setError] = useState(/** @type {unknown} */ (undefined));
  const [dialog, setDialog] = useState(/** @type {null | { kind: 'roles' | 'tokens' | 'deactivate', user: User }} */ (null));

  /** @param {string} t */
  const search = async (t) => {
    setError(undefined);
    try {
      setResult(await findUsers(t.trim()));
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => { void search(''); }, []);

  /** Re-read one user after a change (its roles or delete_at). @param {string} id */
  const refresh = async (id) => {
    /** @type {User} */
    const fresh = await api('GET', `/users/${id}`);
    setResult((r) => (r === undefined ? r : { ...r, users: r.users.map((u) => (u.id === id ? fresh : u)) }));
  };

  /** @param {User} user */
  const activate = async (user) => {
    setError(undefined);
    try {
      await api('PUT', `/users/${user.id}/active`, { active: true });
      await refresh(user.id);
    } catch (err) {
      setError(err);
    }
  };

  return html`
    <section class="card" aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <form role="search" class="search" onSubmit=${(/** @type {Event} */ e) => { e.preventDefault(); void search(term); }}>
        <label for="user-search">Search users</label>
        <input id="user-search" type="search" value=${term} placeholder="Username, name, email or token id"
          onInput=${(/** @type {InputEvent} */ e) => setTerm(/** @type {HTMLInputElement} */ (e.currentTarget).value)} />
        <button type="submit">Search</button>
      </form>
      <${ErrorAlert} error=${error} />
      ${result?.note ? html`<p role="status">${result.note}</p>` : null}
      ${result === undefined ? null : result.users.length === 0 ? html`<p>No users found.</p>` : html`
        <table class="users">
          <caption class="visually-hidden">Users</caption>
          <thead><tr><th scope="col">User</th><th scope="col">Roles</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead>
          <tbody>
            ${result.users.map((user) => {
              const active = (user.delete_at ?? 0) === 0;
              return html`
                <tr key=${user.id}>
                  <th scope="row"><span class="name">@${user.username}</span> ${fullName(user)}<br /><small>${user.email ?? ''}</small></th>
                  <td><span aria-label=${`Roles of @${user.username}`}>${user.roles}</span></td>
                  <td>${active ? 'Active' : 'Deactivated'}</td>
                  <td>
                    <${MenuButton} label=${`Actions for @${user.username}`} text=${isSystemAdmin(user.roles) ? 'System Admin' : 'Member'} items=${[
                      { label: 'Manage Roles', onSelect: () => setDialog({ kind: 'roles', user }) },
                      { label: 'Manage Tokens', onSelect: () => setDialog({ kind: 'tokens', user }) },
                      active
                        ? { label: 'Deactivate', onSelect: () => setDialog({ kind: 'deactivate', user }) }
                        : { label: 'Activate', onSelect: () => void activate(user) },
                    ]} />
                  </td>
                </tr>`;
            })}
          </tbody>
        </table>`}
    </section>
    ${dialog?.kind === 'roles' ? html`<${ManageRoles} user=${dialog.user} tokensEnabled=${tokensEnabled}
      onClose=${() => setDialog(null)} onSaved=${() => refresh(dialog.user.id)} />` : null}
    ${dialog?.kind === 'tokens' ? html`<${ManageTokens} user=${dialog.user} onClose=${() => setDialog(null)} />` : null}
    ${dialog?.kind === 'deactivate' ? html`
      <${ConfirmDialog} title=${`Deactivate @${dialog.user.username}`} confirmLabel="Deactivate" onClose=${() => setDialog(null)}
        onConfirm=${async () => { await api('PUT', `/users/${dialog.user.id}/active`, { active: false }); await refresh(dialog.user.id); }}>
        <p>This action deactivates @${dialog.user.username}. They will be logged out and not have access to any teams or channels on this system${dialog.user.id === me.id ? ', including you' : ''}; their personal access tokens stop working until they are activated again.</p>
        <p>Are you sure you want to deactivate @${dialog.user.username}?</p>
      <//>` : null}`;
}
