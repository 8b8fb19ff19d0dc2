// @ts-check
/** The Manage Roles dialog of System Console > Users (`PUT /users/{id}/roles`). */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from './api.js';
import { Dialog } from './dialog.js';
import { ErrorAlert } from './error-alert.js';
import { fullName } from './model.js';

/** @typedef {import('./model.js').User} User */

/**
 * Manage Roles, with Mattermost's rule for the roles string: `system_user`, plus `system_admin`,
 * or `system_user_access_token` and then `system_post_all` or `system_post_all_public`.
 * @param {{ user: User, tokensEnabled: boolean, onClose: () => void, onSaved: () => Promise<void> }} props
 */
export function ManageRoles({ user, tokensEnabled, onClose, onSaved }) {
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
