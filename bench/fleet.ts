/**
 * The fleet benchmark (issue 13 §4): `npm run bench -- --fleet`. Starts redis-server (Debian's
 * `/usr/bin/redis-server`, or `REDIS_SERVER`) on a free port, the mock as a process with
 * `--redis`, and 4 app instances, each its own process (`tsx bench/fleet.ts --instance …`: Koa +
 * authenticate over `fleetResolver`: in-process cache → shared Redis cache → `GET /users/me`, and
 * the Redis event bridge). Measures:
 *
 * 1. 100 revocations: time from the revoke answer (at the client) until all 4 instances refuse
 *    (each probed back to back), p50/p99; then requests accepted by any instance after that point.
 * 2. Upstream calls for 10k requests over 100 fresh tokens spread over the 4 instances, with the
 *    shared cache and without it (a second fleet of 4, `--no-shared`).
 * 3. The same revocation window with no events at all (an in-process `remoteResolver` with
 *    `revalidateMs`, which only the background re-check can tell).
 *
 * Ends with exactly one line:
 * `fleet: instances 4, revocations 100, p99 <ms>, accepted after <n>, upstream calls <n>`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { httpClient, login, createPat, revokePat, type HttpClient } from './lib/http.js';
import { ms, percentile, table, verdict } from './lib/report.js';
import { answersPing, freePort } from '../examples/lib/loopback.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const INSTANCES = 4;
const REVOCATIONS = 100;
const REQUESTS = 10_000;
const TOKENS = 100;
const REVALIDATE_MS = 2_000;
const REVALIDATE_SAMPLES = 20;

export interface FleetBenchIo {
  say(text?: string): void;
  progress(text: string): void;
}

/** A child process whose first stdout line matching `ready` gives its URL. */
async function startChild(args: string[], ready: RegExp): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')}: not ready in 30 s`)), 30_000);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${args.join(' ')} exited (${code})`)); });
    lines.on('line', (line) => {
      const m = ready.exec(line);
      if (m !== null) { clearTimeout(timer); resolve(m[1]); }
    });
  });
  child.removeAllListeners('exit');
  return { url, child };
}

const stop = (child: ChildProcess) => new Promise<void>((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
  child.once('exit', () => resolve());
  child.kill('SIGTERM');
  setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
});

async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const binary = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 250; i++) {
    if (await answersPing(port)) return { url: `redis://127.0.0.1:${port}`, child };
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`${binary} did not start`);
}

interface Instance { url: string; child: ChildProcess; client: HttpClient }

async function startFleet(mockUrl: string, redisUrl: string, shared: boolean): Promise<Instance[]> {
  return Promise.all(Array.from({ length: INSTANCES }, async () => {
    const args = ['--import', 'tsx', 'bench/fleet.ts', '--instance', '--mm', mockUrl, '--redis', redisUrl, ...(shared ? [] : ['--no-shared'])];
    const { url, child } = await startChild(args, /^ready (http:\/\/\S+)$/);
    return { url, child, client: httpClient(url, 8) };
  }));
}

const upstreamCallsOf = async (fleet: Instance[]) => {
  let n = 0;
  for (const i of fleet) n += (JSON.parse((await i.client.request('GET', '/__stats')).body) as { upstreamCalls: number }).upstreamCalls;
  return n;
};

/** 10k requests over `tokens`, 64 in flight; every token goes to every instance (instance = (i + ⌊i / tokens⌋) mod 4). */
async function spread(fleet: Instance[], tokens: string[]): Promise<{ ok: number; other: number }> {
  let next = 0;
  let ok = 0;
  let other = 0;
  const worker = async () => {
    while (next < REQUESTS) {
      const i = next++;
      const res = await fleet[(i + Math.floor(i / tokens.length)) % fleet.length].client.request('GET', '/api/me', tokens[i % tokens.length]);
      if (res.status === 200) ok++; else other++;
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  return { ok, other };
}

/** The benchmark proper (the parent process). */
export async function runFleetBench(io: FleetBenchIo): Promise<void> {
  const { say, progress } = io;
  const cleanup: ChildProcess[] = [];
  try {
    progress('fleet: starting redis-server, the mock (--redis) and 4 instances');
    const redis = await startRedis();
    cleanup.push(redis.child);
    const mock = await startChild(['--import', 'tsx', 'mock-server/cli.ts', '--port', '0', '--in-memory', '--no-console', '--redis', redis.url], /^listening on (http:\/\/\S+)$/);
    cleanup.push(mock.child);
    const api = httpClient(mock.url, 8);
    const admin = await login(api, 'sysadmin', 'Sys@dmin-sample1');
    const fleet = await startFleet(mock.url, redis.url, true);
    cleanup.push(...fleet.map((i) => i.child));

    // 1. Revocation window through the Redis bridge.
    progress(`fleet: ${REVOCATIONS} revocations`);
    const revoked = await Promise.all(Array.from({ length: REVOCATIONS }, (_, i) => createPat(api, admin, `fleet revoke ${i}`)));
    for (const pat of revoked) for (const i of fleet) {
      const res = await i.client.request('GET', '/api/me', pat.token);
      if (res.status !== 200) throw new Error(`warm-up: ${res.status} ${res.body}`);
    }
    const windows: number[] = [];
    let acceptedAfter = 0;
    for (const pat of revoked) {
      const answer = await revokePat(api, admin, pat.id);
      if (answer.status !== 200) throw new Error(`revoke: ${answer.status}`);
      const refusedAt = await Promise.all(fleet.map(async (i) => {
        for (;;) {
          const res = await i.client.request('GET', '/api/me', pat.token);
          if (res.status === 401) return res.head;
          if (performance.now() - answer.head > 10_000) throw new Error('an instance accepts a revoked token 10 s after the revoke');
        }
      }));
      windows.push(Math.max(0, Math.max(...refusedAt) - answer.head));
      // After that point: 5 more requests per instance.
      for (const i of fleet) for (let k = 0; k < 5; k++) if ((await i.client.request('GET', '/api/me', pat.token)).status === 200) acceptedAfter++;
    }

    // 2. Upstream calls for 10k requests over 100 fresh tokens, with and without the shared cache.
    progress(`fleet: ${REQUESTS} requests over ${TOKENS} tokens, shared cache on`);
    const fresh = (await Promise.all(Array.from({ length: TOKENS }, (_, i) => createPat(api, admin, `fleet load ${i}`)))).map((p) => p.token);
    const before = await upstreamCallsOf(fleet);
    const withShared = await spread(fleet, fresh);
    const callsShared = (await upstreamCallsOf(fleet)) - before;
    progress('fleet: the same, a second fleet without the shared cache');
    const plain = await startFleet(mock.url, redis.url, false);
    cleanup.push(...plain.map((i) => i.child));
    const fresh2 = (await Promise.all(Array.from({ length: TOKENS }, (_, i) => createPat(api, admin, `fleet load b ${i}`)))).map((p) => p.token);
    const withoutShared = await spread(plain, fresh2);
    const callsPlain = await upstreamCallsOf(plain);

    // 3. No events at all: an in-process remoteResolver told nothing, only revalidation.
    progress(`fleet: ${REVALIDATE_SAMPLES} revocations seen by revalidation only (revalidateMs ${REVALIDATE_MS})`);
    const { remoteResolver } = await import('../middleware/remote/index.js');
    let revalidation: number[] | undefined;
    try {
      const resolver = remoteResolver({ url: mock.url, ttlMs: 300_000, revalidateMs: REVALIDATE_MS });
      const quiet = await Promise.all(Array.from({ length: REVALIDATE_SAMPLES }, (_, i) => createPat(api, admin, `fleet quiet ${i}`)));
      for (const pat of quiet) await resolver.resolve(pat.token, { source: 'header-bearer' });
      revalidation = await Promise.all(quiet.map(async (pat, i) => {
        await new Promise((r) => setTimeout(r, i * 50)); // revocations spread over the window
        const answer = await revokePat(api, admin, pat.id);
        for (;;) {
          try { await resolver.resolve(pat.token, { source: 'header-bearer' }); } catch { return performance.now() - answer.head; }
          if (performance.now() - answer.head > REVALIDATE_MS * 3 + 5_000) return Infinity;
          await new Promise((r) => setTimeout(r, 10));
        }
      }));
      resolver.close();
    } catch (err) {
      progress(`fleet: revalidation run failed (${err instanceof Error ? err.message : String(err)})`);
      revalidation = undefined;
    }
    api.close();
    for (const i of [...fleet, ...plain]) i.client.close();

    const p50 = percentile(windows, 50);
    const p99 = percentile(windows, 99);
    say('## Fleet (issue 13 §4: `npm run bench -- --fleet`)');
    say();
    say(`${INSTANCES} app instances (processes; fleetResolver: in-process cache → shared Redis cache → GET /users/me, Redis event bridge), the mock as a process with --redis, redis-server ${redis.url}.`);
    say();
    say(table(['figure', 'value', 'target'], [
      ['revoke answer → all 4 instances refuse, p50', ms(p50), ''],
      ['revoke answer → all 4 instances refuse, p90 / max', `${ms(percentile(windows, 90))} / ${ms(Math.max(...windows))}`, ''],
      ['revoke answer → all 4 instances refuse, p99', ms(p99), verdict(p99, 50, 'max', ' ms')],
      ['requests accepted by any instance after that point (5 per instance per revocation)', String(acceptedAfter), acceptedAfter === 0 ? 'met (zero)' : 'MISSED'],
      [`upstream calls, ${REQUESTS} requests over ${TOKENS} tokens, shared cache`, `${callsShared} (${withShared.ok} 200, ${withShared.other} other)`, verdict(callsShared, 100, 'max')],
      [`upstream calls, ${REQUESTS} requests over ${TOKENS} tokens, no shared cache`, `${callsPlain} (${withoutShared.ok} 200, ${withoutShared.other} other)`, ''],
      [`no events, revalidation only (revalidateMs ${REVALIDATE_MS}): revoke answer → refused, p50 / p99 / max of ${REVALIDATE_SAMPLES}`,
        revalidation === undefined ? 'n/a' : `${ms(percentile(revalidation, 50))} / ${ms(percentile(revalidation, 99))} / ${ms(Math.max(...revalidation))}`,
        revalidation === undefined ? 'n/a' : verdict(Math.max(...revalidation), REVALIDATE_MS + 1_000, 'max', ' ms')],
    ]));
    say();
    say(`fleet: instances ${INSTANCES}, revocations ${REVOCATIONS}, p99 ${p99.toFixed(2)}, accepted after ${acceptedAfter}, upstream calls ${callsShared}`);
  } finally {
    await Promise.all(cleanup.reverse().map(stop));
  }
}

/** `--instance`: one app of the fleet, printing `ready <url>`. */
async function instanceMain(argv: string[]): Promise<void> {
  const value = (name: string) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
  const mm = value('--mm');
  const redis = value('--redis');
  if (mm === undefined || redis === undefined) throw new Error('--instance needs --mm and --redis');
  const Koa = (await import('koa')).default;
  const { authenticate, createHookBus, errorBoundary, getPrincipal } = await import('../middleware/index.js');
  const { fleetResolver } = await import('../middleware/fleet/index.js');
  const hooks = createHookBus();
  const fleet = fleetResolver({ url: mm, redis, hooks, ttlMs: 300_000, shared: !argv.includes('--no-shared') });
  await fleet.ready();
  const app = new Koa();
  app.use(errorBoundary());
  app.use(async (ctx, next) => {
    if (ctx.path === '/__stats') { ctx.body = { upstreamCalls: fleet.upstreamCalls }; return; }
    await next();
  });
  app.use(authenticate({ resolver: fleet.resolver }));
  app.use((ctx) => { ctx.body = { user_id: getPrincipal(ctx).userId }; });
  const server: Server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`ready http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
  const shutdown = () => { server.close(); server.closeAllConnections(); void fleet.close().then(() => process.exit(0)); };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

if (process.argv.includes('--instance')) await instanceMain(process.argv.slice(2));
