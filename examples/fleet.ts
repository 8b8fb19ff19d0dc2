/**
 * fleet: three instances of one Koa service behind a (pretend) load balancer, kept in step through
 * Redis (`mattermost-pat/fleet`). Each instance validates tokens with `GET /users/me` on Mattermost
 * through `fleetResolver`: its in-process cache, then the shared Redis cache (one upstream call
 * for the whole fleet per token per TTL), and the Redis event bridge, to which the mock publishes
 * its hook events (`--redis`). A token revoked on the mock is refused by every instance at once.
 *
 * Run it (no arguments):
 *
 *     npx tsx examples/fleet.ts                 # starts redis-server on a free port, the mock and 3 instances
 *     REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/fleet.ts   # an existing Redis
 *
 * Exit codes: 0 (every instance refused the revoked token), 1 something did not behave as
 * documented (one line on stderr), 2 wrong usage.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { authenticate, createHookBus, errorBoundary, getPrincipal, requestId } from 'mattermost-pat';
import { fleetResolver, type FleetResolver } from 'mattermost-pat/fleet';
import { secretOf } from './lib/client.js';
import { EXIT, ExampleFailure, check, isMain, runMain, type Print } from './lib/cli.js';
import { startDemo } from './lib/demo.js';
import { answersPing, freePort } from './lib/loopback.js';

/** Debian's redis-server (package `redis-server`), unless REDIS_SERVER says otherwise. */
export const REDIS_SERVER = '/usr/bin/redis-server';

export interface FleetOptions {
  env?: NodeJS.ProcessEnv;
  argv?: readonly string[];
  print?: Print;
  /** Instances to start. Default 3. */
  instances?: number;
}

/** What each instance answered. */
export interface InstanceReport {
  url: string;
  before: number;
  after: number;
}

export interface FleetResult {
  instances: InstanceReport[];
  /** `/users/me` calls of the whole fleet for the token (the shared cache: 1). */
  upstreamCalls: number;
  /** Whether this run started its own redis-server. */
  startedRedis: boolean;
}

/** Start redis-server on a free loopback port, nothing persisted; resolves once it answers PING. */
async function startRedisServer(binary: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new ExampleFailure(`cannot start ${binary} (${err.message}): install the redis-server package or set REDIS_URL`)));
    child.once('exit', (code) => reject(new ExampleFailure(`${binary} exited with code ${code}`)));
  });
  const answers = async () => {
    for (let i = 0; i < 250; i++) {
      if (await answersPing(port)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new ExampleFailure(`${binary} did not answer on port ${port}`);
  };
  try {
    await Promise.race([answers(), failed]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  failed.catch(() => undefined);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) { resolve(); return; }
      child.removeAllListeners('exit');
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** One instance: Koa, authenticate over fleetResolver, `GET /api/me`; listening on a free port. */
async function startInstance(mattermostUrl: string, redisUrl: string): Promise<{ url: string; fleet: FleetResolver; close(): Promise<void> }> {
  const hooks = createHookBus();
  const fleet = fleetResolver({ url: mattermostUrl, redis: redisUrl, hooks, ttlMs: 5 * 60_000 });
  const app = new Koa();
  app.use(requestId());
  app.use(errorBoundary());
  app.use(authenticate({ resolver: fleet.resolver }));
  app.use((ctx) => {
    const me = getPrincipal(ctx);
    ctx.body = { user_id: me.userId, username: me.username };
  });
  const server: Server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await fleet.ready();
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    fleet,
    async close() {
      await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
      await fleet.close();
    },
  };
}

const statusOf = async (url: string, token: string) => (await fetch(`${url}/api/me`, { headers: { Authorization: `Bearer ${token}` } })).status;

/**
 * Run the demonstration.
 * @example
 * ```ts
 * const { instances } = await run({ print: () => {} });
 * ```
 */
export async function run(options: FleetOptions = {}): Promise<FleetResult> {
  const { env = process.env, argv = [], print = console.log, instances: count = 3 } = options;
  if (argv.length > 0) throw new ExampleFailure(`fleet takes no arguments (got "${argv[0]}"); set REDIS_URL to use an existing Redis`, EXIT.usage);
  const given = env.REDIS_URL;
  if (given !== undefined && !/^rediss?:\/\/./.test(given)) throw new ExampleFailure(`REDIS_URL must be a redis:// URL, got "${given}"`, EXIT.usage);
  const cleanups: Array<() => Promise<void>> = [];
  try {
    let redisUrl = given;
    if (redisUrl === undefined) {
      const redis = await startRedisServer(env.REDIS_SERVER ?? REDIS_SERVER);
      cleanups.unshift(redis.stop);
      redisUrl = redis.url;
      print(`redis: started redis-server at ${redisUrl}`);
    } else {
      print(`redis: using ${redisUrl}`);
    }
    const demo = await startDemo({ print, mock: { redis: redisUrl } });
    cleanups.unshift(() => demo.close());
    print('mock: publishes its hook events to the Redis stream mattermost-pat:events');
    const bot = await demo.createBot('fleet-bot', 'system_user');
    const pat = await demo.admin.createUserAccessToken(bot.user_id, 'fleet example');
    const token = secretOf(pat);
    print(`admin: created token ${pat.id} for @fleet-bot`);

    const fleet = [];
    for (let i = 0; i < count; i++) {
      const instance = await startInstance(demo.url, redisUrl);
      cleanups.unshift(instance.close);
      fleet.push(instance);
      print(`instance ${i + 1}: listening at ${instance.url}`);
    }
    const reports: InstanceReport[] = [];
    for (const [i, instance] of fleet.entries()) {
      const before = await statusOf(instance.url, token);
      check(before === 200, `instance ${i + 1} refused a valid token (${before})`);
      reports.push({ url: instance.url, before, after: 0 });
      print(`instance ${i + 1}: GET /api/me with the token: ${before}`);
    }
    const upstreamCalls = fleet.reduce((n, f) => n + f.fleet.upstreamCalls, 0);
    print(`fleet: ${upstreamCalls} call(s) to /users/me for ${count} instances (the shared Redis cache served the others)`);

    await demo.admin.revokeUserAccessToken(pat.id);
    const revokedAt = Date.now();
    print(`admin: revoked token ${pat.id}`);
    for (const [i, instance] of fleet.entries()) {
      // The event is on its way through Redis; allow it a moment, bounded.
      let after = await statusOf(instance.url, token);
      while (after !== 401 && Date.now() - revokedAt < 2_000) {
        await new Promise((r) => setTimeout(r, 5));
        after = await statusOf(instance.url, token);
      }
      reports[i].after = after;
      check(after === 401, `instance ${i + 1} still accepts the revoked token (${after})`);
      print(`instance ${i + 1}: GET /api/me with the revoked token: ${after} (${Date.now() - revokedAt} ms after the revoke answer)`);
    }
    print(`fleet: all ${count} instances refuse the revoked token`);
    return { instances: reports, upstreamCalls, startedRedis: given === undefined };
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}

if (isMain(import.meta.url)) runMain(() => run({ argv: process.argv.slice(2) }));
