// @ts-check
/** The server's errors in words, in a `role="alert"` region. */
import { html } from 'htm/preact';
import { describeError } from './api.js';

/**
 * The server's error in words, announced to screen readers. Renders nothing without an error.
 * @param {{ error: unknown }} props
 */
export function ErrorAlert({ error }) {
  if (error === undefined || error === null) return null;
  return html`<p class="error" role="alert">${describeError(error)}</p>`;
}

