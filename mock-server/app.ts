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
 * @example
 * ```ts
 * const app = createApp({ server, routes: [tokenRoutes, userRoutes] });
 * app.listen(8065);
 * ```
 */
import Router from '@koa/router';
import Koa from 'koa';
import { AppError } from './errors.js';
import { errorBoundary } from '../middleware/errors/error-boundary.js';
import { jwksHandler, type PublicKeySource } from '../middleware/events/event-keys.js';
import { rateLimit } from '../middleware/http/rate-limit.js';
import { requestId } from '../middleware/http/request-id.js';
import { bodyReader } from './body.js';
import { consoleAssets } from './console/serve.js';
import type { MockContext } from './context.js';
import { mockCors, type MockCorsOptions } from './cors.js';
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
  app.use(requestId());
  app.use(errorBoundary({
    developerMode: () => developerMode || server.store.config.ServiceSettings.EnableDeveloper,
    logger: server.logger,
  }));
  app.use(function versionHeader(ctx, next) {
    ctx.set('X-Version-Id', VERSION_ID);
    return next();
  });
  if (beforeResponse !== undefined) {
    app.use(async function settleBeforeResponse(_ctx, next) {
      await next();
      await beforeResponse();
    });
  }
  // Config `RateLimitSettings` (off in the default seed), read per request; before the body is read.
  app.use(rateLimit({ settings: () => server.store.config.RateLimitSettings, now: () => server.now(), logger: server.logger }));
  app.use(bodyReader({ limit: bodyLimit, ...(bodyTimeoutMs === undefined ? {} : { timeoutMs: bodyTimeoutMs }) }));
  if (jwks !== undefined && jwks.length > 0) app.use(jwksHandler(jwks, { path: '/.well-known/jwks.json' }));
  if (withConsole) app.use(consoleAssets());
  if (options.testControls !== undefined) app.use(testControls(options.testControls));
  const router = new Router({ prefix: '/api/v4' });
  for (const register of routes) register(router, server);
  app.use(router.routes());
  const root = new Router();
  for (const register of rootRoutes) register(root, server);
  app.use(root.routes());
  app.use(function notFound(ctx) {
    if (ctx.body !== undefined && ctx.body !== null) return;
    // ctx.path only: the query string may hold a token (`?access_token=`), and logs never hold secrets.
    const fields = { method: ctx.method, path: ctx.path, request_id: ctx.state.requestId ?? '' };
    if (onUnhandledRequest === 'error') {
      server.logger.error('unhandled request', fields);
      throw new AppError('api.mock.unhandled_request.app_error', { detailed: `${ctx.method} ${ctx.path}` });
    }
    if (onUnhandledRequest === 'warn') server.logger.warn('unhandled request', fields);
    throw new AppError('api.context.404.app_error', { detailed: `path=${ctx.path}` });
  });
  return app;
}
