/**
 * The middleware's error registry: every id the middleware itself throws, with Mattermost's HTTP
 * status and English message (Mattermost's `en.json`). Nothing else lives here, so the table is
 * the whole list of what an app can receive from this package. An application (the mock server
 * is one) adds its own ids with `defineErrors()` (see `app-error.ts`).
 *
 * @example
 * ```ts
 * import { AppError } from 'mattermost-pat';
 * throw new AppError('api.context.invalid_param.app_error', { params: { Name: 'user_id' } });
 * ```
 */

/** Every error id the middleware emits, with Mattermost's status and English message. */
export const ERRORS = {
  // Request context / routing
  'api.context.session_expired.app_error': { status: 401, message: 'Invalid or expired session, please login again.' },
  'api.context.permissions.app_error': { status: 403, message: 'You do not have the appropriate permissions.' },
  'api.context.invalid_body_param.app_error': { status: 400, message: 'Invalid or missing {{.Name}} in request body.' },
  'api.context.invalid_param.app_error': { status: 400, message: 'Invalid {{.Name}} parameter.' },
  'api.context.token_provided.app_error': { status: 401, message: 'Session is not OAuth but token was provided in the query string.' },
  'api.context.404.app_error': { status: 404, message: 'Sorry, we could not find the page.' },
  'api.context.request_body_too_large.app_error': { status: 413, message: 'The request body is too large.' },
  'api.context.rate_limited.app_error': { status: 429, message: 'Too many requests. Please try again later.' },
  'api.context.upstream_unavailable.app_error': { status: 503, message: 'The authentication server is unavailable. Please try again later.' },
  'api.context.internal.app_error': { status: 500, message: 'An internal server error occurred.' },
  'api.context.method_not_allowed.app_error': { status: 405, message: 'Method not allowed.' },

  // Signed events between processes (event-receiver.ts)
  'api.events.malformed.app_error': { status: 400, message: 'The event is malformed.' },
  'api.events.invalid_signature.app_error': { status: 401, message: 'The event signature or its claims are invalid.' },
  'api.events.expired.app_error': { status: 401, message: 'The event is too old or dated in the future.' },
  'api.events.replayed.app_error': { status: 401, message: 'The event was already received.' },
  'api.events.keys_unavailable.app_error': { status: 503, message: 'The event signing keys are unavailable. Please try again later.' },
} as const satisfies Record<string, { readonly status: number; readonly message: string }>;

/** Closed union of the middleware's error ids: `switch (err.id)` narrows. */
export type ErrorId = keyof typeof ERRORS;
