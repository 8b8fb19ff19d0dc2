/**
 * The authenticated principal on `ctx.state.auth`, typed app-wide by declaration merging: once
 * anything from this package is imported, every Koa (and @koa/router) context in the program
 * sees `ctx.state.auth?: Principal`, `ctx.state.authSource` and `ctx.state.requestId` without casts.
 *
 * @example
 * ```ts
 * import { authenticate, getPrincipal } from 'mattermost-pat';
 * router.get('/me', authenticate({ resolver }), (ctx) => {
 *   const { userId, roles } = getPrincipal(ctx); // Principal, or a 401 when absent
 *   ctx.body = { userId, roles, tokenId: ctx.state.auth?.tokenId };
 * });
 * ```
 */
import { AppError } from '../errors/app-error.js';
import type { Principal, TokenSource } from '../types.js';

declare module 'koa' {
  interface DefaultState {
    /** The authenticated caller, set by `authenticate()`; undefined on anonymous requests. */
    auth?: Principal;
    /** Where the caller's token came from, set by `authenticate()`. */
    authSource?: TokenSource;
    /** The request id (also in `X-Request-ID`), set by `requestId()` / `errorBoundary()`. */
    requestId?: string;
  }
}

/** What `getPrincipal()` reads: any context whose state may carry a principal. */
export interface PrincipalCarrier {
  readonly state: { auth?: Principal };
}

/**
 * The `WWW-Authenticate` challenge of a 401 (RFC 6750).
 * @example
 * ```ts
 * bearerChallenge('mattermost', 'invalid_token'); // 'Bearer realm="mattermost", error="invalid_token"'
 * ```
 */
export function bearerChallenge(realm: string, error?: 'invalid_token' | 'invalid_request'): string {
  return error === undefined ? `Bearer realm="${realm}"` : `Bearer realm="${realm}", error="${error}"`;
}

/**
 * The authenticated principal, or a thrown 401 `api.context.session_expired.app_error` (with
 * `WWW-Authenticate: Bearer realm="mattermost"`) when the request is anonymous.
 * @example
 * ```ts
 * router.get('/me', (ctx) => { ctx.body = { id: getPrincipal(ctx).userId }; });
 * ```
 */
export function getPrincipal(ctx: PrincipalCarrier, realm = 'mattermost'): Principal {
  const principal = ctx.state.auth;
  if (principal === undefined) {
    throw new AppError('api.context.session_expired.app_error', {
      detailed: 'UserRequired',
      headers: { 'WWW-Authenticate': bearerChallenge(realm) },
    });
  }
  return principal;
}
