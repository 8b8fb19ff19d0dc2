/**
 * CPU profile of one benchmark target under load (issue 15): the target's server runs with
 * `node --cpu-prof`, gets the bench's load for `--duration` seconds, exits, and the profile's top
 * frames by self time are printed (the `.cpuprofile` file stays in `--dir` for Chrome DevTools).
 *
 * @example
 * ```sh
 * npx tsx bench/profile.ts me-db --duration 8          # GET /users/me on a file database
 * npx tsx bench/profile.ts me-mem --top 25 --dir /tmp/prof
 * ```
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './lib/child.js';
import { secretOf, spreadIndexes } from './lib/fixtures.js';
import { bearerRequests, startLoadDriver, type LoadRequest } from './lib/load.js';
import { createPostRequests, usersMeRequests } from './lib/mock-path.js';
import { table } from './lib/report.js';
import type { ServeConfig } from './servers/serve.js';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const name = argv[0] ?? 'me-mem';
const duration = Number(option('--duration') ?? 8);
const top = Number(option('--top') ?? 20);
const dir = option('--dir') ?? mkdtempSync(join(tmpdir(), 'bench-prof-'));
mkdirSync(dir, { recursive: true });

const dbDir = mkdtempSync(join(tmpdir(), 'bench-prof-db-'));
const targets: Record<string, { config: ServeConfig; requests: (url: string) => Promise<LoadRequest[]> }> = {
  'me-mem': { config: { kind: 'mock' }, requests: (url) => usersMeRequests(url, 100) },
  'me-db': { config: { kind: 'mock', dbFile: join(dbDir, 'db.json') }, requests: (url) => usersMeRequests(url, 100) },
  'post-mem': { config: { kind: 'mock' }, requests: (url) => createPostRequests(url) },
  'post-db': { config: { kind: 'mock', dbFile: join(dbDir, 'db.json') }, requests: (url) => createPostRequests(url) },
  'mw-1M': { config: { kind: 'middleware', tokens: 1_000_000 }, requests: () => Promise.resolve(bearerRequests(spreadIndexes(1_000_000, 1000).map(secretOf))) },
  'mw-1k': { config: { kind: 'middleware', tokens: 1000 }, requests: () => Promise.resolve(bearerRequests(spreadIndexes(1000, 1000).map(secretOf))) },
  bare: { config: { kind: 'bare' }, requests: () => Promise.resolve(bearerRequests(spreadIndexes(1000, 1000).map(secretOf))) },
};
const target = targets[name];
if (target === undefined) throw new Error(`unknown target ${name}: one of ${Object.keys(targets).join(', ')}`);

const server = await startServer(target.config, 180_000, ['--cpu-prof', '--cpu-prof-dir', dir]);
const driver = startLoadDriver();
const requests = await target.requests(server.url);
await driver.run({ url: server.url, connections: 50, duration: 2, requests });
const result = await driver.run({ url: server.url, connections: 50, duration, requests });
await driver.close();
await server.close();
rmSync(dbDir, { recursive: true, force: true });

// One profile per thread (tsx's module loader has its own); the server is the main thread, the
// profile with the most busy samples.
const busyOf = (p: Profile) => p.timeDeltas.reduce((sum, d, i) => sum + (p.nodes.find((n) => n.id === p.samples[i])?.callFrame.functionName === '(idle)' ? 0 : d), 0);
const profiles = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => {
  const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Profile;
  return { file: join(dir, f), profile: p, busy: busyOf(p) };
}).sort((a, b) => b.busy - a.busy);
const chosen = profiles[0];
if (chosen === undefined) throw new Error(`no profile written in ${dir}`);
const { file, profile } = chosen;
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const byFrame = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
  const us = self.get(node.id) ?? 0;
  total += us;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url === '' ? '' : ` ${url.replace(/^file:\/\/.*?\/(node_modules|mock-server|middleware|bench)\//, '$1/')}:${lineNumber + 1}`;
  const key = `${functionName || '(anonymous)'}${where}`;
  byFrame.set(key, (byFrame.get(key) ?? 0) + us);
}
// Inclusive time of our own frames (and the packages'): every sample counts once for each frame
// on its stack.
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const nodeById = new Map(profile.nodes.map((n) => [n.id, n]));
const keyOf = (node: ProfileNode): string => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url === '' ? '' : ` ${url.replace(/^file:\/\/.*?\/(node_modules|mock-server|middleware|bench)\//, '$1/')}:${lineNumber + 1}`;
  return `${functionName || '(anonymous)'}${where}`;
};
const inclusive = new Map<string, number>();
profile.samples.forEach((id, i) => {
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const node = nodeById.get(at);
    if (node === undefined) break;
    const key = keyOf(node);
    if (!seen.has(key)) { seen.add(key); inclusive.set(key, (inclusive.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0)); }
  }
});
const idle = byFrame.get('(idle)') ?? 0;
const busy = total - idle;
process.stdout.write(`${name}: ${result.total} responses in ${duration} s (${Math.round(result.rps)} req/s), profile ${file}\n`);
process.stdout.write(`busy ${(busy / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms sampled; shares below are of the busy samples\n\n`);
const rows = [...byFrame.entries()].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top)
  .map(([k, us]) => [`${((us / busy) * 100).toFixed(1)} %`, k]);
process.stdout.write(`${table(['self', 'frame'], rows)}\n`);
const ours = [...inclusive.entries()].filter(([k]) => / (mock-server|middleware)\//.test(k)).sort((a, b) => b[1] - a[1]).slice(0, top)
  .map(([k, us]) => [`${((us / busy) * 100).toFixed(1)} %`, k]);
process.stdout.write(`\nThe project's own frames by inclusive time (self + callees):\n\n${table(['total', 'frame'], ours)}\n`);
