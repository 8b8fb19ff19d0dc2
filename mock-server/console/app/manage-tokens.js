// @ts-check
/** The Manage Tokens dialog of System Console > Users: a user's tokens (`GET /users/{id}/tokens`) and Delete (`POST /users/tokens/revoke`). */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { Dialog } from './dialog.js';
import { ErrorAlert } from './error-alert.js';
import { fullName } from './model.js';
import { TokenSummary } from './token-summary.js';

/** @typedef {import('./model.js').User} User @typedef {import('./model.js').Token} Token */

/**
 * Manage Personal Access Tokens of one user: the list, and Delete.
 * @param {{ user: User, onClose: () => void }} props
 */
export function ManageTokens({ user, onClose }) {
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
