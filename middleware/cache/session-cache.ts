/**
 * `cachedResolver(inner)`: the principal cache (`principal-cache.ts`) in front of any
 * {@link TokenResolver}, keyed by the presented token (a `Map` lookup on the hit path, no
 * hashing), evicted by the hook events of `EVICTIONS` (`eviction-table.ts`, the one table of
 * what each event evicts) so that a revoked, disabled or rotated token, a deactivated user or a
 * role change takes effect on the very next request, without waiting for the TTL.
 *
 * A resolution in flight while an eviction touching it happens is not cached (it is resolved
 * again), so a stale principal can never be re-inserted after the eviction. With
 * `revalidateMs`, principals are also re-checked with `inner` in the background, so a change no
 * event announces is seen within `revalidateMs`; `degrade()`/`recover()` make the cache fail safe
 * while a transport may be missing events.
 *
 * @example
 * ```ts
 * import { createHookBus, cachedResolver, storeResolver, authenticate } from 'mattermost-pat';
 * const hooks = createHookBus();
 * const resolver = cachedResolver(storeResolver(store), { hooks, ttlMs: 60_000 });
 * app.use(authenticate({ resolver }));
 * hooks.emit('token.revoked', { tokenId, userId }); // next request with that token: 401
 * ```
 */
import type { TokenResolver } from '../types.js';
import { createPrincipalCache, type PrincipalCache, type PrincipalCacheOptions } from './principal-cache.js';

/** Options of {@link cachedResolver}: those of the principal cache (defaults: 60 s, 100 000 entries, refusals not cached). */
export type CachedResolverOptions = PrincipalCacheOptions;

/** A caching resolver with explicit eviction, background revalidation and a fail-safe mode. */
export type CachedResolver = PrincipalCache;

/**
 * Put a session cache in front of `inner`.
 * @example
 * ```ts
 * const resolver = cachedResolver(storeResolver(store), { hooks, ttlMs: 10 * 60_000 });
 * ```
 */
export function cachedResolver(inner: TokenResolver, options: CachedResolverOptions = {}): CachedResolver {
  return createPrincipalCache(inner, options);
}
