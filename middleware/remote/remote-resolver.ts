/**
 * A {@link TokenResolver} for an application that is not Mattermost: it asks a real Mattermost
 * server (or the mock) whether a token works, with `GET {url}/api/v4/users/me` and
 * `Authorization: Bearer <token>`, and caches the answer.
 *
 * - 200: a principal, cached `ttlMs` (default 60 s) keyed by the token string. A cache hit
 *   returns synchronously (no promise is created).
 * - 401/403/404: `AuthFailure('upstream_rejected')`, cached `negativeTtlMs` (default 5 s).
 * - anything else (5xx, 429, timeout, network error, a 200 that is not a user): `AppError` 503
 *   `api.context.upstream_unavailable.app_error`, never cached. A positive entry still within
 *   its TTL keeps serving while the upstream is down (no call is made for it); an expired one is
 *   re-checked and is never served stale.
 * - Single-flight: concurrent requests with the same token share one upstream call.
 * - Hook bus (`{ first: true }`): token.revoked/disabled/rotated, user.deactivated/activated/
 *   roles_changed and session.revoked evict every cached token of that user (Mattermost's
 *   `/users/me` does not reveal the token id); token.enabled and user.activated also forget
 *   negative answers; config.changed and cache.reset clear everything (cache.reset with a
 *   `userId`: that user's tokens). An upstream answer that was in flight
 *   when its user was evicted is returned to its waiting requests but not cached.
 *
 * The principal's `kind` is always `'user_access_token'` (the upstream cannot tell a PAT from a
 * login session token), `sessionId` is `''` and `tokenId` is undefined.
 *
 * @example
 * ```ts
 * import { authenticate, createHookBus } from 'mattermost-pat';
 * import { remoteResolver } from 'mattermost-pat/remote';
 * const hooks = createHookBus();
 * const resolver = remoteResolver({ url: 'https://chat.example.com', hooks });
 * app.use(authenticate({ resolver }));
 * ```
 */
import { AppError } from '../errors/app-error.js';
import type { HookBus } from '../hooks/hook-bus.js';
import { AuthFailure } from '../auth/auth-failure.js';
import { silentLogger, type Logger } from '../logger.js';
import { rolesOf } from '../permissions/permissions.js';
import type { Principal, TokenResolver } from '../types.js';

export interface RemoteResolverOptions {
  /** Base URL of the Mattermost server, e.g. `https://chat.example.com` (no `/api/v4`). */
  url: string;
  /** How long a working token is trusted without asking again. Default 60 000 ms. */
  ttlMs?: number;
  /** How long a refused token is refused without asking again. Default 5 000 ms. */
  negativeTtlMs?: number;
  /** Upstream request timeout. Default 5 000 ms. */
  timeoutMs?: number;
  /** Bound of each cache (positive and negative); the oldest entry is evicted. Default 10 000. */
  maxEntries?: number;
  /** Bus whose revocation events evict cached entries. */
  hooks?: HookBus;
  logger?: Logger;
  /** Injected fetch (tests, proxies). Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

export interface RemoteResolver extends TokenResolver {
  /** Forget every cached answer. */
  clear(): void;
  /** Forget every positive answer for this user (in-flight answers for them are not cached). */
  evictUser(userId: string): void;
  /** Cached entries, positive and negative. */
  readonly size: number;
  /** Upstream calls made so far. */
  readonly upstreamCalls: number;
  /** Unsubscribe from the hook bus. */
  close(): void;
}

interface Positive { principal: Principal; expiresAt: number }
interface Flight { promise: Promise<Principal>; seq: number }

/** Printable ASCII, bounded: anything else cannot be a Mattermost token or an HTTP header value. */
const TOKEN_SHAPE = /^[\x21-\x7e]{1,256}$/;
const REJECTED = new Set([401, 403, 404]);
/** Remembered evictions before falling back to "treat as a full clear" (bounds memory). */
const MAX_EVICTION_LOG = 10_000;

/**
 * Create a resolver that validates tokens against a Mattermost server.
 *
 * @example
 * ```ts
 * const resolver = remoteResolver({ url: 'http://127.0.0.1:8065', hooks, ttlMs: 30_000 });
 * app.use(authenticate({ resolver }));
 * ```
 */
export function remoteResolver(options: RemoteResolverOptions): RemoteResolver {
  const {
    url, ttlMs = 60_000, negativeTtlMs = 5_000, timeoutMs = 5_000, maxEntries = 10_000,
    hooks, logger = silentLogger, fetch: fetchImpl = globalThis.fetch,
  } = options;
  const meUrl = `${url.replace(/\/+$/, '')}/api/v4/users/me`;

  const positive = new Map<string, Positive>();
  const negative = new Map<string, number>();
  const byUser = new Map<string, Set<string>>();
  const inflight = new Map<string, Flight>();
  /** Eviction sequence: bumped on every eviction/clear; flights remember it when they start. */
  let seq = 0;
  let clearedAt = 0;
  let negativesClearedAt = 0;
  const evictedAt = new Map<string, number>();
  let calls = 0;

  const bounded = <V>(map: Map<string, V>, onEvict?: (key: string, value: V) => void) => {
    while (map.size > maxEntries) {
      const oldest = map.keys().next().value as string;
      const value = map.get(oldest) as V;
      map.delete(oldest);
      onEvict?.(oldest, value);
    }
  };

  const unindex = (token: string, userId: string) => {
    const tokens = byUser.get(userId);
    tokens?.delete(token);
    if (tokens?.size === 0) byUser.delete(userId);
  };

  const store = (token: string, principal: Principal) => {
    const old = positive.get(token);
    if (old) { positive.delete(token); unindex(token, old.principal.userId); }
    positive.set(token, { principal, expiresAt: Date.now() + ttlMs });
    let tokens = byUser.get(principal.userId);
    if (!tokens) byUser.set(principal.userId, (tokens = new Set()));
    tokens.add(token);
    bounded(positive, (t, v) => unindex(t, v.principal.userId));
  };

  const stale = (flightSeq: number, userId: string) =>
    clearedAt > flightSeq || (evictedAt.get(userId) ?? 0) > flightSeq;

  const unavailable = (detailed: string, cause?: unknown) => {
    logger.warn('remote resolver: upstream unavailable', { url: meUrl, detail: detailed });
    return new AppError('api.context.upstream_unavailable.app_error', { detailed, cause });
  };

  const ask = async (token: string): Promise<Principal> => {
    calls++;
    let res: Response;
    try {
      res = await fetchImpl(meUrl, {
        headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw unavailable(err instanceof Error ? `${err.name}: ${err.message}` : 'fetch failed', err);
    }
    if (REJECTED.has(res.status)) {
      await res.body?.cancel().catch(() => undefined);
      throw new AuthFailure('upstream_rejected', { message: `upstream answered ${res.status}` });
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw unavailable(`upstream answered ${res.status}`);
    }
    let body: unknown;
    try { body = await res.json(); } catch (err) { throw unavailable('upstream body is not JSON', err); }
    const user = body as Record<string, unknown> | null;
    if (typeof user !== 'object' || user === null || typeof user.id !== 'string' || user.id === ''
      || typeof user.username !== 'string') {
      throw unavailable('upstream body is not a user');
    }
    return {
      userId: user.id,
      username: user.username,
      roles: rolesOf(typeof user.roles === 'string' ? user.roles : ''),
      sessionId: '',
      tokenId: undefined,
      isBot: user.is_bot === true,
      kind: 'user_access_token',
    };
  };

  const fly = (token: string): Promise<Principal> => {
    const startSeq = seq;
    const promise = ask(token).then(
      (principal) => {
        if (!stale(startSeq, principal.userId)) store(token, principal);
        return principal;
      },
      (err: unknown) => {
        if (err instanceof AuthFailure && negativesClearedAt <= startSeq) {
          negative.delete(token);
          negative.set(token, Date.now() + negativeTtlMs);
          bounded(negative);
        }
        throw err;
      },
    ).finally(() => {
      if (inflight.get(token)?.promise === promise) inflight.delete(token);
      if (inflight.size === 0) evictedAt.clear();
    });
    inflight.set(token, { promise, seq: startSeq });
    return promise;
  };

  const evictUser = (userId: string) => {
    seq++;
    if (inflight.size > 0) {
      evictedAt.set(userId, seq);
      if (evictedAt.size > MAX_EVICTION_LOG) { clearedAt = seq; evictedAt.clear(); }
    }
    const tokens = byUser.get(userId);
    if (!tokens) return;
    for (const token of tokens) positive.delete(token);
    byUser.delete(userId);
  };

  const forgetNegatives = () => {
    seq++;
    negativesClearedAt = seq;
    negative.clear();
  };

  const clear = () => {
    forgetNegatives();
    clearedAt = seq;
    evictedAt.clear();
    positive.clear();
    byUser.clear();
  };

  const unsubscribe: Array<() => void> = [];
  if (hooks) {
    const first = { first: true };
    const byUserEvents = ['token.revoked', 'token.disabled', 'token.rotated', 'user.deactivated',
      'user.roles_changed', 'session.revoked'] as const;
    for (const event of byUserEvents) unsubscribe.push(hooks.on(event, ({ userId }) => evictUser(userId), first));
    unsubscribe.push(
      hooks.on('user.activated', ({ userId }) => { evictUser(userId); forgetNegatives(); }, first),
      hooks.on('token.enabled', () => forgetNegatives(), first),
      hooks.on('config.changed', () => clear(), first),
      hooks.on('cache.reset', ({ userId }) => { if (userId === undefined) clear(); else evictUser(userId); }, first),
    );
  }

  return {
    resolve: function resolveRemote(token) {
      const hit = positive.get(token);
      if (hit !== undefined) {
        if (hit.expiresAt > Date.now()) return hit.principal;
        positive.delete(token);
        unindex(token, hit.principal.userId);
      }
      const refusedUntil = negative.get(token);
      if (refusedUntil !== undefined) {
        if (refusedUntil > Date.now()) throw new AuthFailure('upstream_rejected', { message: 'cached upstream refusal' });
        negative.delete(token);
      }
      if (!TOKEN_SHAPE.test(token)) throw new AuthFailure('unknown_token');
      const flight = inflight.get(token);
      if (flight !== undefined && flight.seq === seq) return flight.promise;
      return fly(token);
    },
    clear,
    evictUser,
    get size() { return positive.size + negative.size; },
    get upstreamCalls() { return calls; },
    close() { for (const off of unsubscribe.splice(0)) off(); },
  };
}
