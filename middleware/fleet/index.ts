/**
 * `mattermost-pat/fleet`: several instances of an app behind one load balancer, kept in step
 * through Redis (ioredis, an optional peer dependency: only this entry loads it). A Redis Stream
 * carries every hook event to every instance; a shared second-level cache makes one upstream call
 * per token per TTL for the whole fleet.
 */
export { redisEventBridge, type BridgeGapReason, type Degradable, type RedisEventBridge, type RedisEventBridgeOptions } from './event-bridge.js';
export { sharedPrincipalCache, type SharedPrincipalCache, type SharedPrincipalCacheOptions } from './shared-cache.js';
export { fleetResolver, type FleetResolver, type FleetResolverOptions } from './fleet-resolver.js';
