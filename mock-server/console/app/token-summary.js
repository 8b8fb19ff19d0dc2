// @ts-check
/** One token's description, id and status, as Mattermost lists them. */
import { html } from 'htm/preact';

/** @typedef {import('./model.js').Token} Token */

/**
 * Description, id and status of a token.
 * @param {{ token: Token }} props
 */
export function TokenSummary({ token }) {
  return html`
    <div class="token-line">Token Description: <strong>${token.description}</strong>
      <span class=${token.is_active ? 'badge active' : 'badge inactive'}>${token.is_active ? 'Active' : 'Inactive'}</span></div>
    <div class="token-line">Token ID: <code>${token.id}</code></div>`;
}
