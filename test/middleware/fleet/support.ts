/**
 * Helpers of the fleet tests: a redis-server with a raw client beside the code under test,
 * bounded waits, a recorded hook bus, a fail-safe switch log, one app instance of a fleet.
 */
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../../support/redis.js';
import { createHookBus, type HookBus, type HookEventName } from '../../../middleware/index.js';
import type { HookEventMeta } from '../../../middleware/hooks/hook-bus.js';

/** A redis-server of the test's own and a raw ioredis client on it. */
export interface RedisWithRawClient {
  redis: TestRedis;
  /** For what a test reads or writes behind the code's back (XADD, XTRIM, KEYS, PTTL…). */
  raw: Redis;
  /** Disconnect `raw` and stop the server (call `redis.resume()` first if the test paused it). */
  stop(): Promise<void>;
}

/** Start a redis-server and connect a raw client (one retry per command: it must not hang on a killed server). */
export async function startRedisWithRawClient(): Promise<RedisWithRawClient> {
  const redis = await startRedis();
  const raw = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  // Tests kill, pause and restart the server: the raw client's connection errors are expected.
  raw.on('error', () => {});
  return {
    redis, raw,
    async stop() {
      raw.disconnect();
      await redis.stop();
    },
  };
}

export interface Seen { event: HookEventName; payload: unknown; meta: HookEventMeta }

/** A hook bus and every event it saw. */
export function recordedBus(): { hooks: HookBus; seen: Seen[] } {
  const hooks = createHookBus();
  const seen: Seen[] = [];
  hooks.onAny((event, payload, meta) => { seen.push({ event, payload, meta }); });
  return { hooks, seen };
}

/** Wait (at most 5 s) until `condition` holds. */
export async function waitUntil(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A cache stand-in recording degrade/recover. */
export function switchLog(): { calls: string[]; degraded: boolean; degrade(r: string): void; recover(r?: string): void } {
  const log = {
    calls: [] as string[],
    degraded: false,
    degrade(r: string) { log.calls.push(`degrade:${r}`); log.degraded = true; },
    recover(r?: string) { log.calls.push(`recover:${r ?? ''}`); log.degraded = false; },
  };
  return log;
}

export const USER_A = 'a'.repeat(26);
export const USER_B = 'b'.repeat(26);
export const TOKEN_ID = 't'.repeat(26);

import Koa from 'koa';
import request from 'supertest';
import { authenticate, errorBoundary, getPrincipal } from '../../../middleware/index.js';
import { fleetResolver, type FleetResolver, type FleetResolverOptions } from '../../../middleware/fleet/index.js';

/** One app instance of a fleet: Koa + authenticate over fleetResolver, `GET /api/me`. */
export interface FleetApp {
  fleet: FleetResolver;
  hooks: HookBus;
  /** GET /api/me with `token`: the status. */
  me(token: string): Promise<number>;
}

export function fleetApp(options: Omit<FleetResolverOptions, 'hooks'>): FleetApp {
  const hooks = createHookBus();
  const fleet = fleetResolver({ ...options, hooks });
  const app = new Koa();
  app.use(errorBoundary());
  app.use(authenticate({ resolver: fleet.resolver }));
  app.use((ctx) => { ctx.body = { user_id: getPrincipal(ctx).userId }; });
  const http = request(app.callback());
  return {
    fleet, hooks,
    async me(token: string) { return (await http.get('/api/me').set('Authorization', `Bearer ${token}`)).status; },
  };
}
