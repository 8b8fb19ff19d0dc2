/**
 * `requestId()`: give every request a 26-character Mattermost id, in the `X-Request-ID` response
 * header and on `ctx.state.requestId` (error bodies carry it as `request_id`). Mount it first.
 *
 * @example
 * ```ts
 * import { requestId, errorBoundary } from 'mattermost-pat';
 * app.use(requestId());
 * app.use(errorBoundary());
 * ```
 */
import type Koa from 'koa';
import { isValidId, newId } from '../util/ids.js';

export interface RequestIdOptions {
  /** Response header name. Default `X-Request-ID`. */
  header?: string;
  /**
   * Reuse a valid 26-char id sent by the client in the same header (behind a trusted proxy).
   * Default false: Mattermost always mints a new one.
   */
  trustIncoming?: boolean;
  /** Id generator. Default `newId`. */
  generate?: () => string;
}

/** Header name the error boundary and `requestId()` use. */
export const REQUEST_ID_HEADER = 'X-Request-ID';

/**
 * Set a fresh request id on `ctx.state.requestId` and the `X-Request-ID` response header.
 * @example
 * ```ts
 * app.use(requestId());
 * ```
 */
export function requestId(options: RequestIdOptions = {}): Koa.Middleware {
  const { header = REQUEST_ID_HEADER, trustIncoming = false, generate = newId } = options;
  const incomingName = header.toLowerCase();
  return function requestIdMiddleware(ctx, next) {
    const incoming = trustIncoming ? ctx.headers[incomingName] : undefined;
    const id = typeof incoming === 'string' && isValidId(incoming) ? incoming : generate();
    ctx.state.requestId = id;
    // Straight to Node: Koa's `ctx.set` builds arrays on every call, and a fresh request has sent no header yet.
    if (!ctx.headerSent) ctx.res.setHeader(header, id);
    return next();
  };
}
