/**
 * The WebSocket benchmark (issue 11 §4): `npx tsx bench/websocket.ts` (full: 1,000 sockets,
 * 3 rounds, about two minutes on an idle machine) or `--quick` (50 sockets, one round, a few
 * seconds); `npm run bench` runs it too (`-- --websocket` runs only it). Prints Markdown; never
 * fails on a figure (exit code 0 unless something broke: a socket that missed a post, a server
 * that died). Options: `--quick`, `--sockets N`, `--posts N`, `--rounds N`, `--duration S`,
 * `--out FILE` (also write the report there).
 *
 * The mock runs in its own process, the sockets in another, the `POST /posts` load in a third and
 * the measured posts come from this one (see bench/lib/ws-bench.ts for what each round does).
 * Figures:
 *
 * - time from `POST /posts` answered (and sent) to `posted` received on every socket, p50/p99
 *   over all measured posts; target p99 ≤ 100 ms from the answer;
 * - RSS per idle authenticated socket, after full collections;
 * - `POST /posts` req/s with every socket listening against a server with none, paired by round.
 */
import { writeFileSync } from 'node:fs';
import { fixed, machine } from './lib/report.js';
import { FULL, QUICK, runWebSocketBench, type WsBenchOptions } from './lib/ws-bench.js';
import { loadAverage, wsReport } from './lib/ws-report.js';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const numeric = (name: string, fallback: number, integer = true): number => {
  const value = option(name);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  return n;
};
const quick = argv.includes('--quick');
const preset = quick ? QUICK : FULL;
const started = Date.now();
const options: WsBenchOptions = {
  ...preset,
  sockets: numeric('--sockets', preset.sockets),
  posts: numeric('--posts', preset.posts),
  rounds: numeric('--rounds', preset.rounds),
  duration: numeric('--duration', preset.duration, false),
  progress: (text) => process.stderr.write(`[websocket ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${text}\n`),
};
const out: string[] = [];
const say = (text = '') => { out.push(text); process.stdout.write(`${text}\n`); };

async function main(): Promise<void> {
  const loadAtStart = loadAverage();
  say(`# WebSocket benchmark (${quick ? 'quick' : 'full'}): ${new Date().toISOString()}`);
  say();
  say('```');
  say(machine());
  say(`${options.sockets} sockets, ${options.rounds} round(s), ${options.posts} posts per round, ${options.duration} s per throughput run; command: tsx bench/websocket.ts ${argv.join(' ')}`.trim());
  say('```');
  say();
  const rounds = await runWebSocketBench(options);
  say(wsReport(rounds, options, loadAtStart));
  say();
  say(`bench/websocket.ts total ${fixed((Date.now() - started) / 1000, 0)} s`);
  const file = option('--out');
  if (file !== undefined) writeFileSync(file, `${out.join('\n')}\n`);
}

await main();
