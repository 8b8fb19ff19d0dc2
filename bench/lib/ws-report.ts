/**
 * The WebSocket benchmark's report (bench/websocket.ts): Markdown tables of the figures
 * bench/lib/ws-bench.ts measured, with the verdict against issue 11's target.
 *
 * @example
 * ```ts
 * const rounds = await runWebSocketBench(QUICK);
 * console.log(wsReport(rounds, QUICK, loadAverage()));
 * ```
 */
import { loadavg } from 'node:os';
import { fixed, median, ms, percentile, table, thousands, verdict } from './report.js';
import type { WsBenchOptions, WsRound } from './ws-bench.js';
import type { PostLoadResult } from './ws-messages.js';

/** The issue's target: p99 from `POST /posts` answered to `posted` on every socket, ms. */
export const TARGET_P99_MS = 100;

/** `os.loadavg()`, 1, 5 and 15 minutes. */
export const loadAverage = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
const mb = (bytes: number) => `${fixed(bytes / 2 ** 20, 1)} MB`;
const kb = (bytes: number) => `${fixed(bytes / 1024, 1)} KB`;

/** Answers other than 201 and errors, with their statuses ("0" when all were 201). */
function nonCreated(...results: PostLoadResult[]): string {
  const bad = results.reduce((n, r) => n + r.other + r.errors + r.timeouts, 0);
  if (bad === 0) return '0';
  const statuses = results.map((r) => Object.entries(r.statuses).filter(([code]) => code !== '201').map(([code, n]) => `${code}: ${n}`).join(', '));
  return `${bad} (${statuses.join(' / ')})`;
}

/**
 * The Markdown report of a run: fan-out latency with the target's verdict, memory per idle
 * socket, throughput with listeners against none, and the load average at start and now.
 */
export function wsReport(rounds: WsRound[], options: WsBenchOptions, loadAtStart: string): string {
  const out: string[] = [];
  const say = (text = '') => { out.push(text); };
  const samples = rounds.flatMap((r) => r.latency);
  const series = (f: (s: (typeof samples)[number]) => number) => samples.map(f);
  const row = (name: string, values: number[]) => [name, ms(percentile(values, 50)), ms(percentile(values, 99)), ms(Math.max(...values))];
  const fromAnswer = series((s) => s.last - s.answered);
  const fromSent = series((s) => s.last - s.sent);

  say(`## WebSocket fan-out: ${options.sockets} authenticated sockets in one channel`);
  say();
  say(`${samples.length} posts (${options.posts} per round x ${rounds.length}, after ${options.warmPosts} unmeasured each), written one at a time by the admin over REST; every socket a bot's PAT on the upgrade request, every \`posted\` frame checked (one per socket, the post the server answered). Times on the machine's monotonic clock, across processes.`);
  say();
  say(table(['interval', 'p50', 'p99', 'max'], [
    row('POST answered → posted on every socket', fromAnswer),
    row('POST sent → posted on every socket', fromSent),
    row('POST sent → answered', series((s) => s.answered - s.sent)),
    row('POST sent → posted on the first socket', series((s) => s.first - s.sent)),
    row('POST sent → posted on the median socket', series((s) => s.median - s.sent)),
    row('first → last socket (spread)', series((s) => s.last - s.first)),
  ]));
  say();
  say(table(['target', 'measured', 'verdict'], [
    [`p99 POST answered → posted on all ${options.sockets} ≤ ${TARGET_P99_MS} ms`, ms(percentile(fromAnswer, 99)), verdict(percentile(fromAnswer, 99), TARGET_P99_MS, 'max', ' ms')],
    [`(p99 POST sent → posted on all ${options.sockets} ≤ ${TARGET_P99_MS} ms)`, ms(percentile(fromSent, 99)), verdict(percentile(fromSent, 99), TARGET_P99_MS, 'max', ' ms')],
  ]));
  say();
  say(`The mock hands the event to every socket synchronously, before it writes the answer (Mattermost queues it to its hub goroutines), so the frames are already on their way when the answer leaves: "answered → all" is mostly the listener process reading ${options.sockets} frames one after another.`);

  say();
  say(`## Memory per idle socket (server process, after two full GCs)`);
  say();
  type Key = 'rss' | 'heapUsed' | 'external';
  const delta = (r: WsRound, key: Key) => (r.with[key] - r.without[key]) / r.sockets;
  const secondHalf = (r: WsRound, key: Key) => (r.with[key] - r.half[key]) / (r.sockets - r.halfSockets);
  say(table(['round', 'RSS without sockets', `RSS with ${options.sockets}`, 'RSS per socket', 'heap per socket', 'external per socket', 'RSS per socket, 2nd half', 'heap per socket, 2nd half', 'connect all (ms)'], rounds.map((r, i) => [
    String(i + 1), mb(r.without.rss), mb(r.with.rss), kb(delta(r, 'rss')), kb(delta(r, 'heapUsed')), kb(delta(r, 'external')),
    kb(secondHalf(r, 'rss')), kb(secondHalf(r, 'heapUsed')), fixed(r.connectMs, 0),
  ])));
  say();
  say(`Median RSS per idle authenticated socket (with ${options.sockets} minus without, / ${options.sockets}): **${kb(median(rounds.map((r) => delta(r, 'rss'))))}** (heap ${kb(median(rounds.map((r) => delta(r, 'heapUsed'))))}); the second half alone (with ${options.sockets} minus with ${rounds[0]?.halfSockets ?? NaN}): ${kb(median(rounds.map((r) => secondHalf(r, 'rss'))))} (heap ${kb(median(rounds.map((r) => secondHalf(r, 'heapUsed'))))}).`);
  say();
  say(`"Without" is after every bot's token was used once over REST (its session row and cache entry already exist), so the difference is the socket alone: the \`ws\` connection, its TCP socket, the hub's connection record and resume buffer. RSS can grow less than the heap: the sockets' objects first fill pages the set-up's garbage left resident (freed by the GC, not returned to the system); the second half, connected once those are used, shows the steadier cost. Kernel socket buffers are not in RSS at all.`);

  say();
  say(`## POST /posts throughput: ${options.sockets} listeners vs none`);
  say();
  say(`autocannon, ${options.connections} connections, ${options.duration} s measured after ${options.warmS} s warm-up, per server per round; "listening" has every socket connected to the channel, "quiet" is a second fresh server from the same seed with no socket; order alternating by round.`);
  say();
  const t = rounds.map((r) => r.throughput);
  say(table(['round', 'first', 'quiet req/s', 'listening req/s', 'listening / quiet', 'quiet p99', 'listening p99', 'server CPU per post, quiet / listening', 'posted frames received / expected', 'sockets authenticated after', 'non-201'], t.map((p, i) => [
    String(i + 1), p.firstMeasured, thousands(p.quiet.rps), thousands(p.listening.rps), fixed(p.listening.rps / p.quiet.rps, 3), ms(p.quiet.p99), ms(p.listening.p99),
    `${thousands(p.cpuPerPost.quiet)} / ${thousands(p.cpuPerPost.listening)} µs`,
    `${thousands(p.framesReceived)} / ${thousands(p.framesExpected)}${Object.keys(p.events).some((e) => e !== 'posted') ? ` (frames by event: ${JSON.stringify(p.events)})` : ''}`, `${p.authenticatedAfter} / ${options.sockets}${Object.keys(p.closes).length > 0 ? ` (closed: ${JSON.stringify(p.closes)})` : ''}`,
    nonCreated(p.quiet, p.listening),
  ])));
  say();
  say(`Median ratio listening / quiet: **${fixed(median(t.map((p) => p.listening.rps / p.quiet.rps)), 3)}** (median req/s ${thousands(median(t.map((p) => p.listening.rps)))} vs ${thousands(median(t.map((p) => p.quiet.rps)))}; each listening post is ${options.sockets} frames: ${thousands(median(t.map((p) => p.listening.rps)) * options.sockets)} frames/s).`);
  const perFrame = median(t.map((p) => (p.cpuPerPost.listening - p.cpuPerPost.quiet) / options.sockets));
  say();
  say(`Server CPU time per post (user + system, read around the measured run; less sensitive to the other processes than req/s): median ${thousands(median(t.map((p) => p.cpuPerPost.quiet)))} µs quiet, ${thousands(median(t.map((p) => p.cpuPerPost.listening)))} µs listening: **${fixed(perFrame, 1)} µs of server CPU per delivered frame**, so one core delivers at most ~${thousands(1e6 / perFrame)} frames/s, ~${thousands(1e6 / (perFrame * options.sockets))} posts/s to ${options.sockets} listeners. The listener process shares the same 2 cores.`);
  say();
  say(`Load average (1, 5, 15 min) at start ${loadAtStart}, at end ${loadAverage()}: the figures were taken under that load (the machine is shared).`);
  return out.join('\n');
}
