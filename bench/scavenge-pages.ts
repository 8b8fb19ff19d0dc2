/**
 * Why a young-generation GC (scavenge) is dearer with 1M token rows in the heap (issue 15): a
 * plain-Node reproduction, no middleware, no HTTP. For each heap shape below, a child process
 * builds it, collects it into old space (two full GCs), then allocates short-lived garbage the way
 * a Koa request does (~18 KB of small objects per "request", none kept; Koa + node:http allocate
 * ~12 KB) with a fixed semi-space, under `--trace-gc-nvp`; the scavenges of that loop are
 * summarized:
 *
 * | shape | what sits in old space |
 * | --- | --- |
 * | `empty` | nothing |
 * | `rows-rope` | `Map<digest, row>` with ids built by concatenation (rope strings), as the old bench fixture |
 * | `rows-json` | the same rows parsed from JSON (flat strings), as docs/middleware.md's store loaded from a database |
 * | `large-arrays` | about as many bytes as `rows-rope`, in 1M-element arrays (large-object space: one chunk each) |
 *
 * `unnamed` is the part of each scavenge outside every phase the trace names (roots, parallel
 * copying, weak handles, …): in V8 11.3 (Node 20) it is `ScavengerCollector::CollectGarbage`
 * visiting the header of every old-generation page (`RememberedSet<OLD_TO_NEW>::IterateMemoryChunks`)
 * to find the pages with old→new slots — whether or not any has one. So it grows with the number
 * of 256 KB old-space pages, not with writes into old objects (the copying phase stays ~0) and
 * not with the bytes held in large-object chunks.
 *
 * @example
 * ```sh
 * npx tsx bench/scavenge-pages.ts                     # every shape, 1M tokens, 16 MB semi-space
 * npx tsx bench/scavenge-pages.ts --tokens 250000 --semi 32 --shapes rows-json,empty
 * ```
 */
import { spawnSync } from 'node:child_process';
import { hash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import { table } from './lib/report.js';

const SHAPES = ['empty', 'rows-rope', 'rows-json', 'large-arrays'] as const;
type Shape = (typeof SHAPES)[number];
const PAGE = 256 * 1024;
/** "Requests" of garbage allocated after the build; ~1.8 GB at ~18 KB each, ~115 scavenges at 16 MB. */
const REQUESTS = 100_000;
const MARK = '--- scavenge-pages: loop starts ---';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };

interface Row { id: string; digest: string; user_id: string; description: string; is_active: boolean; expires_at: number }
const idOf = (prefix: string, i: number) => `${prefix}${i.toString(36).padStart(25, '0')}`;
const userIds = Array.from({ length: 10_000 }, (_, u) => idOf('u', u));
/** A row as the old bench fixture built it: concatenated id (a rope), user id strings shared. */
const rowOf = (i: number): Row => ({
  id: idOf('t', i), digest: hash('sha256', `secret${i}`, 'hex'), user_id: userIds[i % 10_000] as string, description: 'benchmark', is_active: true, expires_at: 0,
});

function build(shape: Shape, tokens: number): unknown[] {
  const kept: unknown[] = [];
  if (shape === 'rows-rope') {
    const rows = new Map<string, Row>();
    for (let i = 0; i < tokens; i++) { const row = rowOf(i); rows.set(row.digest, row); }
    kept.push(rows);
  } else if (shape === 'rows-json') {
    const rows = new Map<string, Row>();
    for (let start = 0; start < tokens; start += 10_000) {
      const page: string[] = [];
      for (let i = start; i < Math.min(tokens, start + 10_000); i++) page.push(JSON.stringify(rowOf(i)));
      for (const row of JSON.parse(`[${page.join(',')}]`) as Row[]) rows.set(row.digest, row);
    }
    kept.push(rows);
  } else if (shape === 'large-arrays') {
    // 385 B per token, as rows-rope holds, in arrays of 1M smis (8 MB each, one chunk each).
    for (let i = 0; i < Math.round((tokens * 385) / 8e6); i++) kept.push(new Array<number>(1_000_000).fill(i));
  }
  return kept;
}

/** The child: build, settle, mark stdout, allocate garbage; the trace lines go to stdout. */
function child(shape: Shape, tokens: number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('child needs --expose-gc');
  const kept = build(shape, tokens);
  gc();
  gc();
  const old = getHeapSpaceStatistics().find((s) => s.space_name === 'old_space');
  const large = getHeapSpaceStatistics().find((s) => s.space_name === 'large_object_space');
  process.stdout.write(`${MARK} ${JSON.stringify({ oldMb: (old?.space_used_size ?? 0) / 2 ** 20, oldPages: Math.round((old?.space_size ?? 0) / PAGE), largeMb: (large?.space_used_size ?? 0) / 2 ** 20 })}\n`);
  let sink = 0;
  const cpu = process.cpuUsage();
  for (let r = 0; r < REQUESTS; r++) {
    const garbage: { r: number; j: number; s: string }[] = [];
    for (let j = 0; j < 250; j++) garbage.push({ r, j, s: 'x' });
    sink += garbage.length;
  }
  const used = process.cpuUsage(cpu);
  process.stdout.write(`${MARK} ${JSON.stringify({ loopCpuMs: (used.user + used.system) / 1000, sink, kept: kept.length })}\n`);
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length === 0 ? NaN : (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2; };
/** Named phases of a scavenge in V8 11.3's nvp trace; what is left of `scavenge` is `unnamed`. */
const NAMED = ['scavenge.free_remembered_set', 'scavenge.roots', 'scavenge.weak', 'scavenge.weak_global_handles.identify',
  'scavenge.weak_global_handles.process', 'scavenge.parallel', 'scavenge.update_refs', 'scavenge.sweep_array_buffers'];

function run(shape: Shape, tokens: number, semiMb: number): string[] {
  const flags = ['--expose-gc', `--min-semi-space-size=${semiMb}`, `--max-semi-space-size=${semiMb}`, '--trace-gc-nvp'];
  const out = spawnSync(process.execPath, [...flags, ...process.execArgv, fileURLToPath(import.meta.url), '--child', shape, '--tokens', String(tokens)],
    { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  if (out.status !== 0) throw new Error(`${shape}: child exited ${out.status}: ${out.stderr}`);
  const [, heapPart = '', loopPart = ''] = out.stdout.split(MARK);
  const heap = JSON.parse(heapPart.slice(0, heapPart.indexOf('\n'))) as { oldMb: number; oldPages: number; largeMb: number };
  const end = JSON.parse(loopPart.slice(0, loopPart.indexOf('\n'))) as { loopCpuMs: number };
  const scavenges = heapPart.split('\n').filter((l) => l.includes('gc=s '))
    .map((l) => Object.fromEntries([...l.matchAll(/(\S+)=([\d.]+)/g)].map((m) => [m[1], Number(m[2])])) as Record<string, number>);
  const unnamed = scavenges.map((s) => (s.scavenge ?? 0) - NAMED.reduce((sum, k) => sum + (s[k] ?? 0), 0));
  const pauses = scavenges.map((s) => s.pause ?? 0);
  const total = pauses.reduce((a, b) => a + b, 0);
  const allocated = scavenges.reduce((sum, s) => sum + (s.allocated ?? 0), 0);
  return [shape, heap.oldMb.toFixed(0), String(heap.oldPages), heap.largeMb.toFixed(0), String(scavenges.length),
    median(pauses).toFixed(2), median(unnamed).toFixed(2), median(scavenges.map((s) => s['scavenge.parallel'] ?? 0)).toFixed(2),
    total.toFixed(0), ((total * 1000) / REQUESTS).toFixed(2), end.loopCpuMs.toFixed(0), ((allocated / REQUESTS) / 1024).toFixed(1)];
}

const tokens = Number(option('--tokens') ?? 1_000_000);
if (argv[0] === '--child') {
  child(argv[1] as Shape, tokens);
} else {
  const semiMb = Number(option('--semi') ?? 16);
  const shapes = (option('--shapes')?.split(',') ?? SHAPES) as Shape[];
  const rows = shapes.map((shape) => run(shape, tokens, semiMb));
  process.stdout.write(`${tokens} tokens, semi-space ${semiMb} MB, ${REQUESTS} "requests" of garbage; pause, unnamed, parallel: medians per scavenge (ms)\n\n`);
  process.stdout.write(`${table(['shape', 'old MB', 'old pages', 'large-object MB', 'scavenges', 'pause', 'unnamed', 'parallel', 'pauses total ms', 'µs per request', 'loop CPU ms', 'KB allocated per request'], rows)}\n`);
}
