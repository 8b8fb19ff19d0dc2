/**
 * The mock Mattermost server: REST API v4 on a durable store, emulating the whole personal access
 * token lifecycle so the official `@mattermost/client` works against it unchanged.
 *
 * @example
 * ```ts
 * import { startMockServer } from 'mattermost-pat/mock-server';
 * const mock = await startMockServer({ port: 0 });              // in memory unless dbFile is given
 * const res = await fetch(`${mock.url}/api/v4/system/ping`); // {"status":"OK",…}
 * const { username, password } = mock.seeded.sysadmin;        // 'sysadmin' / 'Sys@dmin-sample1'
 * await mock.close();
 * ```
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import { authenticate } from '../middleware/auth/authenticate.js';
import { generateEventKeys, type EventKeys } from '../middleware/events/event-keys.js';
import { createEventSender, type EventSender, type EventSenderOptions, type EventSigning } from '../middleware/events/event-sender.js';
import { createHookBus, type HookBus } from '../middleware/hooks/hook-bus.js';
import type { Store } from './db/schema.js';
import { openStore, type DurabilityOptions } from './db/store.js';
import { createApp, type OnUnhandledRequest, type RouteModule } from './app.js';
import { createMockClock, type MockClock } from './clock.js';
import type { MockCorsOptions } from './cors.js';
import { explainStoreOpenError } from './db-folder-error.js';
import type { LogBuffer, MockContext } from './context.js';
import type { WebSocketEvent } from './services/context.js';
import { bufferLogger, createLogBuffer } from './logs.js';
import { mockResolver } from './resolver.js';
import { rootRouteModules, routeModules } from './routes/index.js';
import { outgoingWebhookTrigger } from './services/outgoing-webhooks.js';
import { observePosts } from './services/post-observers.js';
import { buildSeed, defaultSeed, loadSeedFile, type SeedInput } from './seed.js';
import { FAST_SCRYPT_N, SCRYPT_N } from './passwords.js';
import { seededInfo, type SeededInfo } from './seeded-info.js';
import { storeOutboxStorage } from './outbox/store-outbox.js';
import { clientConfig, MOCK_VERSION } from './services/config.js';
import { createWebSocketHub, type WebSocketHub, type WebSocketHubStats, type WebSocketOptions } from './websocket/hub.js';
import { createHash } from 'node:crypto';

export type { SeedInput, SeedUser, SeedBot, SeedTeam, SeedChannel, SeedToken, SeededLogin } from './seed.js';
export { SeedError, defaultSeed } from './seed.js';
export type { SeededInfo, SeededUser } from './seeded-info.js';
export type { LogBuffer, MockContext } from './context.js';
export type { RouteModule, OnUnhandledRequest } from './app.js';
export type { MockClock } from './clock.js';
export type { MockCorsOptions } from './cors.js';
export { TEST_CONTROLS_PREFIX } from './test-controls.js';
export type { WebSocketOptions, WebSocketHubStats } from './websocket/hub.js';

export interface MockServerOptions {
  /** Port; 0 = any free port. Default 8065. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /**
   * Database file: giving one makes the mock persistent. Without it (and without
   * `inMemory: false`) the mock keeps everything in memory, so parallel suites never share state.
   */
  dbFile?: string;
  /**
   * Keep everything in memory; write no file. Default: true unless `dbFile` is given.
   * `inMemory: false` without `dbFile` uses `./.mattermost-mock/db.json` (the CLI's default).
   */
  inMemory?: boolean;
  /** Seed for a fresh database: an object or the path of a JSON file. Default {@link defaultSeed}. */
  seed?: SeedInput | string;
  /** Discard the existing database and start from the seed. Default false. */
  reset?: boolean;
  /**
   * Hash the seed's passwords at a test suite's cost (scrypt N = 2^10 instead of 2^14), so each
   * login of a seeded user costs about 3 ms of CPU instead of 50. Users created through the API
   * keep the full cost. Default false; `mattermost-pat/testing` turns it on.
   */
  fastSeedPasswords?: boolean;
  /** URLs receiving every token/user/config event as a signed JWT (the middleware's event sender). */
  webhooks?: readonly string[];
  /** HS256 secret (≥ 32 bytes) for the webhooks. Without it events are signed with Ed25519 keys. */
  webhookSecret?: string;
  /**
   * With webhooks: before answering a request that emitted events, wait up to this many ms for
   * their delivery, so a service fed by the webhook refuses a revoked token as soon as the revoke
   * has answered. 0 (default) answers at once, as Mattermost does with its cluster messages.
   */
  webhookWaitMs?: number;
  /**
   * Tuning of the webhooks' event sender (backoff, heartbeat, outbox bounds, close wait). The
   * outbox is kept in the database, so undelivered events survive a restart. Default close wait 2 s.
   */
  webhookOptions?: Pick<EventSenderOptions, 'retryBaseMs' | 'retryMaxMs' | 'heartbeatMs' | 'timeoutMs' | 'closeTimeoutMs' | 'bulkLimit' | 'maxEntries'>;
  /** Ed25519 keys to sign with (generated when webhooks are set and no secret is given). Served at `/.well-known/jwks.json`. */
  webhookKeys?: EventKeys;
  /** Echo every log line to stderr. Default false. */
  logToConsole?: boolean;
  /** Render `detailed_error` in error bodies. Default false. */
  developerMode?: boolean;
  /** Request body limit in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** Bounds on slow or absent clients (all in ms); see {@link ServerTimeouts}. */
  timeouts?: ServerTimeouts;
  /** File-mode tuning of the store (fsync, compaction, warnings) and its test seams. */
  storeOptions?: DurabilityOptions;
  /** Clock (tests). Default `Date.now`. */
  now?: () => number;
  /** Serve the web console at `/` (docs/console.md). Default true. */
  console?: boolean;
  /**
   * Mock-only HTTP test controls under `/__mock/` (reset to the seed, move the clock forward),
   * for suites that run the mock as a process. Not Mattermost. Default false.
   */
  testControls?: boolean;
  /** CORS for browser integrations on another origin (`@koa/cors`). Default: off. */
  cors?: MockCorsOptions;
  /** Requests no route serves: log a warning (default), answer 501 and log an error, or stay quiet. */
  onUnhandledRequest?: OnUnhandledRequest;
  /** WebSocket API tunables (`GET /api/v4/websocket`): timeouts, bounds, `closeRevokedSockets`. See docs/websocket.md. */
  websocket?: WebSocketOptions;
  /**
   * Redis URL: publish every hook event to the fleet's Redis Stream (`mattermost-pat/fleet`,
   * docs/fleet.md), an alternative to signed webhooks. A request that emitted events is answered
   * once they are written (at most 1 s). Needs the optional peer dependency ioredis.
   */
  redis?: string;
}

/** The WebSocket hub as the embedding program sees it. */
export interface MockWebSocket {
  /** Open / authenticated sockets and resumable connections. */
  stats(): WebSocketHubStats;
  /** Deliver a WebSocket event as a service would (`App.Publish`). */
  publish(event: WebSocketEvent): void;
}

/**
 * How long the HTTP server waits for a client. A slow or stuck client costs one socket for at most
 * these times, and an answer the client never reads is dropped with its socket.
 */
export interface ServerTimeouts {
  /** Whole request headers must arrive within this. Default 15 000. */
  headersMs?: number;
  /** Whole request (headers and body) must arrive within this (then 408). Default 60 000. */
  requestMs?: number;
  /** Longest gap between two chunks of a body (then 408). Default 30 000. */
  bodyMs?: number;
  /** A socket with no traffic either way (e.g. an answer nobody reads) is destroyed after this. Default 60 000. */
  idleMs?: number;
}

const TIMEOUT_DEFAULTS = { headersMs: 15_000, requestMs: 60_000, bodyMs: 30_000, idleMs: 60_000 } as const;

/** A started mock server. */
export interface MockServer {
  /** `http://HOST:PORT` */
  readonly url: string;
  readonly port: number;
  /** Stop listening, finish pending writes and release the database. */
  close(): Promise<void>;
  /** Back to the seed (durable), every cached session dropped. */
  reset(): Promise<void>;
  /** The clock every check reads (`now` plus an offset): `clock.advance(ms)` for expiry tests. */
  readonly clock: MockClock;
  readonly hooks: HookBus;
  readonly store: Store;
  readonly logs: LogBuffer;
  /** Seeded logins and ids (read from the database, so correct after a restart too). */
  readonly seeded: SeededInfo;
  /** True when this start created the database from the seed. */
  readonly fresh: boolean;
  /** The Koa app (for supertest: `request(mock.app.callback())`). */
  readonly app: Koa;
  /** Public keys of signed events (empty without key signing). */
  readonly eventKeys: readonly EventKeys[];
  /**
   * Wait until every event emitted so far has been delivered to the webhooks (they are retried
   * until acknowledged: this waits while a webhook is down). Resolves at once without webhooks.
   * Tests use it to start from a quiet state.
   */
  flushEvents(): Promise<void>;
  /** The WebSocket hub of `GET /api/v4/websocket`. */
  readonly websocket: MockWebSocket;
}

/** A mock server assembled but not listening (tests use `app.callback()` with supertest). */
export type MockApp = Omit<MockServer, 'url' | 'port'> & {
  readonly server: MockContext;
  readonly routes: readonly RouteModule[];
  /** The hub; `startMockServer` attaches it to its HTTP server. */
  readonly hub: WebSocketHub;
};

const DEFAULT_DB = './.mattermost-mock/db.json';

/**
 * Assemble store, hook bus, logs, resolver and app without listening.
 *
 * @example
 * ```ts
 * const mock = await createMockApp(); // in memory
 * await request(mock.app.callback()).get('/api/v4/system/ping').expect(200);
 * await mock.close();
 * ```
 */
export async function createMockApp(options: MockServerOptions = {}): Promise<MockApp> {
  const {
    inMemory = options.dbFile === undefined, dbFile = DEFAULT_DB, seed = defaultSeed(), reset = false, webhooks = [], webhookSecret,
    logToConsole = false, developerMode = false, bodyLimit, webhookWaitMs = 0, console: withConsole = true, storeOptions = {},
    fastSeedPasswords = false,
  } = options;
  // One clock for everything, so a test control's jump is seen by every expiry check at once.
  const clock = createMockClock(options.now ?? Date.now);
  const now = clock.now;
  const seedInput = typeof seed === 'string' ? await loadSeedFile(seed) : seed;
  const built = await buildSeed(seedInput, now(), fastSeedPasswords ? FAST_SCRYPT_N : SCRYPT_N);
  const fresh = inMemory || reset || !existsSync(dbFile);
  const store = await openStore({ ...storeOptions, file: dbFile, inMemory, reset, initialData: () => structuredClone(built.data) })
    .catch((err: unknown) => { throw explainStoreOpenError(err, dbFile); });
  const logs = createLogBuffer({ echo: logToConsole, now });
  const logger = bufferLogger(logs);
  const hooks = createHookBus({ logger });
  const resolver = mockResolver({ store, hooks, now, logger });
  const onRefused = (info: { reason: string; tokenId?: string; userId?: string; path: string; method: string; requestId?: string }) => {
    if (info.reason === 'missing') return;
    logs.write('warn', 'token refused', {
      reason: info.reason, token_id: info.tokenId ?? '', user_id: info.userId ?? '', path: info.path, method: info.method, request_id: info.requestId ?? '',
    });
  };
  const strictCsrf = () => store.config.ServiceSettings.ExperimentalStrictCSRFEnforcement;
  const wsListeners = new Set<(event: WebSocketEvent) => void>();
  const hub = createWebSocketHub({
    ...options.websocket, store, hooks, resolver, logger, now, version: MOCK_VERSION,
    serverVersion: () => serverVersion(server),
    onRefused: (info) => onRefused(info),
  });
  wsListeners.add((event) => hub.publish(event));
  const server: MockContext = {
    store, hooks, logs, logger, now,
    publish(event) { for (const listener of wsListeners) listener(event); },
    requireSession: authenticate({ resolver, required: true, onRefused, strictCsrf }),
    optionalSession: authenticate({ resolver, required: false, ignoreInvalid: true, onRefused, strictCsrf }),
  };

  let sender: EventSender | undefined;
  const eventKeys: EventKeys[] = [];
  if (webhooks.length > 0) {
    let signing: EventSigning;
    if (webhookSecret !== undefined) signing = { alg: 'HS256', secret: webhookSecret };
    else {
      const keys = options.webhookKeys ?? await generateEventKeys();
      eventKeys.push(keys);
      signing = { alg: 'EdDSA', privateKey: keys.privateKey, publicJwk: keys.publicJwk, kid: keys.kid };
    }
    sender = createEventSender({ closeTimeoutMs: 2_000, ...options.webhookOptions, hooks, targets: webhooks, signing, logger, outbox: storeOutboxStorage(store) });
  } else if (options.webhookKeys !== undefined) {
    eventKeys.push(options.webhookKeys);
  }

  // Loaded only when asked for: ioredis is an optional peer dependency.
  const bridge = options.redis === undefined ? undefined
    : (await import('../middleware/fleet/event-bridge.js')).redisEventBridge({ redis: options.redis, hooks, subscribe: false, logger });
  const routes = routeModules();
  const settle = sender === undefined ? undefined : settleEvents(sender, webhookWaitMs);
  const beforeResponse = bridge === undefined ? settle : async () => {
    await settle?.();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, 1_000); });
    try { await Promise.race([bridge.flush(), timeout]); } finally { clearTimeout(timer); }
  };
  const bodyTimeoutMs = options.timeouts?.bodyMs ?? TIMEOUT_DEFAULTS.bodyMs;
  let seeded = seededInfo(store, seedInput);
  const resetToSeed = async () => {
    await store.replaceAll(structuredClone(built.data));
    resolver.clear();
    seeded = seededInfo(store, seedInput);
    logger.info('database reset to the seed');
  };
  const app = createApp({
    server, routes, rootRoutes: rootRouteModules(), bodyLimit, bodyTimeoutMs, developerMode, jwks: eventKeys, beforeResponse, console: withConsole,
    cors: options.cors, onUnhandledRequest: options.onUnhandledRequest,
    testControls: options.testControls === true ? { reset: resetToSeed, clock } : undefined,
  });
  // Outgoing webhooks observe every new post (Mattermost's handleWebhookEvents).
  const webhookTrigger = outgoingWebhookTrigger(server);
  const stopWebhookTrigger = observePosts(store, webhookTrigger);
  let closed = false;
  return {
    app, server, routes, hooks, store, logs, fresh, eventKeys, hub, clock,
    websocket: { stats: () => hub.stats(), publish: (event) => server.publish(event) },
    get seeded() { return seeded; },
    flushEvents: () => (sender === undefined ? Promise.resolve() : sender.flush()),
    reset: resetToSeed,
    async close() {
      if (closed) return;
      closed = true;
      stopWebhookTrigger();
      await Promise.allSettled([...webhookTrigger.pending]);
      await hub.close();
      resolver.close();
      if (sender !== undefined) await sender.close();
      await bridge?.close();
      await store.close();
    },
  };
}

/**
 * `hello.server_version` as Mattermost builds it: `CurrentVersion.BuildNumber.ClientConfigHash.IsEnterprise`
 * (the hash changes with the client config, so a client can tell it must refetch it).
 */
function serverVersion(server: MockContext): string {
  const hash = createHash('md5').update(JSON.stringify(clientConfig(server))).digest('hex');
  return `${MOCK_VERSION}.${MOCK_VERSION}.${hash}.false`;
}

/**
 * Before an answer: the events the request emitted are in the durable outbox (so a revoke that
 * answered survives a crash), then, with `waitMs`, wait for their delivery, at most `waitMs` (a
 * down webhook never stalls the API for longer).
 */
function settleEvents(sender: EventSender, waitMs: number): () => Promise<void> {
  return async function settle() {
    await sender.outbox.appended();
    if (waitMs <= 0 || sender.pending === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, waitMs); });
    try {
      await Promise.race([sender.flush(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}

function listen(http: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    http.once('error', onError);
    http.listen(port, host, () => {
      http.off('error', onError);
      resolve((http.address() as AddressInfo).port);
    });
  });
}

/**
 * Start the mock server.
 *
 * @example
 * ```ts
 * const mock = await startMockServer({ port: 0 });                                  // in memory
 * const kept = await startMockServer({ port: 0, dbFile: './.mattermost-mock/db.json' }); // persistent
 * ```
 */
export async function startMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  const { port = 8065, host = '127.0.0.1' } = options;
  const mock = await createMockApp(options);
  const timeouts = { ...TIMEOUT_DEFAULTS, ...options.timeouts };
  const callback = mock.app.callback();
  const http = createServer({
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    // Node checks the two bounds above on this interval (30 s by default): keep it below them.
    connectionsCheckingInterval: Math.max(10, Math.min(timeouts.headersMs, timeouts.requestMs) / 4),
    keepAliveTimeout: 5_000,
  }, (req, res) => {
    if (!mock.hub.handleRequest(req, res)) void callback(req, res);
  });
  mock.hub.attach(http);
  // Inactivity either way: without a 'timeout' listener Node destroys the socket (and the unread
  // answer with it). Upgraded sockets leave this behind (ws clears their timeout) and keep alive by ping.
  http.setTimeout(timeouts.idleMs);
  let actualPort: number;
  try {
    actualPort = await listen(http, port, host);
  } catch (err) {
    await mock.close();
    throw err;
  }
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${actualPort}`,
    port: actualPort,
    app: mock.app,
    hooks: mock.hooks,
    store: mock.store,
    logs: mock.logs,
    fresh: mock.fresh,
    eventKeys: mock.eventKeys,
    clock: mock.clock,
    get seeded() { return mock.seeded; },
    flushEvents: () => mock.flushEvents(),
    websocket: mock.websocket,
    reset: () => mock.reset(),
    close() {
      closing ??= (async () => {
        await mock.hub.close();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeIdleConnections();
          setTimeout(() => http.closeAllConnections(), 1_000).unref();
        });
        await mock.close();
      })();
      return closing;
    },
  };
}
