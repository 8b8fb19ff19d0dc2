/**
 * The HTTP side of `GET /api/v4/websocket` (`api4/websocket.go`, `APIHandlerTrustRequester`):
 * the upgrade request's token is found with the middleware's `extractToken` (cookie
 * `MMAUTHTOKEN` > `Authorization: Bearer|Token` > `?access_token=`) and resolved by the same
 * resolver REST uses, so a PAT, a session token and the cookie work exactly as on REST. The route
 * needs no session: a refused token leaves the connection unauthenticated (it may still send an
 * `authentication_challenge`). Refused before any upgrade, with an HTTP answer:
 *
 * - a token that resolves but came in the query string (not OAuth) → 401
 *   `api.context.token_provided.app_error`, as on REST;
 * - a resolver failure that is not a refusal (an upstream 503) → that error;
 * - an `Origin` whose host is not the request's `Host` → 403 (gorilla's default `CheckOrigin`,
 *   which Mattermost uses when `AllowCorsFrom` is empty): a page on another site cannot ride the
 *   session cookie;
 * - a request that is not a WebSocket handshake → 400 `api.web_socket.connect.upgrade.app_error`.
 *
 * @example
 * ```ts
 * const auth = await authenticateUpgrade(req, resolver, onRefused);
 * if (auth.kind === 'refuse') return writeHttpError(socket, auth);
 * ```
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AppErrorBody } from '../../middleware/errors/app-error.js';
import { AuthFailure, type AuthFailureReason } from '../../middleware/auth/auth-failure.js';
import { AppError } from '../errors.js';
import { extractToken } from '../../middleware/auth/extract.js';
import { newId } from '../../middleware/util/ids.js';
import { isPromiseLike } from '../../middleware/util/maybe-promise.js';
import { bearerChallenge } from '../../middleware/auth/principal.js';
import type { Principal, TokenResolver, TokenSource } from '../../middleware/types.js';
import { webSocketError } from './errors.js';

/** The outcome of the handshake's authentication. */
export type UpgradeAuth =
  | { readonly kind: 'accept'; readonly principal?: Principal; readonly token?: string; readonly source?: TokenSource }
  | { readonly kind: 'refuse'; readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string };

/** What the log learns about a refused upgrade token (never the secret). */
export interface UpgradeRefusal {
  readonly reason: AuthFailureReason;
  readonly tokenId?: string;
  readonly userId?: string;
  readonly path: string;
  readonly method: string;
  readonly requestId?: string;
}

function appErrorBody(err: AppError, requestId: string): AppErrorBody {
  return { id: err.id, message: err.message, detailed_error: '', request_id: requestId, status_code: err.status };
}

function refuse(status: number, body: AppErrorBody | string, headers: Record<string, string> = {}): UpgradeAuth {
  const json = typeof body !== 'string';
  return {
    kind: 'refuse', status,
    headers: { 'Content-Type': json ? 'application/json' : 'text/plain; charset=utf-8', ...headers },
    body: json ? JSON.stringify(body) : body,
  };
}

/** The query of a request URL in the shape `extractToken` reads. */
function carrier(req: IncomingMessage, url: URL) {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const prev = query[key];
    query[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return { headers: req.headers, querystring: url.search.slice(1), query };
}

/** gorilla's `checkSameOrigin`: no `Origin`, or its host equals `Host` (case-insensitive). */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host.toLowerCase() === (req.headers.host ?? '').toLowerCase();
  } catch {
    return false;
  }
}

/** The refusal of a request to the websocket route that is not a handshake. */
export function notAHandshake(): UpgradeAuth {
  return refuse(400, { ...webSocketError('api.web_socket.connect.upgrade.app_error'), request_id: newId() });
}

/**
 * Authenticate an upgrade request. See the module documentation.
 */
export async function authenticateUpgrade(req: IncomingMessage, url: URL, resolver: TokenResolver, onRefused?: (info: UpgradeRefusal) => void): Promise<UpgradeAuth> {
  const requestId = newId();
  if (!sameOrigin(req)) return refuse(403, 'Forbidden\n', { 'Sec-Websocket-Version': '13' });
  const found = extractToken(carrier(req, url));
  if (found === undefined) return { kind: 'accept' };
  let principal: Principal;
  try {
    const result = resolver.resolve(found.token, { source: found.source, requestId });
    principal = isPromiseLike<Principal>(result) ? await result : result;
  } catch (err) {
    if (err instanceof AuthFailure) {
      onRefused?.({ reason: err.reason, tokenId: err.tokenId, userId: err.userId, path: url.pathname, method: 'GET', requestId });
      return { kind: 'accept' };
    }
    const appError = err instanceof AppError ? err : new AppError('api.context.internal.app_error');
    return refuse(appError.status, appErrorBody(appError, requestId), appError.headers);
  }
  if (found.source === 'query' && principal.isOAuth !== true) {
    onRefused?.({ reason: 'query_token_forbidden', tokenId: principal.tokenId, userId: principal.userId, path: url.pathname, method: 'GET', requestId });
    const err = new AppError('api.context.token_provided.app_error', { detailed: 'QueryToken' });
    return refuse(err.status, appErrorBody(err, requestId), { 'WWW-Authenticate': bearerChallenge('mattermost', 'invalid_request') });
  }
  return { kind: 'accept', principal, token: found.token, source: found.source };
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 503: 'Service Unavailable' };

/** Answer an upgrade request with a plain HTTP response and close the socket. */
export function writeHttpError(socket: Duplex, refusal: Extract<UpgradeAuth, { kind: 'refuse' }>, extraHeaders: Readonly<Record<string, string>> = {}): void {
  if (socket.destroyed) return;
  const headers: Record<string, string> = { ...refusal.headers, ...extraHeaders, 'Content-Length': String(Buffer.byteLength(refusal.body)), Connection: 'close' };
  const head = [`HTTP/1.1 ${refusal.status} ${REASONS[refusal.status] ?? 'Error'}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
  socket.end(`${head}\r\n\r\n${refusal.body}`);
}
