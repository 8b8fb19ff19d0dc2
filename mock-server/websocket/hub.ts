/**
 * The mock's WebSocket hub (Mattermost's `Hub` + `WebConn` + `api4/websocket.go`): WebSocket API
 * v4 at `GET /api/v4/websocket` on the same HTTP server and port as REST, with the `ws` library in
 * `noServer` mode.
 *
 * - **Authentication** through the REST resolver (see `upgrade.ts`), or an
 *   `authentication_challenge` (see `actions.ts`); a connection that has not authenticated after
 *   `authTimeoutMs` is closed.
 * - **Routing**: `publish(event)` precomputes the frame once and sends it to every connection
 *   that `shouldSendEvent` accepts (`WebConn.ShouldSendEvent`: authenticated, then
 *   `contains_sanitized_data` / `contains_sensitive_data` against `manage_system`,
 *   `connection_id`, `omit_connection_id`, `user_id`, `omit_users`, channel membership, team
 *   membership), each with its own `seq`.
 * - **Revocation**: on the hook bus events that may kill a session (`token.revoked`, `disabled`,
 *   `rotated`, `session.revoked`, `user.deactivated`, `user.roles_changed`, `config.changed`,
 *   `cache.reset`) the
 *   connections concerned are marked stale; before their next event or action the token is
 *   resolved again (the session cache has already been evicted, it subscribes first). A dead
 *   session leaves the socket open but unauthenticated, as on the real server: no more events,
 *   `not_authenticated` for actions. `closeRevokedSockets: true` re-validates at once and closes it.
 * - **Resume**: a connection whose socket went away is kept `deadConnectionTtlMs` (at most
 *   `maxDeadConnections` of them) with its last `resumeBufferSize` events, including those routed
 *   to it while it was away. Reconnecting with `?connection_id=…&sequence_number=N` (upgrade
 *   authenticated, same user) replays from N, or, when N is no longer held, starts over with a new
 *   connection id and a fresh `hello`.
 * - **Bounds**: frames over `maxPayload` bytes close the socket (1009); malformed JSON (1007)
 *   and binary frames (1003) close it; at most `maxQueuedFrames` unhandled frames per connection;
 *   a socket holding more than `maxBufferedBytes` unsent is dropped (a slow reader); a socket
 *   that answers no ping for `pongTimeoutMs` is terminated.
 *
 * @example
 * ```ts
 * const hub = createWebSocketHub({ store, hooks, resolver, logger, now: Date.now, serverVersion: () => '10.11.0' });
 * hub.attach(httpServer);                // GET /api/v4/websocket now upgrades
 * hub.publish(userRoleUpdatedEvent(id, roles));
 * await hub.close();
 * ```
 */
import { hostname } from 'node:os';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { HookBus } from '../../middleware/hooks/hook-bus.js';
import { newId, isValidId } from '../../middleware/util/ids.js';
import { isPromiseLike } from '../../middleware/util/maybe-promise.js';
import { hasPermission } from '../../middleware/permissions/permissions.js';
import { silentLogger, type Logger } from '../../middleware/logger.js';
import type { Principal, TokenResolver, TokenSource } from '../../middleware/types.js';
import type { Store } from '../db/schema.js';
import type { WebSocketEvent } from '../services/context.js';
import { actionRouter } from './actions.js';
import { CLOSE, WebConn } from './connection.js';
import { helloEvent } from './events.js';
import { encodeEvent, parseRequest, precomputeEvent, type PrecomputedEvent, type WebSocketReply } from './frames.js';
import { authenticateUpgrade, notAHandshake, writeHttpError, type UpgradeRefusal } from './upgrade.js';

/** Tunables of the hub (all optional; defaults follow Mattermost where it has a number). */
export interface WebSocketOptions {
  /** Close connections that have not authenticated after this many ms. Default 5000 (`authCheckInterval`). */
  authTimeoutMs?: number;
  /**
   * Close a socket as soon as its session dies (token revoked/disabled/rotated, session revoked,
   * user deactivated) instead of leaving it open and unauthenticated as Mattermost does. Default false.
   */
  closeRevokedSockets?: boolean;
  /** Largest frame accepted from a client, in bytes. Default 8192 (`SocketMaxMessageSizeKb`). */
  maxPayload?: number;
  /** Unsent bytes a socket may hold before it is dropped as a slow reader. Default 4 MiB. */
  maxBufferedBytes?: number;
  /** Events kept per connection for resume. Default 128 (`deadQueueSize`). */
  resumeBufferSize?: number;
  /** How long a disconnected connection can be resumed, in ms (injected clock). Default 5 min. */
  deadConnectionTtlMs?: number;
  /** Disconnected connections kept at most (the oldest go first). Default 10 000. */
  maxDeadConnections?: number;
  /** Frames received but not yet handled, per connection, before it is closed (1008). Default 64. */
  maxQueuedFrames?: number;
  /** Server ping interval (wall clock). Default 60 000 (`pingInterval`). */
  pingIntervalMs?: number;
  /** Terminate a socket silent (no frame, no pong) for this long. Default 100 000 (`pongWaitTime`). */
  pongTimeoutMs?: number;
}

export interface WebSocketHubOptions extends WebSocketOptions {
  store: Store;
  hooks: HookBus;
  /** The REST resolver (the mock's cached resolver): tokens resolve exactly as on REST. */
  resolver: TokenResolver;
  logger?: Logger;
  /** Clock for session expiry and dead-connection TTLs. Default `Date.now`. */
  now?: () => number;
  /** `hello.server_version`: `version.build.configHash.enterprise`. */
  serverVersion: () => string;
  /** `model.CurrentVersion` (the `ping` reply's `version`). */
  version?: string;
  /** Called for every refused upgrade token (the mock logs it like a refused REST request). */
  onRefused?: (info: UpgradeRefusal) => void;
  /** The route. Default `/api/v4/websocket` (a trailing slash is accepted, as in Mattermost). */
  path?: string;
}

/** Counters of the hub. */
export interface WebSocketHubStats {
  /** Open sockets (authenticated or not). */
  readonly open: number;
  /** Open sockets with a valid session. */
  readonly authenticated: number;
  /** Disconnected connections kept for resume. */
  readonly resumable: number;
}

export interface WebSocketHub {
  /** Serve the WebSocket route on `server` (its `upgrade` event). */
  attach(server: Server): void;
  /**
   * Answer a plain (non-upgrade) HTTP request to the WebSocket route: 400
   * `api.web_socket.connect.upgrade.app_error`. Returns false for any other path.
   */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** Deliver an event (`App.Publish`). */
  publish(event: WebSocketEvent): void;
  stats(): WebSocketHubStats;
  /** Close every socket (1001), stop the timers, unsubscribe from the hooks. */
  close(): Promise<void>;
}

const REVALIDATING_EVENTS = ['token.revoked', 'token.disabled', 'token.rotated', 'session.revoked', 'user.deactivated', 'user.roles_changed'] as const;

/** Create a hub. See the module documentation. */
export function createWebSocketHub(options: WebSocketHubOptions): WebSocketHub {
  const {
    store, hooks, resolver, logger = silentLogger, now = Date.now, serverVersion, version = '', onRefused, path = '/api/v4/websocket',
    authTimeoutMs = 5_000, closeRevokedSockets = false, maxPayload = 8_192, maxBufferedBytes = 4 * 1024 * 1024,
    resumeBufferSize = 128, deadConnectionTtlMs = 5 * 60_000, maxDeadConnections = 10_000, maxQueuedFrames = 64,
    pingIntervalMs = 60_000, pongTimeoutMs = 100_000,
  } = options;
  const serverHostname = hostname();
  const wss = new WebSocketServer({ noServer: true, maxPayload, clientTracking: false, perMessageDeflate: false });
  /** Registered connections (authenticated at least once), live or dead. */
  const registered = new Set<WebConn>();
  const byUser = new Map<string, Set<WebConn>>();
  const byId = new Map<string, WebConn>();
  /** Open sockets that never authenticated. */
  const anonymous = new Set<WebConn>();
  /** Dead connections, oldest first (Map keeps insertion order). */
  const dead = new Map<WebConn, true>();
  const servers = new Set<Server>();
  let closed = false;

  const index = (conn: WebConn) => {
    registered.add(conn);
    byId.set(conn.id, conn);
    let set = byUser.get(conn.userId);
    if (set === undefined) byUser.set(conn.userId, (set = new Set()));
    set.add(conn);
  };
  const unindex = (conn: WebConn) => {
    registered.delete(conn);
    dead.delete(conn);
    if (byId.get(conn.id) === conn) byId.delete(conn.id);
    const set = byUser.get(conn.userId);
    if (set !== undefined) {
      set.delete(conn);
      if (set.size === 0) byUser.delete(conn.userId);
    }
  };

  // ---- sessions --------------------------------------------------------------------------

  const setPrincipal = (conn: WebConn, principal: Principal, token: string, source: TokenSource) => {
    if (registered.has(conn) && conn.userId !== principal.userId) unindex(conn);
    conn.generation++;
    conn.principal = principal;
    conn.token = token;
    conn.source = source;
    conn.userId = principal.userId;
    conn.stale = false;
  };

  /** The session died: the socket stays, unauthenticated (or is closed with `closeRevokedSockets`). */
  const invalidate = (conn: WebConn, reason: string) => {
    conn.generation++;
    conn.principal = undefined;
    conn.token = '';
    conn.stale = false;
    logger.info('websocket session no longer valid', { connection_id: conn.id, user_id: conn.userId, reason });
    if (closeRevokedSockets) drop(conn, CLOSE.policy, 'session revoked');
  };

  /**
   * `WebConn.IsAuthenticated`: a stale or expired principal is resolved again. Returns the answer,
   * or a promise when the resolver is asynchronous (events then wait in `conn.pending`).
   */
  const isAuthenticated = (conn: WebConn): boolean | Promise<boolean> => {
    if (conn.revalidating !== undefined) return conn.revalidating.then(() => conn.principal !== undefined);
    if (conn.token === '' || conn.principal === undefined) return false;
    const expiresAt = conn.principal.expiresAt;
    if (!conn.stale && (expiresAt === undefined || expiresAt <= 0 || now() < expiresAt)) return true;
    const token = conn.token;
    const source = conn.source;
    let result: Principal | PromiseLike<Principal>;
    try {
      result = resolver.resolve(token, { source });
    } catch (err) {
      invalidate(conn, reasonOf(err));
      return false;
    }
    if (!isPromiseLike<Principal>(result)) {
      setPrincipal(conn, result, token, source);
      return true;
    }
    const generation = conn.generation;
    conn.revalidating = Promise.resolve(result).then(
      (principal) => { if (conn.generation === generation) setPrincipal(conn, principal, token, source); },
      (err: unknown) => { if (conn.generation === generation) invalidate(conn, reasonOf(err)); },
    ).finally(() => {
      conn.revalidating = undefined;
      const waiting = conn.pending.splice(0);
      for (const frame of waiting) deliver(conn, frame);
    });
    return conn.revalidating.then(() => conn.principal !== undefined);
  };

  const markStale = (conns: Iterable<WebConn>) => {
    for (const conn of [...conns]) {
      if (conn.token === '') continue;
      conn.stale = true;
      if (closeRevokedSockets) void isAuthenticated(conn);
    }
  };
  const unsubscribe = [
    ...REVALIDATING_EVENTS.map((event) => hooks.on(event, ({ userId }: { userId: string }) => markStale(byUser.get(userId) ?? []))),
    hooks.on('config.changed', () => markStale(registered)),
    // Fail safe, like the caches: a possible gap in the events means every principal is re-validated.
    hooks.on('cache.reset', ({ userId }) => markStale(userId === undefined ? registered : byUser.get(userId) ?? [])),
  ];

  // ---- delivery --------------------------------------------------------------------------

  /** `WebConn.ShouldSendEvent` once the connection is known to be authenticated. */
  const wants = (conn: WebConn, event: WebSocketEvent): boolean => {
    const principal = conn.principal;
    if (principal === undefined) return false;
    const b = event.broadcast;
    if (b.contains_sanitized_data === true || b.contains_sensitive_data === true) {
      const admin = hasPermission(principal.roles, 'manage_system');
      if (b.contains_sanitized_data === true && admin) return false;
      if (b.contains_sensitive_data === true && !admin) return false;
    }
    if (b.connection_id !== undefined && b.connection_id !== '') return conn.id === b.connection_id;
    if (b.omit_connection_id !== undefined && b.omit_connection_id === conn.id) return false;
    if (b.user_id !== undefined && b.user_id !== '') return conn.userId === b.user_id;
    if (b.omit_users !== undefined && Object.hasOwn(b.omit_users, conn.userId)) return false;
    if (b.channel_id !== undefined && b.channel_id !== '') return store.get('channelMembers', `${b.channel_id}:${conn.userId}`) !== undefined;
    if (b.team_id !== undefined && b.team_id !== '') {
      const member = store.get('teamMembers', `${b.team_id}:${conn.userId}`);
      return member !== undefined && member.delete_at === 0;
    }
    return true;
  };

  const deliver = (conn: WebConn, frame: PrecomputedEvent) => {
    if (conn.dropped) return;
    if (conn.revalidating !== undefined) {
      if (conn.pending.length >= resumeBufferSize) return drop(conn, CLOSE.policy, 'send buffer full');
      conn.pending.push(frame);
      return;
    }
    const auth = isAuthenticated(conn);
    if (auth !== true) {
      if (auth !== false) conn.pending.push(frame);
      return;
    }
    if (!wants(conn, frame.event)) return;
    if (conn.sendEvent(frame) === 'overflow') {
      logger.warn('websocket slow reader dropped', { connection_id: conn.id, user_id: conn.userId, max_buffered_bytes: maxBufferedBytes });
      drop(conn, CLOSE.policy, 'send buffer full');
    }
  };

  const publish = (event: WebSocketEvent) => {
    if (closed) return;
    const target = event.broadcast.user_id;
    const candidates = target !== undefined && target !== '' ? byUser.get(target) : registered;
    // No connection, live or resumable, to deliver to: nothing to serialise.
    if (candidates === undefined || candidates.size === 0) return;
    const frame = precomputeEvent(event);
    for (const conn of [...candidates]) deliver(conn, frame);
  };

  const reply = (conn: WebConn, message: WebSocketReply) => {
    if (conn.sendReply(message) === 'overflow') drop(conn, CLOSE.policy, 'send buffer full');
  };

  /** Close for good: no resume (Mattermost removes such a connection from its index). */
  const drop = (conn: WebConn, code: number, reason: string) => {
    conn.dropped = true;
    conn.clearAuthTimer();
    conn.pending.length = 0;
    unindex(conn);
    anonymous.delete(conn);
    const socket = conn.socket;
    if (socket === undefined) return;
    if (socket.readyState === socket.OPEN) socket.close(code, reason);
    // A slow reader may never read the close frame: do not wait for its handshake.
    setTimeout(() => socket.terminate(), 1_000).unref();
  };

  // ---- connections -----------------------------------------------------------------------

  const hello = (conn: WebConn) => {
    conn.sendEvent(encodeEvent(helloEvent(conn.userId, conn.id, serverVersion(), serverHostname)));
  };

  /** `HubRegister` of a freshly authenticated connection: indexed, then `hello`. */
  const register = (conn: WebConn) => {
    anonymous.delete(conn);
    conn.clearAuthTimer();
    index(conn);
    hello(conn);
  };

  const challenge = async (conn: WebConn, token: string): Promise<boolean> => {
    try {
      const result = resolver.resolve(token, { source: 'header-token' });
      const principal = isPromiseLike<Principal>(result) ? await result : result;
      if (conn.dropped || conn.socket === undefined) return false;
      // `HubRegister` again, as the challenge handler does: a socket whose session died may
      // authenticate anew; it gets another hello (same connection id, its seq continues).
      setPrincipal(conn, principal, token, 'header-token');
      register(conn);
      return true;
    } catch (err) {
      logger.info('websocket authentication challenge refused', { connection_id: conn.id, reason: reasonOf(err) });
      return false;
    }
  };

  const serve = actionRouter({
    store, now, version,
    hub: {
      challenge,
      isAuthenticated: async (conn) => isAuthenticated(conn),
      reply,
      close: (conn, code, reason) => drop(conn, code, reason),
      publish,
      isOnline: (userId) => [...byUser.get(userId) ?? []].some((c) => c.live && c.principal !== undefined),
      *onlineUsers() {
        for (const [userId, conns] of byUser) if ([...conns].some((c) => c.live && c.principal !== undefined)) yield userId;
      },
    },
  });

  const onFrame = (conn: WebConn, data: RawData, isBinary: boolean) => {
    conn.lastHeard = Date.now();
    if (conn.dropped) return;
    // Mattermost decodes binary frames as msgpack; the mock does not speak it.
    if (isBinary) return drop(conn, CLOSE.unsupported, 'binary frames are not supported');
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    const req = parseRequest(text);
    if (req === undefined) return drop(conn, CLOSE.invalidPayload, 'malformed request');
    if (conn.inflight >= maxQueuedFrames) return drop(conn, CLOSE.policy, 'too many pending requests');
    conn.inflight++;
    conn.chain = conn.chain.then(() => serve(conn, req)).catch((err: unknown) => {
      logger.error('websocket request failed', { connection_id: conn.id, action: req.action, error: err instanceof Error ? err.message : String(err) });
    }).finally(() => { conn.inflight--; });
  };

  const onClose = (conn: WebConn, socket: WebSocket) => {
    if (conn.socket !== socket) return;
    conn.clearAuthTimer();
    anonymous.delete(conn);
    conn.socket = undefined;
    if (conn.dropped || closed || !registered.has(conn)) {
      unindex(conn);
      return;
    }
    conn.deadSince = now();
    dead.set(conn, true);
    while (dead.size > maxDeadConnections) {
      const oldest = dead.keys().next().value;
      if (oldest === undefined) break;
      unindex(oldest);
    }
  };

  const reapDead = () => {
    const limit = now() - deadConnectionTtlMs;
    for (const conn of dead.keys()) {
      if (conn.deadSince > limit) break;
      unindex(conn);
    }
  };

  /** `PopulateWebConnConfig` + the write pump's start: the dead connection to resume, if any. */
  const resumable = (userId: string, connectionId: string): WebConn | undefined => {
    reapDead();
    const conn = byId.get(connectionId);
    if (conn === undefined || conn.userId !== userId || conn.socket !== undefined || !dead.has(conn)) return undefined;
    return conn;
  };

  /** Replay from `sequence` (`drainDeadQueue`), or start over when it is lost (`hasMsgLoss`). */
  const resume = (conn: WebConn, sequence: number) => {
    dead.delete(conn);
    if (sequence === conn.nextSeq) return;
    const missed = conn.buffer.from(sequence);
    if (missed !== undefined) {
      for (const entry of missed) conn.write(`${entry.frame.prefix}${entry.seq}${entry.frame.suffix}`);
      return;
    }
    byId.delete(conn.id);
    conn.id = newId();
    byId.set(conn.id, conn);
    conn.buffer.clear();
    conn.nextSeq = 0;
    hello(conn);
  };

  const onConnection = (socket: WebSocket, auth: { principal?: Principal; token?: string; source?: TokenSource }, url: URL) => {
    const connectionId = url.searchParams.get('connection_id') ?? '';
    const sequenceRaw = url.searchParams.get('sequence_number');
    const { principal, token, source } = auth;
    let conn: WebConn | undefined;
    if (principal !== undefined && connectionId !== '') {
      // A connection id that is not an id, or a resume without a valid sequence number, closes the socket.
      if (!isValidId(connectionId)) return socket.close(CLOSE.policy, 'invalid connection id');
      conn = resumable(principal.userId, connectionId);
      if (conn !== undefined && (sequenceRaw === null || !/^\d+$/.test(sequenceRaw))) {
        return socket.close(CLOSE.policy, 'invalid sequence number');
      }
    }
    const fresh = conn === undefined;
    conn ??= new WebConn({ id: newId(), resumeBufferSize, maxBufferedBytes });
    conn.attach(socket);
    socket.on('message', (data, isBinary) => onFrame(conn, data, isBinary));
    socket.on('pong', () => { conn.lastHeard = Date.now(); });
    socket.on('error', (err) => logger.info('websocket error', { connection_id: conn.id, error: err.message }));
    socket.on('close', () => onClose(conn, socket));
    if (principal !== undefined && token !== undefined && source !== undefined) {
      setPrincipal(conn, principal, token, source);
      if (fresh) register(conn);
      else resume(conn, Number(sequenceRaw));
      return;
    }
    anonymous.add(conn);
    conn.authTimer = setTimeout(() => {
      if (conn.token === '' && !registered.has(conn)) drop(conn, CLOSE.policy, 'authentication timeout');
    }, authTimeoutMs);
    conn.authTimer.unref();
  };

  // ---- keepalive -------------------------------------------------------------------------

  const keepalive = setInterval(() => {
    reapDead();
    const silentSince = Date.now() - pongTimeoutMs;
    for (const conn of [...registered, ...anonymous]) {
      const socket = conn.socket;
      if (socket === undefined || socket.readyState !== socket.OPEN) continue;
      if (conn.lastHeard < silentSince) {
        logger.info('websocket ping timeout', { connection_id: conn.id, user_id: conn.userId });
        socket.terminate();
        continue;
      }
      socket.ping();
    }
  }, pingIntervalMs);
  keepalive.unref();

  // ---- HTTP ------------------------------------------------------------------------------

  const isRoute = (pathname: string) => pathname === path || pathname === `${path}/`;
  const lastSegment = path.slice(path.lastIndexOf('/') + 1);
  /**
   * Whether a request target could parse to the route: every other HTTP request is answered by
   * the app, so this runs before each of them and must be cheap. The URL parser neither decodes
   * percent-escapes nor changes case in a path, so the route's last segment appears as it is in
   * any target that resolves to it, unless tabs or newlines (which the parser drops) split it.
   */
  const mayBeRoute = (target: string) => target.includes(lastSegment) || /[\t\n\r]/.test(target);

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (closed || !isRoute(url.pathname)) {
      writeHttpError(socket, { kind: 'refuse', status: 404, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id: 'api.context.404.app_error', message: 'Sorry, we could not find the page.', detailed_error: '', request_id: newId(), status_code: 404 }) });
      return;
    }
    authenticateUpgrade(req, url, resolver, onRefused).then((auth) => {
      if (auth.kind === 'refuse') return writeHttpError(socket, auth);
      if (closed || socket.destroyed) return socket.destroy();
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, auth, url));
      return undefined;
    }, (err: unknown) => {
      logger.error('websocket upgrade failed', { error: err instanceof Error ? err.message : String(err) });
      socket.destroy();
    });
  };

  return {
    attach(server) {
      servers.add(server);
      server.on('upgrade', onUpgrade);
    },
    handleRequest(req, res) {
      if (req.method !== 'GET' || !mayBeRoute(req.url ?? '/')) return false;
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (!isRoute(url.pathname)) return false;
      const refusal = notAHandshake();
      if (refusal.kind !== 'refuse') return false;
      res.writeHead(refusal.status, refusal.headers);
      res.end(refusal.body);
      return true;
    },
    publish,
    stats() {
      let open = 0;
      let authenticated = 0;
      for (const conn of registered) {
        if (!conn.live) continue;
        open++;
        if (conn.principal !== undefined) authenticated++;
      }
      for (const conn of anonymous) if (conn.live) open++;
      return { open, authenticated, resumable: dead.size };
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(keepalive);
      for (const off of unsubscribe) off();
      for (const server of servers) server.off('upgrade', onUpgrade);
      const sockets: WebSocket[] = [];
      for (const conn of [...registered, ...anonymous]) {
        conn.clearAuthTimer();
        if (conn.socket !== undefined) sockets.push(conn.socket);
        conn.dropped = true;
      }
      registered.clear();
      anonymous.clear();
      dead.clear();
      byId.clear();
      byUser.clear();
      await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => {
        if (socket.readyState === socket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close(CLOSE.goingAway, 'server shutting down');
        setTimeout(() => { socket.terminate(); resolve(); }, 500).unref();
      })));
      wss.close();
    },
  };
}

function reasonOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'reason' in err && typeof err.reason === 'string') return err.reason;
  return err instanceof Error ? err.message : String(err);
}
