/**
 * `rateLimit()`: Mattermost's API rate limiter (`RateLimitSettings`; `app/ratelimit.go` on
 * throttled's GCRA limiter, a token bucket kept as one "theoretical arrival time" per key) plus a
 * failed-authentication throttle.
 *
 * - General limit (as Mattermost): each client key may send `MaxBurst + 1` requests at once, then
 *   `PerSec` per second. Every response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
 *   `X-RateLimit-Reset` (seconds until the bucket is full again); a refused request gets 429
 *   `api.context.rate_limited.app_error` with `Retry-After` (seconds, rounded up) and the
 *   handler never runs (the body is not read).
 * - Failed-authentication throttle (not in Mattermost): every 401 (bad token, wrong
 *   password) spends one unit of two buckets: one keyed by the client's address, one keyed by the
 *   credential that failed (the SHA-256 of the token, or the login id of a login body)
 *   (`FailedAuthMaxBurst` units each, refilled at `FailedAuthPerMin` per minute). It can never be
 *   turned against other users:
 *   - a request with a valid credential is never refused because of other requests' failures:
 *     the address bucket does not stop a request from being checked; once it is empty, a request
 *     that then fails gets 429 with `Retry-After` instead of its 401, and one that proves valid
 *     passes;
 *   - a token whose own bucket is empty (it failed `FailedAuthMaxBurst` times) gets 429 before it
 *     is resolved: only requests carrying that same secret can have spent it;
 *   - nothing is reserved while a request runs, so requests in flight (slow or unfinished
 *     uploads) cost nothing, and a request that did not end in a 401 (a body that timed out, a
 *     413) is not a failure.
 *   Guessing one account's password is bounded by the login lockout (`MaximumLoginAttempts`).
 *
 * Keys as Mattermost's `GenerateKey`: with `VaryByUser` the request's token (SHA-256 of it: no
 * secret is kept in memory) else, with `VaryByRemoteAddr`, the remote address; then the value of
 * the `VaryByHeader` header (lower-cased). Each bucket store is an LRU of at most
 * `MemoryStoreSize` keys (O(1) per request, bounded memory; long keys are hashed).
 *
 * Deviation: Mattermost answers 429 with the plain-text body `limit exceeded`; this middleware
 * throws an `AppError` so the error boundary renders Mattermost's JSON error body (which
 * `@mattermost/client` can parse).
 *
 * @example
 * ```ts
 * import { rateLimit, requestId, errorBoundary } from 'mattermost-pat';
 * app.use(requestId());
 * app.use(errorBoundary());
 * app.use(rateLimit({ settings: { Enable: true, PerSec: 10, MaxBurst: 100, VaryByRemoteAddr: true } }));
 * // or follow a live config: rateLimit({ settings: () => config.RateLimitSettings })
 * ```
 */
import type Koa from 'koa';
import { sha256Hex } from '../util/digest.js';
import { AppError } from '../errors/app-error.js';
import { extractToken } from '../auth/extract.js';
import { silentLogger, type Logger } from '../logger.js';

/** Mattermost's `RateLimitSettings` (+ this package's failed-authentication throttle settings, not in Mattermost). */
export interface RateLimitSettings {
  /** Default false: nothing is limited and no header is added. */
  Enable?: boolean;
  /** Sustained requests per second per key. Default 10. 0 = no general limit (only the failed-auth throttle). */
  PerSec?: number;
  /** Requests allowed above the rate in one burst. Default 100. */
  MaxBurst?: number;
  /** Keys remembered (LRU) per bucket store. Default 10000. */
  MemoryStoreSize?: number;
  /** Key by the remote address. Default true. */
  VaryByRemoteAddr?: boolean;
  /** Key by the request's token (falls back to the address when none and `VaryByRemoteAddr`). Default false. */
  VaryByUser?: boolean;
  /** Also key by this request header's value. Default '' (none). */
  VaryByHeader?: string;
  /** Not in Mattermost: 401 answers an address, or a credential, may receive in a burst before its failures are answered 429; 0 = throttle off. Default 20. */
  FailedAuthMaxBurst?: number;
  /** Not in Mattermost: failed attempts forgiven per minute once the burst is spent. Default 12 (one every 5 s). */
  FailedAuthPerMin?: number;
}

/** Settings as given: the typed interface or a loosely typed config section (checked at run time). */
export type RateLimitSettingsInput = RateLimitSettings | Readonly<Record<string, unknown>>;

export interface RateLimitOptions {
  /** The settings, or a function returning the current ones (read per request; state resets when they change). Default: off. */
  settings?: RateLimitSettingsInput | (() => RateLimitSettingsInput);
  /** The client's address. Default `ctx.ip` (honours `app.proxy`). */
  remoteAddress?: (ctx: Koa.Context) => string;
  /** Whether a finished request counts as a failed authentication. Default: status 401. */
  isAuthFailure?: (ctx: Koa.Context, status: number) => boolean;
  /**
   * The credential a request without a token presented, for the per-credential failure bucket;
   * read after the request ran. Default: the `login_id` of a parsed login body
   * (`ctx.request.body.login_id`, lower-cased), as Mattermost's `POST /users/login` takes it.
   */
  credentialOf?: (ctx: Koa.Context) => string | undefined;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
  /** Throttled clients are logged (warn) with their key kind, never a token. Default: silent. */
  logger?: Logger;
}

/** One GCRA decision (throttled's `RateLimitResult`, durations in ms). */
export interface RateDecision {
  readonly limited: boolean;
  readonly limit: number;
  readonly remaining: number;
  readonly resetAfterMs: number;
  /** -1 unless limited. */
  readonly retryAfterMs: number;
}

/**
 * A keyed GCRA limiter with an LRU store: `limit` requests at once, then one per `intervalMs`.
 *
 * @example
 * ```ts
 * const bucket = new GcraLimiter({ intervalMs: 100, limit: 5, capacity: 10_000 });
 * bucket.take('10.0.0.1', Date.now()).limited; // false for the first 5 calls in a row
 * ```
 */
export class GcraLimiter {
  readonly intervalMs: number;
  readonly limit: number;
  readonly capacity: number;
  readonly #tolerance: number;
  /** key → theoretical arrival time (ms); Map order is recency order. */
  readonly #tat = new Map<string, number>();

  constructor(options: { intervalMs: number; limit: number; capacity: number }) {
    this.intervalMs = options.intervalMs;
    this.limit = Math.max(1, options.limit);
    this.capacity = Math.max(1, options.capacity);
    this.#tolerance = this.intervalMs * this.limit;
  }

  /** Keys currently remembered (≤ capacity). */
  get size(): number {
    return this.#tat.size;
  }

  /** Spend `quantity` units (0 = peek) unless that would exceed the limit. */
  take(key: string, now: number, quantity = 1): RateDecision {
    const stored = this.#tat.get(key);
    const tat = stored === undefined || stored < now ? now : stored;
    const newTat = tat + quantity * this.intervalMs;
    const allowAt = newTat - this.#tolerance;
    let limited = false;
    let retryAfterMs = -1;
    let ttl: number;
    if (now < allowAt) {
      limited = true;
      retryAfterMs = allowAt - now;
      ttl = tat - now;
    } else {
      ttl = newTat - now;
      if (quantity > 0) this.#remember(key, newTat);
    }
    const next = this.#tolerance - ttl;
    const remaining = next > -this.intervalMs ? Math.max(0, Math.floor(next / this.intervalMs)) : 0;
    return { limited, limit: this.limit, remaining, resetAfterMs: ttl, retryAfterMs };
  }

  /** Whether taking `quantity` units now would be refused (nothing is recorded). */
  peek(key: string, now: number, quantity = 1): RateDecision {
    const stored = this.#tat.get(key);
    const tat = stored === undefined || stored < now ? now : stored;
    const allowAt = tat + quantity * this.intervalMs - this.#tolerance;
    const ttl = tat - now;
    const next = this.#tolerance - ttl;
    const remaining = next > -this.intervalMs ? Math.max(0, Math.floor(next / this.intervalMs)) : 0;
    return now < allowAt
      ? { limited: true, limit: this.limit, remaining, resetAfterMs: ttl, retryAfterMs: allowAt - now }
      : { limited: false, limit: this.limit, remaining, resetAfterMs: ttl, retryAfterMs: -1 };
  }

  /** Give back `quantity` units taken earlier. */
  refund(key: string, now: number, quantity = 1): void {
    const stored = this.#tat.get(key);
    if (stored === undefined) return;
    const tat = stored - quantity * this.intervalMs;
    if (tat <= now) this.#tat.delete(key);
    else this.#tat.set(key, tat);
  }

  #remember(key: string, tat: number): void {
    this.#tat.delete(key);
    this.#tat.set(key, tat);
    if (this.#tat.size > this.capacity) {
      const oldest = this.#tat.keys().next();
      if (oldest.done !== true) this.#tat.delete(oldest.value);
    }
  }
}

interface Normalized {
  enable: boolean;
  perSec: number;
  maxBurst: number;
  memoryStoreSize: number;
  byAddr: boolean;
  byUser: boolean;
  header: string;
  failBurst: number;
  failPerMin: number;
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
}

function normalize(input: RateLimitSettingsInput | undefined): Normalized {
  const s = (input ?? {}) as Readonly<Record<string, unknown>>;
  return {
    enable: s.Enable === true,
    perSec: num(s.PerSec, 10),
    maxBurst: Math.floor(num(s.MaxBurst, 100)),
    memoryStoreSize: Math.max(1, Math.floor(num(s.MemoryStoreSize, 10_000))),
    byAddr: s.VaryByRemoteAddr !== false,
    byUser: s.VaryByUser === true,
    header: typeof s.VaryByHeader === 'string' ? s.VaryByHeader.toLowerCase() : '',
    failBurst: Math.floor(num(s.FailedAuthMaxBurst, 20)),
    failPerMin: num(s.FailedAuthPerMin, 12),
  };
}

const sameSettings = (a: Normalized, b: Normalized) => a.enable === b.enable && a.perSec === b.perSec
  && a.maxBurst === b.maxBurst && a.memoryStoreSize === b.memoryStoreSize && a.byAddr === b.byAddr
  && a.byUser === b.byUser && a.header === b.header && a.failBurst === b.failBurst && a.failPerMin === b.failPerMin;

interface State {
  settings: Normalized;
  requests: GcraLimiter | undefined;
  /** Failed authentications per client address. */
  failures: GcraLimiter | undefined;
  /** Failed authentications per credential (token digest, login id): its own LRU, so a flood of random tokens cannot push addresses out. */
  credentials: GcraLimiter | undefined;
}

function buildState(settings: Normalized): State {
  const requests = settings.enable && settings.perSec > 0
    ? new GcraLimiter({ intervalMs: 1000 / settings.perSec, limit: settings.maxBurst + 1, capacity: settings.memoryStoreSize })
    : undefined;
  const failureBucket = () => (settings.enable && settings.failBurst > 0
    ? new GcraLimiter({ intervalMs: settings.failPerMin > 0 ? 60_000 / settings.failPerMin : Number.MAX_SAFE_INTEGER / 4, limit: settings.failBurst, capacity: settings.memoryStoreSize })
    : undefined);
  return { settings, requests, failures: failureBucket(), credentials: failureBucket() };
}

/** Keys longer than this are replaced by their SHA-256 (bounded memory per key). */
const MAX_KEY_LENGTH = 128;

const seconds = (ms: number) => String(Math.max(0, Math.ceil(ms / 1000)));

/** The default `credentialOf`: a Mattermost login body's `login_id`. */
function loginIdOf(ctx: Koa.Context): string | undefined {
  const body = (ctx.request as { body?: unknown }).body;
  if (body === null || typeof body !== 'object') return undefined;
  const loginId = (body as Record<string, unknown>).login_id;
  return typeof loginId === 'string' && loginId !== '' ? loginId.toLowerCase() : undefined;
}

function headerValue(ctx: Koa.Context, name: string): string {
  const raw = ctx.headers[name];
  return (Array.isArray(raw) ? raw[0] ?? '' : raw ?? '').toLowerCase();
}

/**
 * Mattermost-style API rate limiting and failed-authentication throttling. See the module documentation.
 *
 * @example
 * ```ts
 * app.use(rateLimit({ settings: () => store.config.RateLimitSettings, logger }));
 * // 429 {"id":"api.context.rate_limited.app_error",…} + Retry-After once a client is over its limit
 * ```
 */
export function rateLimit(options: RateLimitOptions = {}): Koa.Middleware {
  const {
    settings,
    remoteAddress = (ctx: Koa.Context) => ctx.ip,
    isAuthFailure = (_ctx: Koa.Context, status: number) => status === 401,
    credentialOf = loginIdOf,
    now = Date.now,
    logger = silentLogger,
  } = options;
  const read = typeof settings === 'function' ? settings : () => settings;
  let state = buildState(normalize(read()));

  const current = (): State => {
    const next = normalize(read());
    if (!sameSettings(next, state.settings)) state = buildState(next);
    return state;
  };

  const requestKey = (ctx: Koa.Context, s: Normalized): string => {
    let key = '';
    const token = s.byUser ? extractToken(ctx) : undefined;
    if (token !== undefined) key = `t:${sha256Hex(token.token)}`;
    else if (s.byAddr) key = `a:${remoteAddress(ctx)}`;
    if (s.header !== '') key += `|h:${headerValue(ctx, s.header)}`;
    return key.length > MAX_KEY_LENGTH ? sha256Hex(key) : key;
  };

  const bounded = (key: string) => (key.length > MAX_KEY_LENGTH ? sha256Hex(key) : key);
  const clientKey = (ctx: Koa.Context): string => bounded(`a:${remoteAddress(ctx)}`);

  const tooMany = (retryAfterMs: number, extra: Record<string, string>, detailed: string) => new AppError('api.context.rate_limited.app_error', {
    detailed,
    headers: { ...extra, 'Retry-After': seconds(retryAfterMs) },
  });

  const throttled = (ctx: Koa.Context, retryAfterMs: number, key: 'address' | 'credential', headers: Record<string, string>) => {
    logger.warn('client throttled after failed authentications', { key, path: ctx.path, method: ctx.method, request_id: ctx.state.requestId });
    return tooMany(retryAfterMs, headers, 'too many failed authentication attempts');
  };

  return async function rateLimitMiddleware(ctx, next) {
    const { settings: s, requests, failures, credentials } = current();
    if (!s.enable) return next();
    const at = now();
    const headers: Record<string, string> = {};
    if (requests !== undefined) {
      const d = requests.take(requestKey(ctx, s), at);
      headers['X-RateLimit-Limit'] = String(d.limit);
      headers['X-RateLimit-Remaining'] = String(d.remaining);
      headers['X-RateLimit-Reset'] = seconds(d.resetAfterMs);
      for (const [name, value] of Object.entries(headers)) ctx.set(name, value);
      if (d.limited) {
        logger.warn('request rate limited', { path: ctx.path, method: ctx.method, request_id: ctx.state.requestId });
        throw tooMany(d.retryAfterMs, headers, 'limit exceeded');
      }
    }
    if (failures === undefined || credentials === undefined) return next();
    // A token that has itself failed too often is refused before it is resolved. Only requests
    // carrying this very secret spent its bucket, so no one else's failures can get it here.
    const token = extractToken(ctx);
    const tokenKey = token === undefined ? undefined : `t:${sha256Hex(token.token)}`;
    if (tokenKey !== undefined) {
      const own = credentials.peek(tokenKey, at);
      if (own.limited) throw throttled(ctx, own.retryAfterMs, 'credential', headers);
    }
    /**
     * Count one failure against the address and the credential. When either bucket was already
     * empty, the failure is answered 429 instead of 401: the caller learns nothing more from it.
     * The request was checked first, so one with a valid credential never gets here.
     */
    const countFailure = (): AppError | undefined => {
      const when = now();
      const byAddress = failures.take(clientKey(ctx), when);
      const loginId = tokenKey === undefined ? credentialOf(ctx) : undefined;
      const credential = tokenKey ?? (loginId === undefined ? undefined : bounded(`l:${loginId}`));
      const byCredential = credential === undefined ? undefined : credentials.take(credential, when);
      const overCredential = byCredential?.limited === true ? byCredential.retryAfterMs : -1;
      if (!byAddress.limited && overCredential < 0) return undefined;
      return throttled(ctx, Math.max(byAddress.retryAfterMs, overCredential), byAddress.limited ? 'address' : 'credential', headers);
    };
    try {
      await next();
    } catch (err) {
      const status = (err as { status?: unknown } | null)?.status;
      if (typeof status === 'number' && isAuthFailure(ctx, status)) throw countFailure() ?? err;
      throw err;
    }
    if (isAuthFailure(ctx, ctx.status)) {
      const over = countFailure();
      if (over !== undefined) throw over;
    }
  };
}
