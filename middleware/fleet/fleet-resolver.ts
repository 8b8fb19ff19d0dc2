/**
 * `fleetResolver()`: the whole stack of one instance of a fleet in front of Mattermost (or the
 * mock), wired: the in-process principal cache (a hit: no network) → the shared Redis cache
 * (`shared-cache.ts`, one upstream call per token per TTL for the fleet) → `GET /users/me`; and
 * the Redis event bridge (`event-bridge.ts`) that brings every other instance's (and the mock's)
 * hook events, degrades the in-process cache while it may miss some, and on a gap drops the
 * shared entries too (generation bump).
 *
 * @example
 * ```ts
 * import { authenticate, createHookBus } from 'mattermost-pat';
 * import { fleetResolver } from 'mattermost-pat/fleet';
 * const hooks = createHookBus();
 * const fleet = fleetResolver({ url: MM_URL, redis: REDIS_URL, hooks, ttlMs: 60_000 });
 * await fleet.ready();
 * app.use(authenticate({ resolver: fleet.resolver }));
 * ```
 */
import type { HookBus } from '../hooks/hook-bus.js';
import { silentLogger, type Logger } from '../logger.js';
import { createPrincipalCache, type PrincipalCache } from '../cache/principal-cache.js';
import { usersMeResolver } from '../remote/users-me-resolver.js';
import type { TokenResolver } from '../types.js';
import { redisEventBridge, type RedisEventBridge, type RedisEventBridgeOptions } from './event-bridge.js';
import { sharedPrincipalCache, type SharedPrincipalCache, type SharedPrincipalCacheOptions } from './shared-cache.js';

export interface FleetResolverOptions {
  /** Base URL of Mattermost (or the mock). */
  url: string;
  /** Redis URL. */
  redis: string;
  hooks: HookBus;
  /** Life of a principal, in-process and shared. Default 60 000 ms. */
  ttlMs?: number;
  /** Life of an entry while degraded (Redis unreachable, a gap). Default 5 000 ms. */
  degradedTtlMs?: number;
  /** Refusals cached in-process this long. Default 5 000 ms. */
  negativeTtlMs?: number;
  /** Background re-check window of the in-process cache (0 = off). Default 0. */
  revalidateMs?: number;
  /** Use the shared second-level cache. Default true. */
  shared?: boolean;
  /** Options of the bridge (stream, maxLen, instanceId...). */
  bridge?: Omit<RedisEventBridgeOptions, 'redis' | 'hooks' | 'cache' | 'onGap' | 'logger'>;
  /** Options of the shared cache (prefix, leaseMs, commandTimeoutMs...). */
  sharedCache?: Omit<SharedPrincipalCacheOptions, 'redis' | 'hooks' | 'ttlMs' | 'degradedTtlMs' | 'isDegraded' | 'logger'>;
  /** Upstream request timeout. Default 5 000 ms. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  logger?: Logger;
  /** Clock of the in-process cache (tests). Default `Date.now`. */
  now?: () => number;
}

export interface FleetResolver {
  /** The resolver to give `authenticate()`. */
  readonly resolver: PrincipalCache;
  readonly bridge: RedisEventBridge;
  readonly shared: SharedPrincipalCache | undefined;
  /** Calls made to `/users/me` (requests and re-checks). */
  readonly upstreamCalls: number;
  /** Resolves once the bridge reads the stream and the shared cache is connected. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** Build one instance's resolver stack. */
export function fleetResolver(options: FleetResolverOptions): FleetResolver {
  const {
    url, redis, hooks, ttlMs = 60_000, degradedTtlMs = 5_000, negativeTtlMs = 5_000, revalidateMs = 0,
    shared: useShared = true, timeoutMs, fetch, logger = silentLogger, now,
  } = options;
  const upstream = usersMeResolver({ url, timeoutMs, fetch, logger });
  // The shared cache asks whether the in-process cache is degraded; it exists only after it.
  const state: { resolver?: PrincipalCache } = {};
  const shared = useShared
    ? sharedPrincipalCache(upstream, {
      ...options.sharedCache, redis, hooks, ttlMs, degradedTtlMs, logger, isDegraded: () => state.resolver?.degraded ?? true,
    })
    : undefined;
  const inner: TokenResolver = shared ?? upstream;
  const resolver = createPrincipalCache(inner, { hooks, ttlMs, degradedTtlMs, negativeTtlMs, revalidateMs, maxEntries: 10_000, logger, now });
  state.resolver = resolver;
  const bridge = redisEventBridge({
    ...options.bridge, redis, hooks, cache: resolver, logger,
    onGap: shared === undefined ? undefined : () => shared.clearAll(),
  });
  const cache = resolver;
  return {
    resolver,
    bridge,
    shared,
    get upstreamCalls() { return upstream.calls; },
    ready: async () => { await Promise.all([bridge.ready(), shared?.ready()]); },
    async close() {
      cache.close();
      await bridge.close();
      await shared?.close();
    },
  };
}
