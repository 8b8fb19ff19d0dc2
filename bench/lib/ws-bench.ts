/**
 * The WebSocket benchmark's measurements (issue 11 §4), as data; bench/websocket.ts prints them.
 * Each round starts two fresh mock servers from the same seed (`sockets` bots in one channel):
 * `listening`, with one authenticated socket per bot, and `quiet`, with none. On `listening`:
 *
 * 1. **Memory**: RSS (and heap, external) after full collections with every bot's token already
 *    used once (its session row and cache entry exist) but no socket, then with half the sockets
 *    open, then all, idle; the differences divided by the sockets are the cost of one idle socket.
 * 2. **Fan-out latency**: `posts` posts, one at a time, by the admin over REST; for each, when the
 *    request was sent and answered (runner) and when its `posted` event reached the first, the
 *    median and the last socket (listener process), on the machine's one monotonic clock.
 * 3. **Throughput**: `POST /posts` req/s under autocannon on `listening` and on `quiet`, in the same
 *    round, the order alternating between rounds; the listeners' backlog is drained before
 *    anything else is measured, and every `posted` frame is counted.
 *
 * @example
 * ```ts
 * const rounds = await runWebSocketBench({ ...QUICK, progress: console.error });
 * rounds[0].latency[0].last - rounds[0].latency[0].answered; // ms from the answer to the last socket
 * ```
 */
import { performance } from 'node:perf_hooks';
import { httpClient, login, type HttpClient } from './http.js';
import { ADMIN, monotonicMs, type PostLoadResult, type WsServerStats } from './ws-messages.js';
import { startListeners, startPostLoad, startWsServer, type Listeners, type PostLoad, type WsServer } from './ws-processes.js';

export interface WsBenchOptions {
  /** Listener sockets (and bots in the channel). */
  sockets: number;
  /** Measured posts per round (after `warmPosts` unmeasured ones). */
  posts: number;
  warmPosts: number;
  rounds: number;
  /** Seconds of each throughput measurement, after `warmS` of unmeasured load. */
  duration: number;
  warmS: number;
  /** autocannon connections of the post load. */
  connections: number;
  /** Pause between two measured posts, ms. */
  pauseMs: number;
  /** How long a post may take to reach every socket before the run fails, ms. */
  deliveryTimeoutMs: number;
  progress?: (text: string) => void;
}

/** `npm run bench -- --quick`: a few seconds. */
export const QUICK: WsBenchOptions = {
  sockets: 50, posts: 10, warmPosts: 3, rounds: 1, duration: 1, warmS: 0.3, connections: 10, pauseMs: 10, deliveryTimeoutMs: 10_000,
};
/** The full run: the 1,000 sockets. */
export const FULL: WsBenchOptions = {
  sockets: 1000, posts: 50, warmPosts: 5, rounds: 3, duration: 5, warmS: 1, connections: 10, pauseMs: 20, deliveryTimeoutMs: 30_000,
};

/** One post's timeline, monotonic ms. */
export interface PostSample {
  sent: number;
  answered: number;
  first: number;
  median: number;
  last: number;
  receivers: number;
}

export interface ThroughputPair {
  listening: PostLoadResult;
  quiet: PostLoadResult;
  firstMeasured: 'listening' | 'quiet';
  /**
   * Server CPU time (user + system) per post created during the measured run, µs: unlike req/s,
   * hardly changed by other processes competing for the cores.
   */
  cpuPerPost: Record<'listening' | 'quiet', number>;
  /** `posted` frames the sockets received for the posts the listening server created while measured (and warmed). */
  framesReceived: number;
  framesExpected: number;
  /** Sockets still open and authenticated on the server after the load. */
  authenticatedAfter: number;
  /** Sockets closed by the server during the round, by close code (a slow reader is dropped with 1008). */
  closes: Record<string, number>;
  /** Every untracked frame the sockets received, by event (all `posted` unless something is wrong). */
  events: Record<string, number>;
}

export interface WsRound {
  sockets: number;
  connectMs: number;
  /** The listening server before any socket, with the first `halfSockets`, with all. */
  without: WsServerStats;
  half: WsServerStats;
  halfSockets: number;
  with: WsServerStats;
  latency: PostSample[];
  throughput: ThroughputPair;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `performance.now()` and `monotonicMs()` read the same clock from different origins. */
const toMonotonic = (() => {
  const offset = monotonicMs() - performance.now();
  return (perf: number) => perf + offset;
})();

async function pool<T>(n: number, concurrency: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      out[i] = await job(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return out;
}

/** A PAT per bot, each used once (its session row is minted and its principal cached now, not on the upgrade). */
async function botTokens(api: HttpClient, admin: string, server: WsServer): Promise<string[]> {
  const tokens = await pool(server.botIds.length, 8, async (i) => {
    const res = await api.request('POST', `/api/v4/users/${server.botIds[i]}/tokens`, admin, { description: `ws bench ${i}` });
    if (res.status !== 200) throw new Error(`bot token ${i}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    return (JSON.parse(res.body) as { token: string }).token;
  });
  await pool(tokens.length, 8, async (i) => {
    const res = await api.request('GET', '/api/v4/users/me', tokens[i]);
    if (res.status !== 200) throw new Error(`bot token ${i} refused: HTTP ${res.status}`);
  });
  return tokens;
}

async function post(api: HttpClient, admin: string, channelId: string, message: string): Promise<{ id: string; sent: number; answered: number }> {
  const res = await api.request('POST', '/api/v4/posts', admin, { channel_id: channelId, message });
  if (res.status !== 201) throw new Error(`POST /posts: HTTP ${res.status} ${res.body.slice(0, 200)}`);
  return { id: (JSON.parse(res.body) as { id: string }).id, sent: toMonotonic(res.start), answered: toMonotonic(res.head) };
}

/** Wait until the listeners have every frame of `expected` or stop making progress for 3 s. */
async function drain(listeners: Listeners, expected: number): Promise<number> {
  let last = -1;
  let stalledSince = Date.now();
  for (;;) {
    const { frames } = await listeners.counts();
    if (frames >= expected) return frames;
    if (frames !== last) { last = frames; stalledSince = Date.now(); }
    if (Date.now() - stalledSince > 3_000) return frames;
    await sleep(100);
  }
}

interface Setup { server: WsServer; api: HttpClient; admin: string }

async function setUp(sockets: number): Promise<Setup> {
  const server = await startWsServer({ bots: sockets });
  const api = httpClient(server.url, 8);
  return { server, api, admin: await login(api, ADMIN.username, ADMIN.password) };
}

async function round(options: WsBenchOptions, r: number, listeners: Listeners, load: PostLoad): Promise<WsRound> {
  const say = (text: string) => options.progress?.(`round ${r + 1}/${options.rounds}: ${text}`);
  say(`starting two servers with ${options.sockets} bots each`);
  const starting = [setUp(options.sockets), setUp(options.sockets)];
  for (const p of starting) p.catch(() => undefined);
  try {
    const [listening, quiet] = await Promise.all(starting) as [Setup, Setup];
    say(`creating and using ${options.sockets} bot tokens`);
    const tokens = await botTokens(listening.api, listening.admin, listening.server);

    const without = await listening.server.stats();
    say(`connecting ${options.sockets} sockets`);
    // In two halves: the second half's cost is a cross-check that needs no socket-free baseline
    // (the first half has already used up whatever the heap had free after the set-up).
    const halfway = Math.floor(tokens.length / 2);
    const first = await listeners.connect(listening.server.url, tokens.slice(0, halfway));
    await sleep(200);
    const half = await listening.server.stats();
    const second = await listeners.connect(listening.server.url, tokens.slice(halfway));
    const connectMs = first.ms + second.ms;
    await sleep(200);
    const withSockets = await listening.server.stats();
    if (half.authenticated !== halfway || withSockets.authenticated !== options.sockets) throw new Error(`${half.authenticated} of ${halfway}, then ${withSockets.authenticated} of ${options.sockets} sockets authenticated on the server`);

    say(`${options.warmPosts} + ${options.posts} posts, one at a time`);
    const channelId = listening.server.channelId;
    const latency: PostSample[] = [];
    for (let i = 0; i < options.warmPosts + options.posts; i++) {
      await listeners.arm();
      const written = await post(listening.api, listening.admin, channelId, `latency post ${i}`);
      const delivery = await listeners.collect(channelId, options.deliveryTimeoutMs);
      if (delivery.postId !== written.id) throw new Error(`the sockets got post ${delivery.postId}, the server answered ${written.id}`);
      if (delivery.receivers !== options.sockets) throw new Error(`${delivery.receivers} of ${options.sockets} sockets got post ${written.id}`);
      if (i >= options.warmPosts) latency.push({ sent: written.sent, answered: written.answered, first: delivery.first, median: delivery.median, last: delivery.last, receivers: delivery.receivers });
      await sleep(options.pauseMs);
    }

    const measure = async (which: 'listening' | 'quiet'): Promise<PostLoadResult> => {
      const s = which === 'listening' ? listening : quiet;
      say(`POST /posts load on the ${which} server (${options.warmS} s warm-up, ${options.duration} s measured)`);
      const before = which === 'listening' ? (await listeners.counts()).frames : 0;
      const postsBefore = (await s.server.stats()).posts;
      // Each server has its own ids: its own channel.
      const target = { connections: options.connections, url: s.server.url, token: s.admin, channelId: s.server.channelId };
      await load.run({ ...target, duration: options.warmS });
      const start = await s.server.stats({ gc: false });
      const result = await load.run({ ...target, duration: options.duration });
      await sleep(100); // the requests autocannon left in flight at its deadline
      const end = await s.server.stats({ gc: false });
      cpuPerPost[which] = (end.cpuUs - start.cpuUs) / (end.posts - start.posts);
      if (which === 'listening') {
        // autocannon stops at the deadline with requests in flight: wait until the post count
        // holds still, so every post the server created is expected on every socket.
        let created = -1;
        let received = 0;
        for (;;) {
          const now = (await s.server.stats()).posts - postsBefore;
          if (now === created) break;
          created = now;
          received = (await drain(listeners, before + created * options.sockets)) - before;
        }
        framesExpected += created * options.sockets;
        framesReceived += received;
      }
      return result;
    };
    const cpuPerPost: Record<'listening' | 'quiet', number> = { listening: NaN, quiet: NaN };
    let framesExpected = 0;
    let framesReceived = 0;
    const firstMeasured = r % 2 === 0 ? 'quiet' : 'listening';
    const results: Partial<Record<'listening' | 'quiet', PostLoadResult>> = {};
    for (const which of firstMeasured === 'quiet' ? ['quiet', 'listening'] as const : ['listening', 'quiet'] as const) results[which] = await measure(which);
    const after = await listening.server.stats();
    const { closes, events } = await listeners.counts();
    await listeners.closeSockets();
    return {
      sockets: options.sockets, connectMs, without, half, halfSockets: halfway, with: withSockets, latency,
      throughput: {
        listening: results.listening as PostLoadResult, quiet: results.quiet as PostLoadResult, firstMeasured, cpuPerPost,
        framesReceived, framesExpected, authenticatedAfter: after.authenticated, closes, events,
      },
    };
  } finally {
    await listeners.closeSockets().catch(() => undefined);
    await Promise.all(starting.map((p) => p.then(({ server, api }) => { api.close(); return server.close(); }, () => undefined)));
  }
}

/** Run every round; rejects (after stopping every process) if a socket misses a post or a server fails. */
export async function runWebSocketBench(options: WsBenchOptions): Promise<WsRound[]> {
  const listeners = startListeners();
  const load = startPostLoad();
  try {
    const rounds: WsRound[] = [];
    for (let r = 0; r < options.rounds; r++) rounds.push(await round(options, r, listeners, load));
    return rounds;
  } finally {
    await Promise.all([listeners.close(), load.close()]);
  }
}
