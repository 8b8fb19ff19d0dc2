/**
 * Optional CORS for browser-based integrations served from another origin (a web app on
 * `http://localhost:5173` calling the mock on `:8065`), with `@koa/cors`. Off unless `cors` is
 * given. Like Mattermost's `ServiceSettings.AllowCorsFrom`, the allowed origins are listed (or
 * `*`); the headers Client4 reads (`Token` after login, `X-Request-ID`, `X-Version-Id`, `ETag`)
 * are exposed, as `CorsExposedHeaders` would be configured for a browser client.
 *
 * @example
 * ```ts
 * app.use(mockCors({ origin: ['http://localhost:5173'] }));
 * ```
 */
import cors from '@koa/cors';
import type Koa from 'koa';

/** CORS settings of the mock. */
export interface MockCorsOptions {
  /** Allowed origins: `*`, one origin or a list (exact `scheme://host:port` matches). */
  origin: string | readonly string[];
  /** Send `Access-Control-Allow-Credentials: true` (cookies). Not with `*`. Default false. */
  credentials?: boolean;
}

/** Response headers a browser client may read. */
const EXPOSED = ['Token', 'X-Request-ID', 'X-Version-Id', 'ETag', 'Last-Modified'];

/**
 * The CORS middleware for the given origins. A request from an origin not listed gets no CORS
 * headers (the browser then refuses it), and is otherwise answered as usual.
 *
 * @example
 * ```ts
 * app.use(mockCors({ origin: '*' }));
 * ```
 */
export function mockCors(options: MockCorsOptions): Koa.Middleware {
  const origins = typeof options.origin === 'string' ? [options.origin] : [...options.origin];
  const any = origins.includes('*');
  if (any && options.credentials === true) throw new TypeError('cors: credentials cannot be used with origin "*"');
  return cors({
    origin: (ctx) => {
      if (any) return '*';
      const requested = ctx.get('Origin');
      return origins.includes(requested) ? requested : '';
    },
    credentials: options.credentials === true,
    exposeHeaders: EXPOSED,
    allowMethods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH'],
    maxAge: 600,
  });
}
