// @ts-check
/* global navigator */
/**
 * Profile > Security > Personal Access Tokens: the signed-in user's tokens (`GET
 * /users/{id}/tokens`), Create Token (`POST /users/{id}/tokens`; a system admin confirms first,
 * as in Mattermost's webapp), the secret shown once with a Copy button, Deactivate (confirmed) /
 * Activate (`POST /users/tokens/disable|enable`) and Delete (confirmed, `POST
 * /users/tokens/revoke`). The secret lives only in this component's state: leaving the page
 * drops it, and nothing ever shows it again.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { ConfirmDialog } from './dialog.js';
import { ErrorAlert } from './error-alert.js';
import { isSystemAdmin } from './model.js';
import { TokenSummary } from './token-summary.js';

/** @typedef {import('./model.js').Token} Token @typedef {import('./model.js').User} User */


/**
 * The tokens section of Profile > Security.
 * @param {{ me: User }} props
 */
export function PersonalAccessTokens({ me }) {
  const [tokens, setTokens] = useState(/** @type {Token[] | undefined} */ (undefined));
  const [error, setError] = useState(/** @type {unknown} */ (undefined));
  const [creating, setCreating] = useState(false);
  const [description, setDescription] = useState('');
  const [descriptionError, setDescriptionError] = useState('');
  const [created, setCreated] = useState(/** @type {Token | undefined} */ (undefined));
  const [copied, setCopied] = useState('');
  const [confirm, setConfirm] = useState(/** @type {null | { kind: 'create' } | { kind: 'delete' | 'deactivate', token: Token }} */ (null));

  const load = async () => {
    try {
      setTokens(await api('GET', `/users/${me.id}/tokens?page=0&per_page=200`));
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => { void load(); }, [me.id]);

  /** @param {() => Promise<void>} action */
  const run = async (action) => {
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(err);
    }
    await load();
  };

  const create = async () => {
    /** @type {Token} */
    const token = await api('POST', `/users/${me.id}/tokens`, { description: description.trim() });
    setCreated(token);
    setCopied('');
    setCreating(false);
    setDescription('');
  };

  /** @param {Event} e */
  const onSave = (e) => {
    e.preventDefault();
    if (description.trim() === '') {
      setDescriptionError('Please enter a description.');
      return;
    }
    setDescriptionError('');
    if (isSystemAdmin(me.roles)) setConfirm({ kind: 'create' });
    else void run(create);
  };

  const copy = async () => {
    if (created?.token === undefined) return;
    try {
      await navigator.clipboard.writeText(created.token);
      setCopied('Copied to the clipboard.');
    } catch (err) {
      setCopied(`Could not copy: ${err instanceof Error ? err.message : String(err)}. Select the token and copy it by hand.`);
    }
  };

  const listed = (tokens ?? []).filter((t) => t.id !== created?.id);
  return html`
    <section aria-labelledby="pat-title" class="card">
      <h2 id="pat-title">Personal Access Tokens</h2>
      <p>Personal access tokens function similarly to session tokens and can be used by integrations to authenticate against the REST API.</p>
      <${ErrorAlert} error=${error} />
      ${tokens === undefined ? html`<p>Loading…</p>` : listed.length === 0 && created === undefined ? html`<p>No personal access tokens.</p>` : html`
        <ul class="tokens" aria-label="Your personal access tokens">
          ${listed.map((token) => html`
            <li key=${token.id}>
              <${TokenSummary} token=${token} />
              <div class="actions">
                ${token.is_active
                  ? html`<button type="button" onClick=${() => setConfirm({ kind: 'deactivate', token })}>Deactivate</button>`
                  : html`<button type="button" onClick=${() => run(() => api('POST', '/users/tokens/enable', { token_id: token.id }))}>Activate</button>`}
                <button type="button" class="danger" onClick=${() => setConfirm({ kind: 'delete', token })}>Delete</button>
              </div>
            </li>`)}
        </ul>`}
      ${created !== undefined ? html`
        <div class="alert warning" role="region" aria-label="New personal access token">
          <p><strong>Please copy the access token below. You won't be able to see it again!</strong></p>
          <div class="token-line">Token Description: ${created.description}</div>
          <div class="token-line">Token ID: <code>${created.id}</code></div>
          <div class="token-line">Access Token: <code class="secret" aria-label="Access Token">${created.token}</code></div>
          <button type="button" onClick=${copy}>Copy</button>
          <span role="status">${copied}</span>
        </div>` : null}
      ${creating ? html`
        <form class="create-token" onSubmit=${onSave} aria-label="Create New Token">
          <label for="new-token-description">Token Description</label>
          <input id="new-token-description" type="text" maxLength="64" value=${description} autoFocus
            aria-describedby="new-token-help new-token-error"
            onInput=${(/** @type {InputEvent} */ e) => setDescription(/** @type {HTMLInputElement} */ (e.currentTarget).value)} />
          <p id="new-token-help" class="help">Enter a description for your token to remember what it does.</p>
          <p id="new-token-error" class="error">${descriptionError}</p>
          <button type="submit" class="primary">Save</button>
          <button type="button" onClick=${() => { setCreating(false); setDescriptionError(''); }}>Cancel</button>
        </form>` : html`<button type="button" class="primary" onClick=${() => { setCreating(true); setCreated(undefined); }}>Create Token</button>`}
    </section>
    ${confirm?.kind === 'create' ? html`
      <${ConfirmDialog} title="Create System Admin Personal Access Token" confirmLabel="Yes, Create"
        onClose=${() => setConfirm(null)} onConfirm=${async () => { await create(); await load(); }}>
        <p class="alert danger">You are generating a personal access token with System Admin permissions. Are you sure want to create this token?</p>
      <//>` : null}
    ${confirm?.kind === 'delete' ? html`
      <${ConfirmDialog} title="Delete Token?" confirmLabel="Yes, Delete" onClose=${() => setConfirm(null)}
        onConfirm=${async () => { await api('POST', '/users/tokens/revoke', { token_id: confirm.token.id }); await load(); }}>
        <p>Any integrations using this token will no longer be able to access the Mattermost API. You cannot undo this action.</p>
        <p>Are you sure you want to delete the <strong>${confirm.token.description}</strong> token?</p>
      <//>` : null}
    ${confirm?.kind === 'deactivate' ? html`
      <${ConfirmDialog} title="Deactivate Token?" confirmLabel="Yes, Deactivate" onClose=${() => setConfirm(null)}
        onConfirm=${async () => { await api('POST', '/users/tokens/disable', { token_id: confirm.token.id }); await load(); }}>
        <p>Any integrations using this token will not be able to access the Mattermost API until it is activated again.</p>
        <p>Are you sure you want to deactivate the <strong>${confirm.token.description}</strong> token?</p>
      <//>` : null}`;
}
