/**
 * The middleware's own cost, paired in one process (issue 15): one `middleware` server (the
 * documented Map-of-rows store, `tokens` tokens) answers `GET /bare` without `authenticate()`, as
 * the `bare` target does, and every other URL through it. The same load (the same 1000 tokens in
 * `Authorization`) alternates between the two URLs, `--rounds` times each, and the server's CPU
 * per request is read around each load. Both sides share the process's heap, GC and JIT state, so
 * the ratio prices `authenticate()` + the cache hit alone, without the between-process spread the
 * bench's cross-process ratios carry; the bench's `mw-1M x bare` adds to it what the store's heap
 * costs every request (bench/scavenge-pages.ts).
 *
 * @example
 * ```sh
 * npx tsx bench/paired.ts                      # 1M tokens, 12 pairs of 2 s
 * npx tsx bench/paired.ts --tokens 1000 --rounds 20 --duration 3
 * ```
 */
import { loadavg } from 'node:os';
import { startServer } from './lib/child.js';
import { secretOf, spreadIndexes } from './lib/fixtures.js';
import { bearerRequests, startLoadDriver } from './lib/load.js';
import { fixed, median, table } from './lib/report.js';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const tokens = Number(option('--tokens') ?? 1_000_000);
const rounds = Number(option('--rounds') ?? 12);
const duration = Number(option('--duration') ?? 2);
const BARE = '/bare';

const server = await startServer({ kind: 'middleware', tokens, bareUrl: BARE }, 300_000);
const driver = startLoadDriver();
try {
  const secrets = spreadIndexes(tokens, 1000).map(secretOf);
  const loads = { bare: bearerRequests(secrets, BARE), middleware: bearerRequests(secrets, '/') };
  const sides = ['bare', 'middleware'] as const;
  for (const side of sides) await driver.run({ url: server.url, connections: 50, duration: 2, requests: loads[side] });
  const cpu = { bare: [] as number[], middleware: [] as number[] };
  const loadAverages: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate which side goes first, so a load that rises within a round favours neither.
    for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
      const before = (await server.stats()).cpuUs ?? NaN;
      const result = await driver.run({ url: server.url, connections: 50, duration, requests: loads[side] });
      const after = (await server.stats()).cpuUs ?? NaN;
      cpu[side].push((after - before) / result.total);
    }
    loadAverages.push(loadavg()[0] ?? NaN);
  }
  const pairs = cpu.middleware.map((us, i) => (cpu.bare[i] ?? NaN) / us);
  const stats = await server.stats();
  process.stdout.write(`${tokens} tokens in the store, heap ${stats.heapMb} MB; ${rounds} pairs of ${duration} s; 1-min load ${fixed(Math.min(...loadAverages))}–${fixed(Math.max(...loadAverages))} (median ${fixed(median(loadAverages))})\n\n`);
  process.stdout.write(`${table(['side', 'server CPU/req (median)', 'x bare by CPU (median of pairs)', 'pairs (min–max)'], [
    ['bare (same process)', `${fixed(median(cpu.bare), 1)} µs`, '1.00', ''],
    ['authenticate + cache hit', `${fixed(median(cpu.middleware), 1)} µs`, fixed(median(pairs), 3), `${fixed(Math.min(...pairs))}–${fixed(Math.max(...pairs))}`],
  ])}\n`);
} finally {
  await driver.close();
  await server.close();
}
