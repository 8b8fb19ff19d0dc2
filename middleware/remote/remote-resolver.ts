/**
 * A {@link TokenResolver} for an application that is not Mattermost: the principal cache
 * (`cache/principal-cache.ts`) over `usersMeResolver()`, which asks a real Mattermost server (or
 * the mock) whether a token works with `GET {url}/api/v4/users/me` and `Authorization: Bearer
 * <token>`.
 *
 * - 200 with a user: a principal, cached `ttlMs` (default 60 s) keyed by the token string. A
 *   cache hit returns synchronously (no promise is created).
 * - 401/403 with a Mattermost error: `AuthFailure('upstream_rejected')`, cached `negativeTtlMs`
 *   (default 5 s).
 * - 5xx, 429, timeout, network error: `AppError` 503 `api.context.upstream_unavailable.app_error`,
 *   logged at warn, never cached. A positive entry still within its TTL keeps serving while the
 *   upstream is down (no call is made for it); an expired one is re-checked and is never served
 *   stale.
 * - Anything that is not Mattermost's answer (a 404 from a wrong `url`, a redirect, another
 *   status, a body that is not Mattermost's JSON): the same 503, logged at error with the URL as
 *   a configuration error, never cached as an invalid token.
 * - Single flight, the epoch guard, revalidation (`revalidateMs`) and `degrade()`/`recover()`:
 *   those of the principal cache.
 * - Hook bus: the events of `EVICTIONS` (`cache/eviction-table.ts`). `/users/me` reveals neither
 *   the token id nor the session, so a token or session event evicts every cached token of its
 *   user.
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
import { createPrincipalCache, type PrincipalCache, type PrincipalCacheOptions } from '../cache/principal-cache.js';
import { usersMeResolver } from './users-me-resolver.js';

export interface RemoteResolverOptions extends Omit<PrincipalCacheOptions, 'maxEntries' | 'negativeTtlMs' | 'ttlMs'> {
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
  /** Injected fetch (tests, proxies). Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

export interface RemoteResolver extends Omit<PrincipalCache, 'size'> {
  /** Cached entries, positive and negative. */
  readonly size: number;
  /** Upstream calls made so far (requests and background re-checks). */
  readonly upstreamCalls: number;
}

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
  const { url, timeoutMs, fetch, maxEntries = 10_000, negativeTtlMs = 5_000, ...cacheOptions } = options;
  const upstream = usersMeResolver({ url, timeoutMs, logger: options.logger, fetch });
  const cache = createPrincipalCache(upstream, { ...cacheOptions, maxEntries, negativeTtlMs });
  return {
    resolve: cache.resolve,
    clear: cache.clear,
    evictToken: cache.evictToken,
    evictUser: cache.evictUser,
    evictSession: cache.evictSession,
    forgetRefusals: cache.forgetRefusals,
    degrade: cache.degrade,
    recover: cache.recover,
    revalidateDue: cache.revalidateDue,
    close: cache.close,
    get degraded() { return cache.degraded; },
    get refusals() { return cache.refusals; },
    get size() { return cache.size + cache.refusals; },
    get upstreamCalls() { return upstream.calls; },
  };
}
