/**
 * The mock server's Koa app: request id → error boundary (Mattermost error bodies) → version
 * header → rate limit (`RateLimitSettings`) → bounded body reading (413 beyond the limit) → JWKS
 * (when events are signed with keys)
 * → the test controls under `/__mock/` (only when enabled) → the REST API v4 router under
 * `/api/v4` → Mattermost's 404 body for every unknown route or method, with one log line naming
 * the method and path (`onUnhandledRequest`, as msw's option of that name). With `cors`, CORS
 * headers come first of all (`@koa/cors`). Route modules register themselves on the router; they authenticate only through the
 * middleware's `authenticate()` (`server.requireSession` / `server.optionalSession`).
 *
 * Per request the stack does as little as it can (issue 15): a path under `/api/v4/` goes from
 * the body reader straight to the API router (the JWKS, console and test controls never answer
 * one), the router finds its candidate routes through an index (`route-index.ts`) instead of
 * testing every route's regexp, and the rate limiter is skipped while `RateLimitSettings` is off.
 *
 * @example
 * ```ts
 * const app = createApp({ server, routes: [tokenRoutes, userRoutes] });
 * app.listen(8065);
 * ```
 */
import Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import { AppError } from './errors.js';
import { errorBoundary } from '../middleware/errors/error-boundary.js';
import { jwksHandler, type PublicKeySource } from '../middleware/events/event-keys.js';
import { rateLimit } from '../middleware/http/rate-limit.js';
import { requestId } from '../middleware/http/request-id.js';
import { bodyReader } from './body.js';
import { consoleAssets } from './console/serve.js';
import type { MockContext } from './context.js';
import { mockCors, type MockCorsOptions } from './cors.js';
import { indexedRoutes } from './route-index.js';
import { MOCK_VERSION } from './services/config.js';
import { testControls, type TestControlsOptions } from './test-controls.js';

/** A route module: registers its routes on the `/api/v4` router. */
export type RouteModule = (router: Router, server: MockContext) => void;

export interface CreateAppOptions {
  server: MockContext;
  /** Route modules, in registration order (more specific paths first). */
  routes: readonly RouteModule[];
  /** Route modules mounted at the root instead of `/api/v4` (e.g. `POST /hooks/{id}`). */
  rootRoutes?: readonly RouteModule[];
  /** Body size limit in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** Longest gap between two chunks of a request body, in ms (then 408). Default 30 000. */
  bodyTimeoutMs?: number;
  /** Render `detailed_error` (also on while `ServiceSettings.EnableDeveloper` is true). Default false. */
  developerMode?: boolean;
  /** Public keys to serve at `/.well-known/jwks.json`. */
  jwks?: readonly PublicKeySource[];
  /**
   * Called after a handler succeeded and before its response is sent; the mock uses it to wait
   * (bounded) for the webhook delivery of the events the request emitted.
   */
  beforeResponse?: () => Promise<void>;
  /** Serve the web console at `/` (`mock-server/console/`). Default false. */
  console?: boolean;
  /** Mount the mock-only test controls under `/__mock/` (`test-controls.ts`). Default: off. */
  testControls?: TestControlsOptions;
  /** Answer CORS requests from these origins. Default: off (no CORS headers). */
  cors?: MockCorsOptions;
  /** What a request no route serves does besides its 404; see {@link OnUnhandledRequest}. Default 'warn'. */
  onUnhandledRequest?: OnUnhandledRequest;
}

/**
 * A request no route serves (a wrong path, or a Mattermost route the mock does not emulate):
 * - `'warn'`: Mattermost's 404 `api.context.404.app_error`, and one `warn` log line
 *   `unhandled request` naming `method` and `path`;
 * - `'error'`: 501 `api.mock.unhandled_request.app_error` and an `error` log line, so a suite
 *   that only wants emulated routes fails loudly;
 * - `'off'`: the 404 alone.
 *
 * The line goes to the log buffer (`GET /api/v4/logs`) always, and to stderr with `--log`.
 */
export type OnUnhandledRequest = 'warn' | 'error' | 'off';

/** Mattermost's `X-Version-Id`: version.build.hash.enterprise. */
const VERSION_ID = `${MOCK_VERSION}.${MOCK_VERSION}.mattermost-pat-mock.false`;

/** Where the REST API v4 router is mounted. */
const API_PREFIX = '/api/v4';
/** Request paths that only the API router (or the 404 after it) can answer. */
const API_PATHS = `${API_PREFIX}/`;

/**
 * Run `middleware` in order as one middleware (`koa-compose`, without its guard against a
 * second `next()`: these are the app's own, fixed middleware).
 */
function chain(middleware: readonly Middleware[]): Middleware {
  return function chained(ctx, next) {
    return runFrom(middleware, 0, ctx, next);
  };
}

// Module-level rather than a closure made per request (tsx also names each such closure).
function runFrom(middleware: readonly Middleware[], i: number, ctx: Koa.Context, next: Koa.Next): Promise<void> {
  const fn = middleware[i];
  if (fn === undefined) return next();
  try {
    return Promise.resolve(fn(ctx, () => runFrom(middleware, i + 1, ctx, next)));
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * `limiter` (a `rateLimit()` middleware) only while the settings enable it. Off, the limiter
 * would pass every request on unchanged; it is still called once after the settings were on, so
 * that it drops its state (it rebuilds its buckets whenever the settings change) exactly as if it
 * had seen every request.
 */
function whileRateLimited(settings: () => Readonly<Record<string, unknown>> | undefined, limiter: Middleware): Middleware {
  let limiterOff = false;
  return function rateLimitWhenOn(ctx, next) {
    const off = settings()?.Enable !== true;
    if (off && limiterOff) return next();
    limiterOff = off;
    return limiter(ctx, next);
  };
}

/** Settles in the check phase of the event loop's current turn: one `setImmediate` for every request answered in it. */
let turnEnd: Promise<void> | undefined;

function endOfTurn(): Promise<void> {
  turnEnd ??= new Promise<void>((resolve) => {
    setImmediate(() => {
      turnEnd = undefined;
      resolve();
    });
  });
  return turnEnd;
}

/**
 * The answers of every request handled within the turn of the event loop it arrived in are
 * written together, once the turn's I/O is handled: the bytes and the order of each connection's
 * answers are unchanged, and so is the number of writes (one per answer). Over loopback a write
 * that finds its reader asleep pays for waking it (`sock_def_readable` → a wakeup: the biggest
 * single cost of `POST /posts` in memory, bench/RESULTS.md round 4); written back to back, the
 * answers find it awake. A request that
 * waited for I/O past its turn (a file database's group commit, which already answers its writes
 * together) is answered at once. Outermost but for CORS: error answers wait too.
 */
function answerWithTheTurn(_ctx: Koa.Context, next: Koa.Next): Promise<void> {
  const arrived = endOfTurn();
  return next().then(() => (turnEnd === arrived ? arrived : undefined));
}

/**
 * Build the Koa app.
 *
 * @example
 * ```ts
 * const app = createApp({ server, routes: routeModules(), bodyLimit: 1 << 20 });
 * http.createServer(app.callback()).listen(8065);
 * ```
 */
export function createApp(options: CreateAppOptions): Koa {
  const {
    server, routes, rootRoutes = [], bodyLimit = 1024 * 1024, bodyTimeoutMs, developerMode = false, jwks, beforeResponse,
    console: withConsole = false, onUnhandledRequest = 'warn',
  } = options;
  const app = new Koa();
  app.proxy = false;
  app.silent = true;
  // First, so error answers and preflights carry the CORS headers too.
  if (options.cors !== undefined) app.use(mockCors(options.cors));
  app.use(answerWithTheTurn);
  app.use(requestId());
  app.use(errorBoundary({
    developerMode: () => developerMode || server.store.config.ServiceSettings.EnableDeveloper,
    logger: server.logger,
  }));
  app.use(function versionHeader(ctx, next) {
    // What ctx.set() ends in, without its per-call arrays (a constant string needs no normalizing).
    ctx.res.setHeader('X-Version-Id', VERSION_ID);
    return next();
  });
  if (beforeResponse !== undefined) {
    app.use(async function settleBeforeResponse(_ctx, next) {
      await next();
      await beforeResponse();
    });
  }
  // Config `RateLimitSettings` (off in the default seed), read per request; before the body is read.
  const limiter = whileRateLimited(
    () => server.store.config.RateLimitSettings,
    rateLimit({ settings: () => server.store.config.RateLimitSettings, now: () => server.now(), logger: server.logger }),
  );
  const readBody = bodyReader({ limit: bodyLimit, ...(bodyTimeoutMs === undefined ? {} : { timeoutMs: bodyTimeoutMs }) });
  const router = new Router({ prefix: API_PREFIX });
  for (const register of routes) register(router, server);
  const root = new Router();
  for (const register of rootRoutes) register(root, server);
  const notFound: Middleware = (ctx) => {
    if (ctx.body !== undefined && ctx.body !== null) return;
    // ctx.path only: the query string may hold a token (`?access_token=`), and logs never hold secrets.
    const fields = { method: ctx.method, path: ctx.path, request_id: ctx.state.requestId ?? '' };
    if (onUnhandledRequest === 'error') {
      server.logger.error('unhandled request', fields);
      throw new AppError('api.mock.unhandled_request.app_error', { detailed: `${ctx.method} ${ctx.path}` });
    }
    if (onUnhandledRequest === 'warn') server.logger.warn('unhandled request', fields);
    throw new AppError('api.context.404.app_error', { detailed: `path=${ctx.path}` });
  };
  // The routers set `ctx.params` / `ctx.router` themselves before their handlers run.
  const apiRoutes = indexedRoutes(router);
  const rootRouter = root.routes() as unknown as Middleware;
  const everything: Middleware[] = [];
  if (jwks !== undefined && jwks.length > 0) everything.push(jwksHandler(jwks, { path: '/.well-known/jwks.json' }));
  if (withConsole) everything.push(consoleAssets());
  if (options.testControls !== undefined) everything.push(testControls(options.testControls) as unknown as Middleware);
  everything.push(apiRoutes, rootRouter, notFound);
  // A path under `/api/v4/` goes straight to the API router: the JWKS, the console and the test
  // controls serve none (they answer `/.well-known/jwks.json`, `/`, `/static/console/…` and
  // `/__mock/…` only), so skipping them changes no answer. Every other path takes the whole chain.
  const api = chain([apiRoutes, rootRouter, notFound]);
  const rest = chain(everything);
  const route: Middleware = (ctx, next) => (ctx.path.startsWith(API_PATHS) ? api(ctx, next) : rest(ctx, next));
  // Rate limit, body, routes: one middleware of the app (Koa's compose wraps each in a promise).
  app.use(function limitReadRoute(ctx, next) {
    return limiter(ctx, () => readBody(ctx, () => route(ctx, next)));
  });
  return app;
}
