/**
 * Plain Node timings (no HTTP), run by the runner in a child process:
 * `node --import tsx bench/lib/micro.ts [--tokens N] [--quick]` prints one JSON array of {@link MicroRow}.
 * Each figure is the median of 5 timed batches after a warm-up batch.
 *
 * @example
 * ```sh
 * node --import tsx bench/lib/micro.ts --tokens 1000000
 * ```
 */
import type Koa from 'koa';
import { jwtVerify } from 'jose';
import { performance } from 'node:perf_hooks';
import { authenticate } from '../../middleware/auth/authenticate.js';
import { sha256Hex } from '../../middleware/util/digest.js';
import { createHookBus } from '../../middleware/hooks/hook-bus.js';
import { cachedResolver } from '../../middleware/cache/session-cache.js';
import { storeResolver } from '../../middleware/auth/store-resolver.js';
import type { StoredToken } from '../../middleware/types.js';
import { JWT_SECRET, jwtOf, secretOf, spreadIndexes, syncTokenStore } from './fixtures.js';

export interface MicroRow {
  name: string;
  /** Nanoseconds per operation. */
  ns: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** ns per call of `fn(i)` over `iterations` calls: median of 5 batches after one warm-up batch. */
function time(iterations: number, fn: (i: number) => unknown): number {
  const batches: number[] = [];
  let sink = 0;
  for (let b = 0; b < 6; b++) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) if (fn(i) === undefined) sink++;
    const ns = ((performance.now() - t0) * 1e6) / iterations;
    if (b > 0) batches.push(ns);
  }
  if (sink < 0) console.log(sink);
  return median(batches);
}

async function timeAsync(iterations: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const batches: number[] = [];
  for (let b = 0; b < 6; b++) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) await fn(i);
    const ns = ((performance.now() - t0) * 1e6) / iterations;
    if (b > 0) batches.push(ns);
  }
  return median(batches);
}

/** A context with just what `authenticate()` reads on the bearer path. */
function fakeContext(token: string): Koa.Context {
  const ctx = { headers: { authorization: `Bearer ${token}` }, querystring: '', query: {}, state: {}, method: 'GET', path: '/' };
  return ctx as unknown as Koa.Context;
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--tokens');
  const n = at >= 0 ? Number(process.argv[at + 1]) : 1_000_000;
  /** `--quick`: a fifth of the iterations. */
  const k = process.argv.includes('--quick') ? 0.2 : 1;
  const rows: MicroRow[] = [];
  const label = n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`;
  const store = syncTokenStore(n);
  const secrets = spreadIndexes(n, 1000).map(secretOf);
  const digests = secrets.map(sha256Hex);
  const rawMap = new Map(secrets.map((s) => [s, s]));

  rows.push({ name: `Map.get by digest (${label} entries)`, ns: time(1_000_000 * k, (i) => store.byDigest.get(digests[i % 1000] as string)) });
  rows.push({ name: 'Map.get by raw secret (1k entries)', ns: time(1_000_000 * k, (i) => rawMap.get(secrets[i % 1000] as string)) });
  rows.push({ name: 'sha256Hex(26-char token)', ns: time(100_000 * k, (i) => sha256Hex(secrets[i % 1000] as string)) });

  const plain = storeResolver(store);
  rows.push({ name: `storeResolver.resolve, no cache (${label} tokens)`, ns: time(30_000 * k, (i) => plain.resolve(secrets[i % 1000] as string, { source: 'header-bearer' })) });
  const cached = cachedResolver(storeResolver(store), { hooks: createHookBus() });
  for (const s of secrets) cached.resolve(s, { source: 'header-bearer' });
  rows.push({ name: `cachedResolver.resolve, warm hit (${label} tokens)`, ns: time(1_000_000 * k, (i) => cached.resolve(secrets[i % 1000] as string, { source: 'header-bearer' })) });

  const middleware = authenticate({ resolver: cached });
  const contexts = secrets.map(fakeContext);
  const next = () => Promise.resolve();
  rows.push({ name: 'authenticate() call, warm cache (no HTTP)', ns: time(1_000_000 * k, (i) => middleware(contexts[i % 1000] as Koa.Context, next)) });

  const key = new TextEncoder().encode(JWT_SECRET);
  const jwts = await Promise.all([0, 1, 2, 3].map(jwtOf));
  rows.push({ name: 'jose jwtVerify HS256 (awaited)', ns: await timeAsync(5_000 * k, (i) => jwtVerify(jwts[i % 4] as string, key, { algorithms: ['HS256'] })) });

  const array: StoredToken[] = [...store.byDigest.values()];
  const far = digests.slice(400, 600);
  rows.push({ name: `Array.find by digest (${label} tokens, middle of the range)`, ns: time(n >= 1_000_000 ? 4 : 40, (i) => array.find((t) => t.digest === far[i % far.length])) });

  process.stdout.write(`${JSON.stringify(rows)}\n`);
}

await main();
