/**
 * `mattermostWatcher()`: keeps a websocket to a Mattermost server (or the mock: both speak
 * Mattermost's WebSocket API v4) open with an admin's personal access token, and turns what it says into hook-bus events
 * (`event-translator.ts`), so a cache in front of a real Mattermost hears of deactivations, role
 * and config changes at once.
 *
 * - **Connect**: `GET {url}/api/v4/websocket` with `Authorization: Bearer <token>` on the upgrade
 *   (the token on the upgrade is what lets Mattermost resume a connection). The first frame of a
 *   new connection is `hello`, carrying `connection_id`.
 * - **Reconnect** with exponential backoff and jitter; **resume** with
 *   `?connection_id=…&sequence_number=<next seq>`. A resume Mattermost accepts sends no `hello`
 *   (missed events are replayed); the watcher then sends a `ping` action, and its `OK` reply
 *   proves the connection is authenticated. A `hello` with another connection id is a failed
 *   resume: events were lost.
 * - **Fail safe**: the watcher is blind until its first `hello` and whenever it is disconnected,
 *   so it calls `cache.degrade('websocket')` at start and on every disconnect, and
 *   `cache.recover('websocket')` once live again (after a `hello` or a proven resume). A failed
 *   resume is degrade then recover: everything cached before is dropped.
 * - **Liveness**: a `ping` action every `pingIntervalMs`; no `OK` reply by the next one (the
 *   socket is dead, or its session is: Mattermost keeps a revoked session's socket open but stops
 *   sending it events) terminates the socket, degrades the cache and reconnects.
 *
 * The token is sent only in the upgrade header; it is never logged.
 *
 * @example
 * ```ts
 * import { authenticate, createHookBus } from 'mattermost-pat';
 * import { remoteResolver } from 'mattermost-pat/remote';
 * import { mattermostWatcher } from 'mattermost-pat/watch';
 * const hooks = createHookBus();
 * const cache = remoteResolver({ url: MM_URL, hooks, revalidateMs: 30_000 });
 * const watcher = mattermostWatcher({ url: MM_URL, token: ADMIN_PAT, hooks, cache });
 * app.use(authenticate({ resolver: cache }));
 * // later: await watcher.close();
 * ```
 */
import { WebSocket, type RawData } from 'ws';
import type { HookBus } from '../hooks/hook-bus.js';
import { silentLogger, type Logger } from '../logger.js';
import { createEventTranslator, type EventTranslatorOptions, type WebSocketEventFrame } from './event-translator.js';

/** What the watcher needs of a cache: its fail-safe switch (the principal cache has it). */
export interface Degradable {
  degrade(reason: string): void;
  recover(reason?: string): void;
}

/** The watcher's connection state. */
export type WatcherState = 'connecting' | 'live' | 'closed';

export interface MattermostWatcherOptions {
  /** Base URL of the server, e.g. `https://chat.example.com` (no `/api/v4`). */
  url: string;
  /** A personal access token of a system admin (admins get the full `user_updated`). */
  token: string;
  /** Where the translated events are emitted. */
  hooks: HookBus;
  /** Degraded while the watcher may be missing events. Optional (then only events are emitted). */
  cache?: Degradable;
  /** The reason passed to `degrade`/`recover`. Default `'websocket'`. */
  reason?: string;
  /** First reconnect delay. Default 250 ms; doubles up to `maxDelayMs` (jittered ±25 %). */
  minDelayMs?: number;
  /** Longest reconnect delay. Default 30 000 ms. */
  maxDelayMs?: number;
  /** Interval of the `ping` action; a socket whose ping is unanswered (or refused) by the next one is dropped. Default 30 000 ms. */
  pingIntervalMs?: number;
  /** How long an opened socket may take to prove it is authenticated (hello or ping reply). Default 10 000 ms. */
  authTimeoutMs?: number;
  /** Options of the translator (`graceMs`, `maxUsers`). */
  translator?: Omit<EventTranslatorOptions, 'hooks'>;
  /** Connection events (never the token). Default: silent. */
  logger?: Logger;
  /** Called on every state change (tests, metrics). */
  onState?: (state: WatcherState) => void;
}

/** A running watcher. */
export interface MattermostWatcher {
  readonly state: WatcherState;
  /** The server's id of the current (or last) connection. */
  readonly connectionId: string | undefined;
  /** Connections made, resumes that worked, resumes that failed (events lost). */
  readonly stats: { readonly connects: number; readonly resumed: number; readonly resumeFailed: number; readonly events: number };
  /** Resolves when the watcher is next live (at once if it is). */
  whenLive(): Promise<void>;
  /** Close the socket and stop reconnecting. The cache stays degraded (the watcher is gone). */
  close(): Promise<void>;
}

const RESUME_PING_SEQ_BASE = 1_000_000;

/** Start watching. Connects at once; never throws (failures are retried and logged). */
export function mattermostWatcher(options: MattermostWatcherOptions): MattermostWatcher {
  const {
    url, token, hooks, cache, reason = 'websocket', minDelayMs = 250, maxDelayMs = 30_000,
    pingIntervalMs = 30_000, authTimeoutMs = 10_000, logger = silentLogger, onState,
  } = options;
  const base = new URL(url);
  base.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  base.pathname = `${base.pathname.replace(/\/+$/, '')}/api/v4/websocket`;
  const translate = createEventTranslator({ hooks, ...options.translator });

  let state: WatcherState = 'connecting';
  let connectionId: string | undefined;
  let nextSeq = 0;
  let attempt = 0;
  let socket: WebSocket | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let closed = false;
  let degraded = false;
  let actionSeq = RESUME_PING_SEQ_BASE;
  const stats = { connects: 0, resumed: 0, resumeFailed: 0, events: 0 };
  let waiters: Array<() => void> = [];

  const setState = (s: WatcherState) => {
    if (state === s) return;
    state = s;
    onState?.(s);
    if (s === 'live') { for (const w of waiters.splice(0)) w(); }
  };
  const degrade = () => {
    if (degraded) return;
    degraded = true;
    cache?.degrade(reason);
  };
  const goLive = () => {
    attempt = 0;
    if (degraded) { degraded = false; cache?.recover(reason); }
    setState('live');
  };

  const scheduleReconnect = () => {
    if (closed) return;
    const delay = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(attempt, 20));
    attempt++;
    retryTimer = setTimeout(connect, delay * (0.75 + Math.random() * 0.5));
    retryTimer.unref?.();
  };

  const connect = () => {
    retryTimer = undefined;
    if (closed) return;
    setState('connecting');
    const target = new URL(base);
    const resuming = connectionId !== undefined;
    if (resuming) {
      target.searchParams.set('connection_id', connectionId as string);
      target.searchParams.set('sequence_number', String(nextSeq));
    }
    const ws = new WebSocket(target, { headers: { Authorization: `Bearer ${token}` }, handshakeTimeout: authTimeoutMs });
    socket = ws;
    let proven = false;
    let alive = true;
    let pingSeq = -1;
    const authTimer = setTimeout(() => {
      if (!proven) { logger.warn('mattermost watcher: not authenticated in time, reconnecting', { url: base.origin }); ws.terminate(); }
    }, authTimeoutMs);
    authTimer.unref?.();
    // Liveness is a `ping` *action*, not a ws ping: its OK reply also proves the session still
    // works. A socket whose session died (token revoked, PATs turned off) stays open on
    // Mattermost but silently gets no more events; unanswered, it is dropped and the cache degrades.
    let heartbeatSeq = -1;
    const pinger = setInterval(() => {
      if (!alive || heartbeatSeq >= 0) {
        logger.warn('mattermost watcher: no answer to ping, reconnecting', { url: base.origin });
        ws.terminate();
        return;
      }
      alive = false;
      if (ws.readyState !== WebSocket.OPEN) return;
      heartbeatSeq = ++actionSeq;
      ws.send(JSON.stringify({ seq: heartbeatSeq, action: 'ping', data: {} }));
    }, pingIntervalMs);
    pinger.unref?.();

    const prove = () => { proven = true; clearTimeout(authTimer); goLive(); };

    ws.on('open', () => {
      stats.connects++;
      if (resuming) {
        // An accepted resume sends no hello: a ping action's OK reply proves we are authenticated.
        pingSeq = ++actionSeq;
        ws.send(JSON.stringify({ seq: pingSeq, action: 'ping', data: {} }));
      }
    });
    ws.on('message', (raw: RawData, isBinary: boolean) => {
      alive = true;
      if (isBinary) return; // msgpack frames (newest servers, on request only): not asked for
      let msg: unknown;
      try { msg = JSON.parse(raw.toString()); } catch { return; }
      if (typeof msg !== 'object' || msg === null) return;
      const frame = msg as Record<string, unknown>;
      if (typeof frame.event === 'string') {
        if (typeof frame.seq === 'number') nextSeq = frame.seq + 1;
        if (frame.event === 'hello') {
          const data = (frame.data ?? {}) as Record<string, unknown>;
          const id = typeof data.connection_id === 'string' ? data.connection_id : undefined;
          if (connectionId !== undefined && id !== connectionId) {
            // A failed resume: the events of the gap are lost. Fail safe (drop all), then go on.
            stats.resumeFailed++;
            logger.warn('mattermost watcher: resume failed, events may have been missed', { url: base.origin });
            degrade();
          }
          connectionId = id;
          if (typeof frame.seq === 'number') nextSeq = frame.seq + 1;
          prove();
          return;
        }
        if (!proven && resuming) { stats.resumed++; prove(); }
        stats.events++;
        translate(frame as unknown as WebSocketEventFrame);
        return;
      }
      if (frame.seq_reply === heartbeatSeq && heartbeatSeq >= 0) {
        if (frame.status === 'OK') heartbeatSeq = -1;
        else { logger.warn('mattermost watcher: session no longer authenticated, reconnecting', { url: base.origin }); ws.terminate(); }
        return;
      }
      if (frame.seq_reply === pingSeq && pingSeq >= 0) {
        pingSeq = -1;
        if (frame.status === 'OK') {
          if (!proven) { stats.resumed++; prove(); }
        } else if (!proven) {
          logger.warn('mattermost watcher: resume refused, starting over', { url: base.origin });
          connectionId = undefined;
          ws.terminate();
        }
      }
    });
    ws.on('unexpected-response', (_req, res) => {
      logger.warn('mattermost watcher: upgrade refused', { url: base.origin, status: res.statusCode });
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => { logger.warn('mattermost watcher: socket error', { url: base.origin, error: err.message }); });
    ws.on('close', () => {
      clearTimeout(authTimer);
      clearInterval(pinger);
      if (socket === ws) socket = undefined;
      degrade();
      if (closed) { setState('closed'); return; }
      setState('connecting');
      scheduleReconnect();
    });
  };

  degrade(); // blind until the first hello
  connect();

  return {
    get state() { return state; },
    get connectionId() { return connectionId; },
    stats,
    whenLive() {
      if (state === 'live') return Promise.resolve();
      return new Promise<void>((resolve) => { waiters.push(resolve); });
    },
    async close() {
      closed = true;
      translate.close();
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      waiters = [];
      const ws = socket;
      if (ws === undefined || ws.readyState === WebSocket.CLOSED) { degrade(); setState('closed'); return; }
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        if (ws.readyState === WebSocket.CONNECTING) ws.terminate(); else ws.close(1000);
        setTimeout(() => ws.terminate(), 1_000).unref?.();
      });
    },
  };
}
