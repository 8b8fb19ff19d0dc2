/**
 * `authenticate()`: find the request's token (Mattermost's rules, see `extract.ts`), resolve it
 * through a {@link TokenResolver}, and put the principal on `ctx.state.auth` (typed app-wide).
 *
 * Every refusal answers the same 401 `api.context.session_expired.app_error` with
 * `WWW-Authenticate: Bearer realm="mattermost", error="invalid_token"` and an expiring
 * `MMAUTHTOKEN` cookie, as Mattermost does; the precise reason is logged with the token id
 * (never the secret) and passed to `onRefused`. Errors that are not refusals (an `AppError` 503
 * from a remote resolver, a store failure) propagate unchanged.
 *
 * @example
 * ```ts
 * import Koa from 'koa';
 * import { authenticate, errorBoundary, requestId, storeResolver, cachedResolver } from 'mattermost-pat';
 * const app = new Koa();
 * app.use(requestId());
 * app.use(errorBoundary());
 * app.use(authenticate({ resolver: cachedResolver(storeResolver(store), { hooks }), exclude: ['/healthz'] }));
 * app.use((ctx) => { ctx.body = { user: ctx.state.auth?.username }; });
 * ```
 */
import type Koa from 'koa';
import { safeEqual } from '../util/digest.js';
import { AppError } from '../errors/app-error.js';
import { extractToken, SESSION_COOKIE, type ExtractedToken } from './extract.js';
import { isPromiseLike } from '../util/maybe-promise.js';
import { bearerChallenge } from './principal.js';
import { AuthFailure, type AuthFailureReason } from './auth-failure.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Principal, TokenResolver, TokenSource } from '../types.js';

/** What `onRefused` (and the log line) learns about a refused request. Never the secret. */
export interface RefusalInfo {
  readonly reason: AuthFailureReason;
  readonly tokenId?: string;
  readonly userId?: string;
  /** Where the refused token came from; undefined when no token was sent. */
  readonly source: TokenSource | undefined;
  readonly requestId?: string;
  readonly path: string;
  readonly method: string;
}

/** A route matcher: exact path, prefix when the string ends with `*`, or a RegExp. */
export type ExcludeRule = string | RegExp;

export interface AuthenticateOptions {
  /** Turns the presented token into a principal (`storeResolver`, `cachedResolver`, `remoteResolver`). */
  resolver: TokenResolver;
  /** Default true. False: a request without a token passes anonymously (a bad token still gets 401). */
  required?: boolean;
  /**
   * With `required: false` only: a refused token is ignored and the request proceeds anonymously
   * (Mattermost's non-session routes such as login). Default false.
   */
  ignoreInvalid?: boolean;
  /** Routes that skip authentication entirely. */
  exclude?: readonly ExcludeRule[] | ((ctx: Koa.Context) => boolean);
  /** Where refusal reasons go (info level). Default: silent. */
  logger?: Logger;
  /** `realm` of the `WWW-Authenticate` challenge. Default `mattermost`. */
  realm?: string;
  /** `ServiceSettings.ExperimentalStrictCSRFEnforcement`: `X-Requested-With` no longer excuses a missing CSRF header. */
  strictCsrf?: boolean | (() => boolean);
  /** Called once per refused request (after logging). Exceptions from it are ignored. */
  onRefused?: (info: RefusalInfo) => void;
}

const EXPIRED_COOKIE = `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly`;

function compileExclude(exclude: AuthenticateOptions['exclude']): ((ctx: Koa.Context) => boolean) | undefined {
  if (exclude === undefined) return undefined;
  if (typeof exclude === 'function') return exclude;
  if (exclude.length === 0) return undefined;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const patterns: RegExp[] = [];
  for (const rule of exclude) {
    if (typeof rule !== 'string') patterns.push(rule);
    else if (rule.endsWith('*')) prefixes.push(rule.slice(0, -1));
    else exact.add(rule);
  }
  return (ctx) => {
    const { path } = ctx;
    if (exact.has(path)) return true;
    for (const prefix of prefixes) if (path.startsWith(prefix)) return true;
    for (const pattern of patterns) {
      pattern.lastIndex = 0;
      if (pattern.test(path)) return true;
    }
    return false;
  };
}

/**
 * Authenticate requests by Mattermost token. See the module documentation.
 * @example
 * ```ts
 * const requireSession = authenticate({ resolver });
 * const optionalSession = authenticate({ resolver, required: false, ignoreInvalid: true });
 * router.get('/users/me', requireSession, getMe);
 * router.post('/users/login', optionalSession, login);
 * ```
 */
export function authenticate(options: AuthenticateOptions): Koa.Middleware {
  const {
    resolver,
    required = true,
    ignoreInvalid = false,
    exclude,
    logger = silentLogger,
    realm = 'mattermost',
    strictCsrf = false,
    onRefused,
  } = options;
  if (resolver === undefined || typeof resolver.resolve !== 'function') {
    throw new TypeError('authenticate(): options.resolver with a resolve() method is required');
  }
  const isExcluded = compileExclude(exclude);
  const ignoreRefusals = !required && ignoreInvalid;
  const isStrict = typeof strictCsrf === 'function' ? strictCsrf : () => strictCsrf;
  const invalidTokenChallenge = bearerChallenge(realm, 'invalid_token');

  const report = (ctx: Koa.Context, info: Omit<RefusalInfo, 'path' | 'method' | 'requestId'>) => {
    const full: RefusalInfo = { ...info, requestId: ctx.state.requestId, path: ctx.path, method: ctx.method };
    logger.info('authentication refused', { ...full });
    if (onRefused !== undefined) {
      try {
        onRefused(full);
      } catch (err) {
        logger.error('onRefused threw', { error: err instanceof Error ? err.message : String(err) });
      }
    }
  };

  /** The single 401 every refused token gets. */
  const sessionExpired = (detailed: string, expireCookie: boolean) => new AppError('api.context.session_expired.app_error', {
    detailed,
    headers: expireCookie
      ? { 'WWW-Authenticate': invalidTokenChallenge, 'Set-Cookie': EXPIRED_COOKIE }
      : { 'WWW-Authenticate': invalidTokenChallenge },
  });

  const refused = (ctx: Koa.Context, found: ExtractedToken, err: AuthFailure, next: Koa.Next) => {
    report(ctx, { reason: err.reason, tokenId: err.tokenId, userId: err.userId, source: found.source });
    if (ignoreRefusals) return next();
    // Mattermost's ServeHTTP calls RemoveSessionCookie for every refused token on a session route.
    throw sessionExpired(err.reason, true);
  };

  const accept = (ctx: Koa.Context, found: ExtractedToken, principal: Principal, next: Koa.Next) => {
    if (found.source === 'query' && principal.isOAuth !== true) {
      report(ctx, { reason: 'query_token_forbidden', tokenId: principal.tokenId, userId: principal.userId, source: 'query' });
      throw new AppError('api.context.token_provided.app_error', {
        detailed: 'QueryToken',
        headers: { 'WWW-Authenticate': bearerChallenge(realm, 'invalid_request') },
      });
    }
    if (found.source === 'cookie' && ctx.method !== 'GET' && !csrfPasses(ctx, principal, isStrict)) {
      report(ctx, { reason: 'csrf', tokenId: principal.tokenId, userId: principal.userId, source: 'cookie' });
      throw sessionExpired('Appears to be a CSRF attempt', false);
    }
    ctx.state.auth = principal;
    ctx.state.authSource = found.source;
    return next();
  };

  return function authenticateMiddleware(ctx, next) {
    if (isExcluded !== undefined && isExcluded(ctx)) return next();
    const found = extractToken(ctx);
    if (found === undefined) {
      if (!required) return next();
      report(ctx, { reason: 'missing', source: undefined });
      throw new AppError('api.context.session_expired.app_error', {
        detailed: 'UserRequired',
        headers: { 'WWW-Authenticate': bearerChallenge(realm) },
      });
    }
    let result: Principal | PromiseLike<Principal>;
    try {
      result = resolver.resolve(found.token, { source: found.source, requestId: ctx.state.requestId });
    } catch (err) {
      if (err instanceof AuthFailure) return refused(ctx, found, err, next);
      throw err;
    }
    if (!isPromiseLike<Principal>(result)) return accept(ctx, found, result, next);
    return Promise.resolve(result).then(
      (principal) => accept(ctx, found, principal, next),
      (err: unknown) => {
        if (err instanceof AuthFailure) return refused(ctx, found, err, next);
        throw err;
      },
    );
  };
}

/**
 * Mattermost's `checkCSRFToken` for cookie-borne tokens on non-GET requests: the `X-CSRF-Token`
 * header must equal the session's CSRF token (`''` for PAT sessions, so a PAT cookie without the
 * header passes); otherwise `X-Requested-With: XMLHttpRequest` passes unless strict enforcement.
 */
function csrfPasses(ctx: Koa.Context, principal: Principal, isStrict: () => boolean): boolean {
  const header = ctx.headers['x-csrf-token'];
  const sent = (Array.isArray(header) ? header[0] : header) ?? '';
  if (safeEqual(sent, principal.csrf ?? '')) return true;
  return ctx.headers['x-requested-with'] === 'XMLHttpRequest' && !isStrict();
}
