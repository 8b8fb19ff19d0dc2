// @ts-check
/* global document, window, CustomEvent */
/**
 * The console's only way to the server: Mattermost's REST API v4 on the page's own origin, the
 * way Mattermost's webapp calls it. The session rides in the HttpOnly `MMAUTHTOKEN` cookie set by
 * login; every request sends `X-Requested-With: XMLHttpRequest`, and every non-GET request also
 * sends the session's CSRF token (cookie `MMCSRF`) as `X-CSRF-Token`, so the middleware's cookie
 * path and CSRF rule are exercised as a browser exercises them.
 *
 * @example
 * const me = await api('GET', '/users/me');
 * await api('POST', '/users/tokens/revoke', { token_id: id });
 */

/** Dispatched on `window` when the server answers 401 to a signed-in request: the session is gone. */
export const SESSION_EXPIRED = 'mm-console-session-expired';

/** An error answer of the server (or no answer at all: status 0). */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 when the server could not be reached
   * @param {string} id Mattermost error id (`api.context.permissions.app_error`…), '' when none
   * @param {string} message the server's message
   * @param {string} method
   * @param {string} path
   */
  constructor(status, id, message, method, path) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.id = id;
    this.method = method;
    this.path = path;
  }
}

const STATUS_TEXT = /** @type {Record<number, string>} */ ({
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict',
  413: 'Payload Too Large', 429: 'Too Many Requests', 500: 'Internal Server Error', 501: 'Not Implemented',
  503: 'Service Unavailable',
});

/**
 * A cookie readable by the page (`MMUSERID`, `MMCSRF`; `MMAUTHTOKEN` is HttpOnly and never seen).
 * @param {string} name
 * @returns {string | undefined}
 */
export function readCookie(name) {
  for (const part of document.cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * Call `/api/v4${path}`. Resolves with the parsed JSON body; rejects with an {@link ApiError}.
 * @param {'GET' | 'POST' | 'PUT' | 'DELETE'} method
 * @param {string} path e.g. `/users/me`
 * @param {unknown} [body] sent as JSON
 * @returns {Promise<any>}
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { 'X-Requested-With': 'XMLHttpRequest', Accept: 'application/json' };
  if (method !== 'GET') {
    const csrf = readCookie('MMCSRF');
    if (csrf !== undefined && csrf !== '') headers['X-CSRF-Token'] = csrf;
  }
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(`/api/v4${path}`, {
      method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, '', `The server could not be reached (${err instanceof Error ? err.message : String(err)}).`, method, path);
  }
  const text = await res.text();
  let data;
  try {
    data = text === '' ? undefined : JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const id = typeof data?.id === 'string' ? data.id : '';
    const message = typeof data?.message === 'string' && data.message !== '' ? data.message : text.trim() || 'The server gave no reason.';
    const error = new ApiError(res.status, id, message, method, path);
    if (res.status === 401 && path !== '/users/login') window.dispatchEvent(new CustomEvent(SESSION_EXPIRED, { detail: describeError(error) }));
    throw error;
  }
  return data;
}

/**
 * An error in words, for a `role="alert"` region: what failed, the HTTP status and the error id.
 * @param {unknown} err
 * @returns {string}
 */
export function describeError(err) {
  if (err instanceof ApiError) {
    if (err.status === 0) return err.message;
    const status = `${err.status} ${STATUS_TEXT[err.status] ?? ''}`.trim();
    return `${err.message} (${status}${err.id === '' ? '' : `, ${err.id}`}; ${err.method} /api/v4${err.path})`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * True when the server has no such route (Mattermost's 404 for unknown API paths).
 * @param {unknown} err
 */
export function isMissingRoute(err) {
  return err instanceof ApiError && err.status === 404 && err.id === 'api.context.404.app_error';
}
