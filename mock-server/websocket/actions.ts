/**
 * What a client may send (Mattermost's `WebSocketRouter.ServeWebSocket` and the `wsapi` handlers),
 * one request at a time per connection, in order:
 *
 * 1. no `action` → `no_action`; `seq` ≤ 0 → `bad_seq` (error replies);
 * 2. `authentication_challenge` with `data.token`: ignored when already authenticated; a token that
 *    is not a string, or does not resolve, closes the socket; success → `hello`, then
 *    `{"status":"OK","seq_reply":N}`;
 * 3. any other action before authentication (or after a revocation) → `not_authenticated`;
 * 4. `ping` → `{text:"pong", version, server_time, node_id}`; `user_typing` → a `typing` event to
 *    the channel (`channel_id` must be a channel the caller may post in); `presence`,
 *    `user_update_active_status` → OK; `get_statuses`, `get_statuses_by_ids` → online/offline as
 *    the hub sees it; anything else → `bad_action`.
 *
 * @example
 * ```ts
 * const serve = actionRouter({ store, now, version: '10.11.0', hub });
 * await serve(conn, { seq: 2, action: 'ping', data: {} }); // {"status":"OK","seq_reply":2,"data":{…"text":"pong"…}}
 * ```
 */
import { isValidId } from '../../middleware/util/ids.js';
import type { Store } from '../db/schema.js';
import type { WebSocketEvent } from '../services/context.js';
import { sessionHasPermissionToChannel } from '../services/channel-permissions.js';
import type { WebConn } from './connection.js';
import { webSocketError, type WebSocketErrorId } from './errors.js';
import { typingEvent } from './events.js';
import type { WebSocketReply, WebSocketRequest } from './frames.js';

/** What the router needs from the hub. */
export interface ActionHub {
  /** Resolve a challenge token; true when the connection is now authenticated. */
  challenge(conn: WebConn, token: string): Promise<boolean>;
  /** `WebConn.IsAuthenticated`: re-validates a stale principal. */
  isAuthenticated(conn: WebConn): Promise<boolean>;
  reply(conn: WebConn, reply: WebSocketReply): void;
  close(conn: WebConn, code: number, reason: string): void;
  publish(event: WebSocketEvent): void;
  /** True when the user has an authenticated, open connection. */
  isOnline(userId: string): boolean;
  /** Every user with an authenticated, open connection. */
  onlineUsers(): Iterable<string>;
}

export interface ActionRouterDeps {
  readonly store: Store;
  readonly now: () => number;
  /** `model.CurrentVersion` for `ping`. */
  readonly version: string;
  readonly hub: ActionHub;
}

type HandlerResult = Readonly<Record<string, unknown>> | undefined;
type Handler = (conn: WebConn, req: WebSocketRequest) => HandlerResult;

class ActionError extends Error {
  constructor(readonly errorId: WebSocketErrorId, readonly params: Record<string, string> = {}) {
    super(errorId);
  }
}

const invalidParam = (name: string) => new ActionError('api.websocket_handler.invalid_param.app_error', { Name: name });

/** Build the router of one hub. */
export function actionRouter(deps: ActionRouterDeps): (conn: WebConn, req: WebSocketRequest) => Promise<void> {
  const { store, now, version, hub } = deps;
  const fail = (conn: WebConn, seq: number, id: WebSocketErrorId, params?: Record<string, string>) => {
    hub.reply(conn, { status: 'FAIL', seq_reply: seq, error: webSocketError(id, params) });
  };

  const handlers: Record<string, Handler> = {
    ping: () => ({ text: 'pong', version, server_time: now(), node_id: '' }),
    user_typing: (conn, req) => {
      const channelId = req.data.channel_id;
      if (typeof channelId !== 'string' || !isValidId(channelId)) throw invalidParam('channel_id');
      const principal = conn.principal;
      if (principal === undefined || !sessionHasPermissionToChannel(store, principal, channelId, 'create_post')) throw invalidParam('channel_id');
      const parentId = typeof req.data.parent_id === 'string' ? req.data.parent_id : '';
      hub.publish(typingEvent(channelId, principal.userId, parentId));
      return undefined;
    },
    presence: () => undefined,
    user_update_active_status: (_conn, req) => {
      if (typeof req.data.user_is_active !== 'boolean') throw invalidParam('user_is_active');
      return undefined;
    },
    get_statuses: () => {
      const out: Record<string, string> = {};
      for (const userId of hub.onlineUsers()) out[userId] = 'online';
      return out;
    },
    get_statuses_by_ids: (_conn, req) => {
      const ids = req.data.user_ids;
      if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string' && isValidId(id))) throw invalidParam('user_ids');
      const out: Record<string, string> = {};
      for (const id of ids as string[]) out[id] = hub.isOnline(id) ? 'online' : 'offline';
      return out;
    },
  };

  return async function serveWebSocket(conn, req) {
    if (req.action === '') return fail(conn, req.seq, 'api.web_socket_router.no_action.app_error');
    if (req.seq <= 0) return fail(conn, req.seq, 'api.web_socket_router.bad_seq.app_error');
    if (req.action === 'authentication_challenge') {
      if (conn.token !== '') return undefined;
      const token = req.data.token;
      if (typeof token !== 'string') return hub.close(conn, 1008, 'authentication failed');
      if (!(await hub.challenge(conn, token))) return hub.close(conn, 1008, 'authentication failed');
      return hub.reply(conn, { status: 'OK', seq_reply: req.seq });
    }
    if (!(await hub.isAuthenticated(conn))) return fail(conn, req.seq, 'api.web_socket_router.not_authenticated.app_error');
    const handler = Object.hasOwn(handlers, req.action) ? handlers[req.action] : undefined;
    if (handler === undefined) return fail(conn, req.seq, 'api.web_socket_router.bad_action.app_error');
    try {
      const data = handler(conn, req);
      return hub.reply(conn, data === undefined ? { status: 'OK', seq_reply: req.seq } : { status: 'OK', seq_reply: req.seq, data });
    } catch (err) {
      if (err instanceof ActionError) return fail(conn, req.seq, err.errorId, err.params);
      throw err;
    }
  };
}
