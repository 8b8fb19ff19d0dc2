/**
 * The benchmark (issue 5): `npm run bench` (full: 3 rounds of 8 s per target, ~17 min) or
 * `npm run bench -- --quick` (one round of 2 s, 100 tokens per load, smaller plain-Node timings,
 * no store-write run: under a minute). Prints tables of figures and ratios; never fails on a
 * figure (exit code 0 unless something crashed). Options: `--quick`, `--store` / `--no-store`
 * (run bench/store-write.ts or not; default: full yes, quick no), `--rounds N`, `--duration S`,
 * `--out FILE` (also write the report there), `--only a,b` (those targets and bare, nothing else),
 * `--fleet` (only the fleet benchmark, bench/fleet.ts: 4 instances through Redis; needs redis-server),
 * `--no-websocket` (skip bench/websocket.ts, which full and quick runs include unless `--only`),
 * `--websocket` (run only bench/websocket.ts, with the other options passed on).
 *
 * The headline ratio is server CPU per request against bare Koa measured around the target (issue 15),
 * with req/s beside it; every target is judged both ways. The mock's own PAT path (`me-*`,
 * `post-*`: GET /users/me and POST /posts, in memory and on a file database) and a cache over its
 * bound (`mw-over`) are targets like the Koa apps. Two targets are references: `bare-2` (bare Koa
 * again, its own process: what a target exactly as dear as bare measures in this run) and `bare-1M`
 * (a bare route beside the 1M-token store, which it never reads: the store's heap without the middleware).
 *
 * Every server runs in its own process (`bench/servers/serve.ts`, a fresh one per round), every
 * load in another (`bench/lib/load-worker.ts`: autocannon, 50 connections, against 127.0.0.1);
 * every target is measured between two loads of a bare Koa route (the order rotates each round),
 * its ratios are against their mean, and the figures are medians over the rounds.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startServer, type ChildServer } from './lib/child.js';
import { jwtOf, secretOf, spreadIndexes, UNKNOWN_SECRET } from './lib/fixtures.js';
import { createPat, httpClient, login } from './lib/http.js';
import { bearerRequests, startLoadDriver, type LoadDriver, type LoadRequest, type LoadResult } from './lib/load.js';
import { createPostRequests, usersMeRequests } from './lib/mock-path.js';
import type { MicroRow } from './lib/micro.js';
import { fixed, machine, median, ms, percentile, table, thousands, verdict } from './lib/report.js';
import { revocationLatency, revokeUnderLoad, type RevokeUnderLoadResult } from './lib/revocation.js';
import { websocketBench } from './lib/ws-embed.js';
import type { ReadyMessage, ServeConfig } from './servers/serve.js';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const option = (name: string): string | undefined => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const quick = flag('--quick');
const ROUNDS = Number(option('--rounds') ?? (quick ? 1 : 3));
const DURATION = Number(option('--duration') ?? (quick ? 2 : 8));
const WARM_S = quick ? 0.5 : 2;
/** Distinct tokens each load presents (every connection cycles through them). */
const LOAD_TOKENS = quick ? 100 : 1000;
/** Quick runs skip bench/store-write.ts unless `--store`; full runs include it unless `--no-store`. */
const STORE = quick ? flag('--store') : !flag('--no-store');
const CONNECTIONS = 50;
/** `--only a,b`: measure these targets (and bare) only; no revocation, plain-Node or store sections. */
const only = option('--only')?.split(',');
const BIG = 1_000_000;
const EVENT_SECRET = 'bench-event-secret-0123456789abcdef-0123456789';

const out: string[] = [];
/** Print and keep for `--out`. */
function say(text = ''): void {
  out.push(text);
  process.stdout.write(`${text}\n`);
}
const t0 = Date.now();
const progress = (text: string) => process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${text}\n`);

/**
 * A load's figures plus the server's CPU time per response (µs; `userUs` its user-space part),
 * read around the load, and the 1-min load average after it.
 */
type Round = LoadResult & { cpuUs: number; userUs: number; load1: number };

interface Measured {
  name: string;
  what: string;
  /** This round's server process. */
  server: ChildServer | undefined;
  tokens: string[];
  /** What the load sends (one per token for the Koa apps; made by `setup` for the mock's own path). */
  requests: LoadRequest[];
  /** Answers without a token: priming checks 200s only. */
  anonymous: boolean;
  /** The mock's own path: makes this round's requests once the server listens (tokens, a bot). */
  setup?: (url: string) => Promise<LoadRequest[]>;
  rounds: Round[];
  /**
   * Bare Koa as measured around each of this target's rounds: the mean of the bare load just
   * before it and the one just after (bare itself: its own rounds). Every ratio is against these.
   */
  refs: Round[];
  /** Start-up of each round's process. */
  builds: ReadyMessage[];
}

function serverOf(m: Measured): ChildServer {
  if (m.server === undefined) throw new Error(`${m.name}: no server`);
  return m.server;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** One request per token, then an unknown token and none: the target must answer 200, 401, 401. */
async function prime(m: Measured): Promise<void> {
  const client = httpClient(serverOf(m).url, 1);
  try {
    if (m.setup !== undefined) {
      for (const r of m.requests) {
        const res = await client.request(r.method ?? 'GET', r.path, r.headers?.authorization?.slice(7), r.body === undefined ? undefined : JSON.parse(r.body) as unknown);
        if (res.status < 200 || res.status > 299) throw new Error(`${m.name}: ${r.method ?? 'GET'} ${r.path} got ${res.status} ${res.body.slice(0, 200)}`);
      }
      return;
    }
    for (const token of m.tokens) {
      const res = await client.request('GET', '/', token);
      if (res.status !== 200) throw new Error(`${m.name}: a valid token got ${res.status} ${res.body}`);
    }
    if (!m.anonymous) {
      for (const token of [UNKNOWN_SECRET, undefined]) {
        const res = await client.request('GET', '/', token);
        if (res.status !== 401) throw new Error(`${m.name}: ${token === undefined ? 'no token' : 'an unknown token'} got ${res.status}`);
      }
    }
  } finally {
    client.close();
  }
}

let driver: LoadDriver;

async function load(m: Measured, duration: number): Promise<Round> {
  const server = serverOf(m);
  const before = await server.stats();
  const result = await driver.run({ url: server.url, connections: CONNECTIONS, duration, requests: m.requests });
  const after = await server.stats();
  const perResponse = (key: string) => ((after[key] ?? NaN) - (before[key] ?? NaN)) / result.total;
  return { ...result, cpuUs: perResponse('cpuUs'), userUs: perResponse('userUs'), load1: loadavg()[0] ?? NaN };
}

/** The mean of two bare loads, as the reference of the target measured between them. */
function between(a: Round, b: Round): Round {
  const mean = (f: (r: Round) => number) => (f(a) + f(b)) / 2;
  return {
    ...b, rps: mean((r) => r.rps), cpuUs: mean((r) => r.cpuUs), userUs: mean((r) => r.userUs),
    p50: mean((r) => r.p50), p99: mean((r) => r.p99), load1: mean((r) => r.load1),
  };
}

function childOutput(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; process.stderr.write(c); });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  driver = startLoadDriver();
  say(`# mattermost-pat benchmark (${quick ? 'quick' : 'full'}): ${new Date().toISOString()}`);
  say();
  say('```');
  say(machine());
  say(`rounds ${ROUNDS} x ${DURATION} s per target, ${CONNECTIONS} connections, ${LOAD_TOKENS} distinct tokens per load, warm-up ${WARM_S} s; command: tsx bench/run.ts ${argv.join(' ')}`.trim());
  say('```');

  // The mock (upstream of the remote resolver, target of the revocation runs) and, on a port
  // chosen first, the second app that receives the mock's signed events.
  const receiverPort = await freePort();
  progress('starting the mock server');
  const mock = await startServer({ kind: 'mock', webhooks: [`http://127.0.0.1:${receiverPort}/mattermost-pat/events`], webhookSecret: EVENT_SECRET });
  const receiver = await startServer({ kind: 'receiver', upstream: mock.url, eventSecret: EVENT_SECRET, port: receiverPort });
  const api = httpClient(mock.url, 4);
  let admin = await login(api, 'sysadmin', 'Sys@dmin-sample1');
  const pats = await Promise.all(Array.from({ length: LOAD_TOKENS }, (_, i) => createPat(api, admin, `bench remote ${i}`)));
  const patSecrets = pats.map((p) => p.token);
  /** Item 2: 100 distinct tokens. */
  const hundred = patSecrets.slice(0, 100);

  const small = spreadIndexes(1000, LOAD_TOKENS).map(secretOf);
  const jwts = await Promise.all(spreadIndexes(1000, LOAD_TOKENS).map(jwtOf));
  const bigTokens = spreadIndexes(BIG, LOAD_TOKENS).map(secretOf);
  // The mock's own path: its own processes, a fresh file database per round for the `--db` ones.
  const dbDir = mkdtempSync(join(tmpdir(), 'bench-mock-db-'));
  let dbFiles = 0;
  const fileDb = () => join(dbDir, `db-${dbFiles++}.json`);
  const MOCK_TOKENS = Math.min(LOAD_TOKENS, 100);
  const meSetup = (url: string) => usersMeRequests(url, MOCK_TOKENS);
  const postSetup = (url: string) => createPostRequests(url);
  /** The cache-sizing target: a working set twice `maxEntries`. */
  const MISS_ENTRIES = Math.floor(LOAD_TOKENS / 2);
  /** docs/middleware.md's advice for a big in-process store: fewer scavenges, each of which walks every old-space page. */
  const BIG_STORE_FLAGS = ['--max-semi-space-size=64'];
  /** `anonymous`: the target answers without a token (not primed with the two 401 checks). */
  const specs: Array<{ name: string; what: string; options: () => ServeConfig; execArgv?: string[]; tokens: string[]; setup?: (url: string) => Promise<LoadRequest[]>; anonymous?: true }> = [
    { name: 'bare', what: 'bare Koa route, no authentication', options: () => ({ kind: 'bare' }), tokens: small, anonymous: true },
    { name: 'bare-2', what: 'bare Koa again, in a process of its own: the control, what a target no dearer than bare measures', options: () => ({ kind: 'bare' }), tokens: small, anonymous: true },
    { name: 'map', what: 'raw Map.get(secret), 1k tokens', options: () => ({ kind: 'map' }), tokens: small },
    { name: 'sha-map', what: 'SHA-256 per request + Map, 1k tokens', options: () => ({ kind: 'sha-map' }), tokens: small },
    { name: 'jose', what: 'jose jwtVerify HS256', options: () => ({ kind: 'jose' }), tokens: jwts },
    { name: 'koa-jwt', what: 'koa-jwt HS256', options: () => ({ kind: 'koa-jwt' }), tokens: jwts },
    { name: 'passport', what: 'koa-passport + passport-http-bearer (SHA-256 + Map)', options: () => ({ kind: 'passport' }), tokens: small },
    { name: 'mw-1k', what: 'authenticate + storeResolver + warm cache, 1k tokens', options: () => ({ kind: 'middleware', tokens: 1000 }), tokens: small },
    { name: 'mw-1M', what: 'authenticate + storeResolver + warm cache, 1M tokens (one object per token)', options: () => ({ kind: 'middleware', tokens: BIG }), tokens: bigTokens },
    { name: 'mw-1M-packed', what: 'the same, 1M tokens in typed arrays (no object per token)', options: () => ({ kind: 'middleware', tokens: BIG, store: 'compact' }), tokens: bigTokens },
    { name: 'bare-1M', what: 'bare Koa route in a process holding the same 1M-token store, which no request reads', options: () => ({ kind: 'bare', heldTokens: BIG }), tokens: bigTokens, anonymous: true },
    { name: 'mw-1M-semi64', what: `mw-1M with node ${BIG_STORE_FLAGS.join(' ')} (docs/middleware.md's advice for big stores; bare keeps the defaults)`, options: () => ({ kind: 'middleware', tokens: BIG }), execArgv: BIG_STORE_FLAGS, tokens: bigTokens },
    { name: 'remote', what: `authenticate + remoteResolver (mock upstream), warm cache, ${LOAD_TOKENS} tokens`, options: () => ({ kind: 'remote', upstream: mock.url }), tokens: patSecrets },
    { name: 'mw-over', what: `the same as mw-1k with maxEntries ${MISS_ENTRIES}: a working set of ${LOAD_TOKENS} tokens over the bound`, options: () => ({ kind: 'middleware', tokens: 1000, maxEntries: MISS_ENTRIES }), tokens: small },
    { name: 'me-mem', what: `the mock: GET /api/v4/users/me, ${MOCK_TOKENS} PATs, in memory`, options: () => ({ kind: 'mock' }), tokens: [], setup: meSetup },
    { name: 'me-db', what: `the mock: GET /api/v4/users/me, ${MOCK_TOKENS} PATs, file database (--db)`, options: () => ({ kind: 'mock', dbFile: fileDb() }), tokens: [], setup: meSetup },
    { name: 'post-mem', what: 'the mock: POST /api/v4/posts, a system_post_all bot PAT, in memory', options: () => ({ kind: 'mock' }), tokens: [], setup: postSetup },
    { name: 'post-db', what: 'the mock: POST /api/v4/posts, a system_post_all bot PAT, file database (--db: fsync\'d journal per group commit)', options: () => ({ kind: 'mock', dbFile: fileDb() }), tokens: [], setup: postSetup },
  ];
  // Every round starts a fresh process per target (a process's own speed varies by several per
  // cent: memory layout, JIT), all at once; each is primed and warmed as soon as it listens (in
  // list order), so the 1M-token builds overlap the others' warm-ups. Nothing is measured before
  // all are up and warm; then each is measured once, in an order that rotates every round, right
  // after one more request per token.
  const chosen = specs.filter((spec) => spec.name === 'bare' || only === undefined || only.includes(spec.name));
  const targets: Measured[] = chosen.map((spec) => ({
    name: spec.name, what: spec.what, tokens: spec.tokens, requests: bearerRequests(spec.tokens), setup: spec.setup, anonymous: spec.anonymous === true, rounds: [], refs: [], builds: [], server: undefined,
  }));
  const bare = targets.find((m) => m.name === 'bare') as Measured;
  const others = targets.filter((m) => m !== bare);
  /** Bare's loads bracket every other target's: shorter, as they are many. */
  const BARE_S = Math.max(1, DURATION / 2);
  const measureBare = async (): Promise<Round> => {
    await prime(bare);
    const round = await load(bare, BARE_S);
    bare.rounds.push(round);
    bare.refs.push(round);
    return round;
  };
  const stats = new Map<string, Record<string, number>>();
  for (let r = 0; r < ROUNDS; r++) {
    progress(`round ${r + 1}/${ROUNDS}: starting ${chosen.length} target servers`);
    const starting = chosen.map((spec) => startServer(spec.options(), undefined, spec.execArgv));
    for (const p of starting) p.catch(() => undefined);
    try {
      for (const [i, m] of targets.entries()) {
        m.server = await (starting[i] as Promise<ChildServer>);
        m.builds.push(m.server.ready);
        if (m.setup !== undefined) m.requests = await m.setup(m.server.url);
        progress(`round ${r + 1}/${ROUNDS}: priming and warming ${m.name}`);
        await prime(m);
        await load(m, WARM_S);
      }
      // The machine's speed drifts by tens of per cent within a run (round 3's bare moved from
      // 34k to 20k req/s): each target is measured between two bare loads, and its ratios are
      // against their mean, not against one bare load taken minutes away.
      const order = others.map((_, i) => others[(i + r) % others.length] as Measured);
      let before = await measureBare();
      for (const m of order) {
        progress(`round ${r + 1}/${ROUNDS}: measuring ${m.name}`);
        // Touch every token again first: a cache entry older than its TTL (60 s by default; a
        // round lasts longer) is refreshed here, not during the measurement ("warm cache").
        await prime(m);
        m.rounds.push(await load(m, DURATION));
        const after = await measureBare();
        m.refs.push(between(before, after));
        before = after;
      }
      for (const m of targets) stats.set(m.name, await serverOf(m).stats());
    } finally {
      await Promise.all(starting.map((p) => p.then((server) => server.close(), () => undefined)));
    }
  }
  rmSync(dbDir, { recursive: true, force: true });
  const startup = targets.map((m) => [
    m.name, ms(median(m.builds.map((b) => b.buildMs)), 0), `${median(m.builds.map((b) => b.rssMb))} MB`,
  ]);
  reportThroughput(targets, stats, startup);

  // `--only`: the chosen targets' throughput and nothing else.
  if (only === undefined) {
    // Item 2: a cold remote resolver, 10k requests over 100 distinct tokens.
    progress('remote resolver: 10k requests over 100 tokens from a cold cache');
    const cold = await startServer({ kind: 'remote', upstream: mock.url });
    const burst = await driver.run({ url: cold.url, connections: CONNECTIONS, amount: 10_000, requests: bearerRequests(hundred) });
    const coldStats = await cold.stats();
    await cold.close();

    // The mock keeps at most 500 sessions per user (least recently used revoked, as Mattermost
    // does) and every PAT used above minted one: the first login session is gone by now.
    admin = await login(api, 'sysadmin', 'Sys@dmin-sample1');

    // Item 3 on the mock: revoke under load.
    const revokeRounds = quick ? 3 : 10;
    const loopers = 50;
    const underLoad: RevokeUnderLoadResult[] = [];
    for (let r = 0; r < revokeRounds; r++) {
      progress(`revocation under load ${r + 1}/${revokeRounds}`);
      const pat = await createPat(api, admin, `bench revoke ${r}`);
      underLoad.push(await revokeUnderLoad({ url: mock.url, admin, token: pat.token, tokenId: pat.id, loopers, beforeMs: 400, afterMs: 400 }));
    }

    // Item 3 through the second app.
    const latencyCount = quick ? 20 : 100;
    progress(`revocation latency through the second app (${latencyCount} revocations)`);
    const latency = await revocationLatency({ mockUrl: mock.url, appUrl: receiver.url, admin, revocations: latencyCount });
    api.close();
    await receiver.close();
    await mock.close();
    reportRevocation(burst, coldStats, underLoad, loopers, latency.map((s) => s.latencyMs), latency.map((s) => s.acceptedAfter));

    progress('plain Node timings');
    const micro = await childOutput(['--import', 'tsx', fileURLToPath(new URL('./lib/micro.ts', import.meta.url)), '--tokens', String(quick ? 100_000 : BIG), ...(quick ? ['--quick'] : [])]);
    if (micro.code === 0) {
      const rows = JSON.parse(micro.stdout.trim().split('\n').pop() ?? '[]') as MicroRow[];
      say();
      say('## Plain Node timings (no HTTP; median of 5 batches)');
      say();
      say(table(['operation', 'per call'], rows.map((r) => [r.name, r.ns >= 1e6 ? ms(r.ns / 1e6) : r.ns >= 1000 ? `${fixed(r.ns / 1000)} µs` : `${fixed(r.ns, 0)} ns`])));
    } else {
      say(`plain Node timings failed (exit ${micro.code})`);
    }
  } else {
    api.close();
    await receiver.close();
    await mock.close();
  }

  await driver.close();
  if (STORE && only === undefined) {
    progress('lowdb write path: bench/store-write.ts (storage helper)');
    const args = ['--import', 'tsx', fileURLToPath(new URL('./store-write.ts', import.meta.url)), ...(quick ? ['--quick'] : [])];
    const store = await childOutput(args);
    say();
    say(`## Write path on lowdb (bench/store-write.ts${quick ? ' --quick' : ''}, exit ${store.code})`);
    say();
    const note = store.stdout.split('\n').find((l) => l.startsWith('store-write results'));
    if (note !== undefined) { say(note); say(); }
    const parsed = consoleTable(store.stdout);
    if (parsed !== undefined) say(table(parsed.head, parsed.rows));
    else say('```\n' + store.stdout.trim() + '\n```');
  }

  if (only === undefined) {
    progress('heap bytes per cached principal: bench/cache-entry-size.ts');
    const entries = quick ? 20_000 : 100_000;
    const sizes = await childOutput(['--expose-gc', '--import', 'tsx', fileURLToPath(new URL('./cache-entry-size.ts', import.meta.url)), '--entries', String(entries)]);
    say();
    say(`## Cache entry size (bench/cache-entry-size.ts --entries ${entries}, exit ${sizes.code})`);
    say();
    // "<shape>: N B per cached principal through storeResolver(); the cache's own entry (…) M B, K B with revalidateMs"
    const shapes = [...sizes.stdout.matchAll(/^(.+?): (\d+) B per cached principal.*?own entry \([^)]*\) (\d+) B, (\d+) B with revalidateMs/gm)];
    if (shapes.length === 0) say('```\n' + sizes.stdout.trim() + '\n```');
    else {
      say(table(['data', 'per cached principal (storeResolver)', "the cache's own entry", 'with revalidateMs', 'target: own entry ≤ 400 B'],
        shapes.map(([, shape = '', whole = '', own = '', revalidating = '']) => [shape, `${whole} B`, `${own} B`, `${revalidating} B`, verdict(Number(own), 400, 'max', ' B')])));
    }
  }

  if (only === undefined) {
    // Item 1 without the between-process spread: authenticate() + a warm hit against a bare route
    // of the same process, the 1M-token store in its heap (bench/paired.ts).
    const pairs = quick ? ['--tokens', '100000', '--rounds', '4', '--duration', '1'] : ['--tokens', String(BIG), '--rounds', '12', '--duration', '2'];
    progress(`the middleware in one process: bench/paired.ts ${pairs.join(' ')}`);
    const paired = await childOutput(['--import', 'tsx', fileURLToPath(new URL('./paired.ts', import.meta.url)), ...pairs]);
    say();
    say(`## The middleware against a bare route in one process (bench/paired.ts ${pairs.join(' ')}, exit ${paired.code})`);
    say();
    say(paired.stdout.trim());
  }

  if (!flag('--no-websocket') && only === undefined) {
    progress('WebSocket fan-out, memory, throughput: bench/websocket.ts');
    say();
    say((await websocketBench(quick ? ['--quick'] : [])).section);
  }

  say();
  say(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  say(`total ${fixed((Date.now() - started) / 1000, 0)} s`);
  const file = option('--out');
  if (file !== undefined) writeFileSync(file, `${out.join('\n')}\n`);
}

/** The rows of the last `console.table()` in `text` (without the index column), or undefined. */
function consoleTable(text: string): { head: string[]; rows: string[][] } | undefined {
  const cells = (line: string) => line.split('│').slice(2, -1).map((c) => c.trim().replace(/^'(.*)'$/, '$1'));
  const lines = text.split('\n').filter((l) => l.startsWith('│'));
  const head = lines.find((l) => l.includes('(index)'));
  if (head === undefined) return undefined;
  return { head: cells(head), rows: lines.filter((l) => l !== head).map(cells) };
}

function reportThroughput(targets: Measured[], stats: Map<string, Record<string, number>>, startup: string[][]): void {
  const bare = targets.find((m) => m.name === 'bare') as Measured;
  const rps = (m: Measured) => median(m.rounds.map((r) => r.rps));
  /** Round i of `m` against the bare loads around it (bare's figure / the target's, so higher is better): by `of`. */
  const vsBare = (m: Measured, i: number, of: (r: Round) => number) => {
    const r = m.rounds[i];
    const ref = m.refs[i];
    return r === undefined || ref === undefined ? NaN : of(ref) / of(r);
  };
  const perRound = (m: Measured, base: Measured, of: (r: Round) => number) =>
    m.rounds.map((_, i) => (base === bare ? vsBare(m, i, of) : vsBare(m, i, of) / vsBare(base, i, of)));
  const byCpu = (r: Round) => r.cpuUs;
  const byUser = (r: Round) => r.userUs;
  const byRps = (r: Round) => 1 / r.rps;
  const ratio = (m: Measured, base: Measured) => median(perRound(m, base, byRps));
  const cpuRatio = (m: Measured, base: Measured) => median(perRound(m, base, byCpu));
  /** The median and, in brackets, the range over the rounds. */
  const spreadOf = (values: number[]) => (values.length < 2 ? fixed(median(values)) : `${fixed(median(values))} (${fixed(Math.min(...values))}–${fixed(Math.max(...values))})`);
  const dp99 = (m: Measured) => median(m.rounds.map((r, i) => r.p99 - (m.refs[i]?.p99 ?? NaN)));
  const flawed = (m: Measured) => m.rounds.some((r) => r.non2xx > 0 || r.errors > 0 || r.timeouts > 0);
  const loads = targets.flatMap((m) => m.rounds.map((r) => r.load1));

  say();
  say(`## Throughput (${CONNECTIONS} connections, ${ROUNDS} x ${DURATION} s per target, medians; every target measured between two bare loads of ${fixed(Math.max(1, DURATION / 2), 0)} s)`);
  say();
  say('The headline ratio is **server CPU per request** (user + kernel) against bare Koa measured just before and just after the target (bare\'s CPU µs / the target\'s; the range over the rounds in brackets): it moves far less with the machine\'s load than req/s, which is beside it. The user-space part is beside it too: on loopback the kernel time of a write includes the load generator\'s TCP receive and its wake-up, which costs more the longer the generator sits idle, so it weighs more on slow targets.');
  say(`1-min load average after the loads: median ${fixed(median(loads))}, min ${fixed(Math.min(...loads))}, max ${fixed(Math.max(...loads))} (on ${availableParallelism()} cores).`);
  say();
  say(table(
    ['target', 'what', 'x bare by CPU', 'server CPU/req', 'user CPU/req', 'x bare by user CPU', 'req/s', 'x bare req/s', 'p50', 'p99', 'Δp99 vs bare', 'per round req/s', 'ok'],
    targets.map((m) => [
      m.name, m.what, m === bare ? '1.00' : spreadOf(perRound(m, bare, byCpu)), `${fixed(median(m.rounds.map(byCpu)), 1)} µs`, `${fixed(median(m.rounds.map(byUser)), 1)} µs`,
      fixed(median(perRound(m, bare, byUser))), thousands(rps(m)), fixed(ratio(m, bare)),
      ms(median(m.rounds.map((r) => r.p50))), ms(median(m.rounds.map((r) => r.p99))),
      m === bare ? '' : ms(dp99(m)),
      m === bare ? `${thousands(Math.min(...m.rounds.map((r) => r.rps)))}–${thousands(Math.max(...m.rounds.map((r) => r.rps)))} over ${m.rounds.length} loads` : m.rounds.map((r) => thousands(r.rps)).join(' / '), flawed(m) ? 'NON-2xx/ERRORS' : 'all 2xx',
    ]),
  ));
  say();
  say(table(['server', 'start-up (median; in parallel with the others)', 'RSS at start (median)', 'RSS / counters after the last round'], startup.map(([name, build, rss]) => {
    const s = stats.get(name ?? '') ?? {};
    return [name ?? '', build ?? '', rss ?? '', Object.entries(s).filter(([k]) => k !== 'cpuUs' && k !== 'userUs').map(([k, v]) => `${k} ${v}`).join(', ')];
  })));

  const named = (name: string) => targets.find((m) => m.name === name);
  const one = named('mw-1k');
  /** A ratio target, judged by CPU and by req/s (n/a when `--only` left a target out). */
  const both = (item: string, m: Measured | undefined, base: Measured | undefined, bound: number, label: string): string[] => {
    if (m === undefined || base === undefined) return [item, `${label} ≥ ${fixed(bound)}`, 'not run', '', 'not run', ''];
    const byCpu = cpuRatio(m, base);
    const byRps = ratio(m, base);
    return [item, `${label} ≥ ${fixed(bound)}`, fixed(byCpu, 3), verdict(byCpu, bound, 'min'), fixed(byRps, 3), verdict(byRps, bound, 'min')];
  };
  // Bare's own p99 moves from round to round by more than the deltas the target is about: a
  // Δp99 inside that spread (or under 1 ms) is not resolved on this machine, and is said so.
  const bareP99 = bare.rounds.map((r) => r.p99);
  const spread = Math.max(...bareP99) - Math.min(...bareP99);
  const p99Row = (m: Measured | undefined): string[] => {
    if (m === undefined) return ['1', 'p99 within 1 ms of bare', '', '', 'not run', ''];
    const d = dp99(m);
    const resolved = Number.isFinite(d) && Math.abs(d) >= Math.max(1, spread);
    return ['1', `${m.name} p99 within 1 ms of bare`, '', '', `Δp99 ${ms(d)}`,
      resolved ? verdict(d, 1, 'max', ' ms') : `not resolved here (under ${ms(Math.max(1, spread))}: bare's own p99 moved by ${ms(spread)} between its loads)`];
  };
  const rows: string[][] = [];
  const control = named('bare-2');
  // Bare against bare: how far from 1.00 this run puts a target that costs exactly what bare costs.
  if (control !== undefined) rows.push(['0', 'control: bare-2 (bare again, its own process) x bare', spreadOf(perRound(control, bare, byCpu)), 'reported (1.00 would be exact)', spreadOf(perRound(control, bare, byRps)), 'reported']);
  const heldBare = named('bare-1M');
  for (const name of ['mw-1M', 'mw-1M-packed', 'mw-1M-semi64']) {
    const big = named(name);
    rows.push(both('1', big, bare, 0.95, `${name} x bare`), p99Row(big), both('1', big, one, 0.95, `${name} / mw-1k`));
    // What the middleware adds at 1M, apart from what holding 1M rows costs any route.
    if (name === 'mw-1M') rows.push(both('1', big, heldBare, 0.95, 'mw-1M / bare-1M (the same store held by a bare route)'));
  }
  rows.push(both('2', named('remote'), bare, 0.85, 'remote x bare'));
  rows.push(both('4', named('me-mem'), bare, 0.7, 'GET /users/me in memory x bare'));
  rows.push(both('4', named('me-db'), bare, 0.7, 'GET /users/me on a file db x bare'));
  rows.push(both('4', named('post-mem'), bare, 0.5, 'POST /posts in memory x bare'));
  rows.push(both('4', named('post-db'), bare, 0.35, 'POST /posts on a file db x bare'));
  const over = named('mw-over');
  if (over !== undefined) rows.push(['6', 'cache sizing: mw-over (working set 2x maxEntries: every request a miss) x bare', fixed(cpuRatio(over, bare), 3), 'reported', fixed(ratio(over, bare), 3), 'reported']);
  say();
  say('## Targets');
  say();
  say(table(['item', 'target', 'by CPU', 'verdict by CPU', 'by req/s', 'verdict by req/s'], rows));
}

function reportRevocation(burst: LoadResult, coldStats: Record<string, number>, underLoad: RevokeUnderLoadResult[], loopers: number, latencies: number[], acceptedAfter: number[]): void {
  const sum = (f: (r: RevokeUnderLoadResult) => number) => underLoad.reduce((n, r) => n + f(r), 0);
  const calls = coldStats.upstreamCalls ?? NaN;
  say();
  say('## Remote resolver from a cold cache (item 2)');
  say();
  say(table(['figure', 'value', 'verdict'], [
    ['requests (all 2xx?)', `${burst.total} (${burst.ok2xx} 2xx, ${burst.non2xx} other, ${burst.errors} errors)`, burst.ok2xx === 10_000 ? 'ok' : 'NOT ALL 2xx'],
    ['distinct tokens', '100', ''],
    ['upstream calls (GET /api/v4/users/me on the mock)', String(calls), verdict(calls, 100, 'max')],
    ['req/s from cold', thousands(burst.rps), ''],
  ]));
  say();
  say(`## Revocation (item 3)`);
  say();
  say(`On the mock itself: ${underLoad.length} revocations, each under ${loopers} concurrent clients using the token back to back (400 ms before the revoke, 400 ms after its answer).`);
  say();
  say(table(['figure', 'value', 'verdict'], [
    ['requests', thousands(sum((r) => r.requests)), ''],
    ['accepted, started before the revoke answer', thousands(sum((r) => r.acceptedBefore)), ''],
    ['  of which answered after it (in flight, raced the revoke)', thousands(sum((r) => r.inFlightAccepted)), ''],
    ['refused, started before the revoke answer (revoke already effective)', thousands(sum((r) => r.refusedBefore)), ''],
    ['refused, started after the revoke answer', thousands(sum((r) => r.refusedAfter)), ''],
    ['errors (neither 200 nor 401)', thousands(sum((r) => r.otherAfter + r.otherBefore)), ''],
    ['revoke answer → first 401 received (median; includes queueing behind the 50 clients)', ms(median(underLoad.map((r) => r.firstRefusalMs))), ''],
    ['ACCEPTED, started after the revoke answer', String(sum((r) => r.acceptedAfterRevoke)), sum((r) => r.acceptedAfterRevoke) === 0 ? 'met (zero)' : 'MISSED'],
  ]));
  say();
  say(`Through a second Koa app (remoteResolver + eventReceiver, the mock's HS256-signed webhook pointed at it): ${latencies.length} revocations; time from the revoke answer (at the client) to the first 401 from the second app, probing back to back.`);
  say();
  say(table(['p50', 'p99', 'max', 'revocations with ≥ 1 request accepted after the revoke answer', 'such requests in total'], [[
    ms(percentile(latencies, 50)), ms(percentile(latencies, 99)), ms(Math.max(...latencies)),
    String(acceptedAfter.filter((n) => n > 0).length), String(acceptedAfter.reduce((a, b) => a + b, 0)),
  ]]));
}

if (flag('--fleet')) {
  // Issue 13 §4: the fleet through Redis (bench/fleet.ts), instead of the rest.
  const { runFleetBench } = await import('./fleet.js');
  await runFleetBench({ say, progress });
  if (option('--out') !== undefined) writeFileSync(option('--out') as string, `${out.join('\n')}\n`);
} else if (flag('--websocket')) {
  // Issue 11 §4: only bench/websocket.ts (it takes --quick, --rounds, --duration, --out … itself).
  const ws = await websocketBench(argv.filter((a) => a !== '--websocket'));
  process.stdout.write(ws.stdout);
  process.exitCode = ws.code;
} else {
  await main();
}
