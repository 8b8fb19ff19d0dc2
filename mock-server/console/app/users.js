// @ts-check
/**
 * System Console > User Management > Users: search, each user's roles and status, and a menu per
 * user with Manage Roles (`PUT /users/{id}/roles`), Manage Tokens (`GET /users/{id}/tokens`,
 * Delete = `POST /users/tokens/revoke`) and Deactivate (confirmed) / Activate (`PUT
 * /users/{id}/active`).
 *
 * Listing and search use Mattermost's `GET /users` and `POST /users/search`. A term that is a
 * token id finds the token's owner (`GET /users/tokens/{id}`), as Mattermost's user search does.
 * On a server without the list/search routes, the search falls back to the exact username
 * (`GET /users/username/{name}`) and says so.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, isMissingRoute } from './api.js';
import { isSystemAdmin, TokenSummary } from './tokens.js';
import { ConfirmDialog, Dialog, ErrorAlert, MenuButton } from './widgets.js';

/** @typedef {import('./tokens.js').User} User @typedef {import('./tokens.js').Token} Token */

const ID = /^[a-z0-9]{26}$/;

/** @param {User} u */
const fullName = (u) => [u.first_name, u.last_name].filter((s) => s !== undefined && s !== '').join(' ');

/**
 * Find users for a search term ('' = everyone).
 * @param {string} term
 * @returns {Promise<{ users: User[], note: string }>}
 */
async function findUsers(term) {
  if (term === '') {
    try {
      return { users: await api('GET', '/users?page=0&per_page=200'), note: '' };
    } catch (err) {
      if (!isMissingRoute(err)) throw err;
      return { users: [], note: 'This server has no user list (GET /api/v4/users): search by exact username or token id.' };
    }
  }
  if (ID.test(term)) {
    try {
      /** @type {Token} */
      const token = await api('GET', `/users/tokens/${term}`);
      return { users: [await api('GET', `/users/${token.user_id}`)], note: `Owner of token ${term}.` };
    } catch (err) {
      if (!(err instanceof ApiError) || (err.status !== 404 && err.status !== 400)) throw err;
    }
  }
  try {
    return { users: await api('POST', '/users/search', { term, allow_inactive: true, limit: 100 }), note: '' };
  } catch (err) {
    if (!isMissingRoute(err)) throw err;
  }
  try {
    return { users: [await api('GET', `/users/username/${encodeURIComponent(term)}`)], note: 'Exact username match (this server has no POST /api/v4/users/search).' };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 400)) return { users: [], note: 'Exact username match (this server has no POST /api/v4/users/search).' };
    throw err;
  }
}

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

/**
 * Manage Roles, with Mattermost's rule for the roles string: `system_user`, plus `system_admin`,
 * or `system_user_access_token` and then `system_post_all` or `system_post_all_public`.
 * @param {{ user: User, tokensEnabled: boolean, onClose: () => void, onSaved: () => Promise<void> }} props
 */
function ManageRoles({ user, tokensEnabled, onClose, onSaved }) {
  const roles = user.roles.split(' ');
  const [admin, setAdmin] = useState(roles.includes('system_admin'));
  const [tokens, setTokens] = useState(roles.includes('system_user_access_token'));
  const [postAll, setPostAll] = useState(roles.includes('system_post_all'));
  const [postChannels, setPostChannels] = useState(roles.includes('system_post_all_public'));
  const [error, setError] = useState(/** @type {unknown} */ (undefined));

  const save = async () => {
    let next = 'system_user';
    if (admin) next += ' system_admin';
    else if (tokens) {
      next += ' system_user_access_token';
      if (postAll) next += ' system_post_all';
      else if (postChannels) next += ' system_post_all_public';
    }
    setError(undefined);
    try {
      await api('PUT', `/users/${user.id}/roles`, { roles: next });
      await onSaved();
      onClose();
    } catch (err) {
      setError(err);
    }
  };
  /** @param {(v: boolean) => void} set */
  const onCheck = (set) => (/** @type {Event} */ e) => set(/** @type {HTMLInputElement} */ (e.currentTarget).checked);
  const extra = tokens || admin;
  return html`
    <${Dialog} title="Manage Roles" onClose=${onClose} footer=${html`
      <button type="button" onClick=${onClose}>Cancel</button>
      <button type="button" class="primary" onClick=${save}>Save</button>`}>
      <p><strong>@${user.username}</strong> ${fullName(user)}</p>
      <fieldset>
        <legend>Role</legend>
        <label><input type="radio" name="system-role" checked=${admin} onChange=${() => setAdmin(true)} /> System Admin</label>
        <label><input type="radio" name="system-role" checked=${!admin} onChange=${() => setAdmin(false)} /> Member</label>
      </fieldset>
      ${tokensEnabled ? null : html`<p class="alert warning">Personal access tokens are disabled: System Console > Integrations > Integration Management.</p>`}
      <label class="check"><input type="checkbox" checked=${tokens || admin} disabled=${admin} onChange=${onCheck(setTokens)} />
        Allow this account to generate personal access tokens.</label>
      <p class="help">Removing this permission doesn't delete existing tokens. To delete them, go to the user's Manage Tokens menu.</p>
      <fieldset disabled=${!extra}>
        <legend>Select additional permissions for the account.</legend>
        <label class="check"><input type="checkbox" checked=${postAll || admin} disabled=${admin} onChange=${onCheck(setPostAll)} />
          <strong>post:all</strong> Access to post to all Mattermost channels including direct messages.</label>
        <label class="check"><input type="checkbox" checked=${postChannels || postAll || admin} disabled=${postAll || admin} onChange=${onCheck(setPostChannels)} />
          <strong>post:channels</strong> Access to post to all Mattermost public channels.</label>
      </fieldset>
      <${ErrorAlert} error=${error} />
    <//>`;
}

/**
 * Manage Personal Access Tokens of one user: the list, and Delete.
 * @param {{ user: User, onClose: () => void }} props
 */
function ManageTokens({ user, onClose }) {
  const [tokens, setTokens] = useState(/** @type {Token[] | undefined} */ (undefined));
  const [error, setError] = useState(/** @type {unknown} */ (undefined));
  const load = async () => {
    try {
      setTokens(await api('GET', `/users/${user.id}/tokens?page=0&per_page=200`));
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => { void load(); }, [user.id]);
  /** @param {Token} token */
  const remove = async (token) => {
    setError(undefined);
    try {
      await api('POST', '/users/tokens/revoke', { token_id: token.id });
    } catch (err) {
      setError(err);
    }
    await load();
  };
  return html`
    <${Dialog} title="Manage Personal Access Tokens" onClose=${onClose} footer=${html`<button type="button" onClick=${onClose}>Close</button>`}>
      <p><strong>@${user.username}</strong> ${fullName(user)}</p>
      <p>Personal access tokens function similarly to session tokens and can be used by integrations to interact with this Mattermost server. Tokens are disabled if the user is deactivated.</p>
      <${ErrorAlert} error=${error} />
      ${tokens === undefined ? html`<p>Loading…</p>` : tokens.length === 0 ? html`<p>No personal access tokens.</p>` : html`
        <ul class="tokens" aria-label=${`Personal access tokens of @${user.username}`}>
          ${tokens.map((token) => html`
            <li key=${token.id}>
              <${TokenSummary} token=${token} />
              <div class="actions"><button type="button" class="danger" onClick=${() => remove(token)}>Delete</button></div>
            </li>`)}
        </ul>`}
    <//>`;
}
