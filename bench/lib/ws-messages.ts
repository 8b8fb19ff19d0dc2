/**
 * What the WebSocket benchmark's processes (bench/websocket.ts) say to each other over their IPC
 * channels, and the seed their mock server starts from. Three kinds of child process, so that no
 * measured event loop is shared:
 *
 * - the **server** (`ws-server.ts`): the mock, seeded with {@link wsBenchSeed};
 * - the **listeners** (`ws-clients.ts`): the sockets, one process for all of them;
 * - the **post load** (`ws-post-load.ts`): autocannon firing `POST /api/v4/posts`.
 *
 * Times that cross a process boundary are `process.hrtime.bigint()` in milliseconds: Node reads it
 * from `CLOCK_MONOTONIC`, one clock for every process on the machine, so a time taken in the
 * listener process can be subtracted from one taken in the runner.
 *
 * @example
 * ```ts
 * const seed = wsBenchSeed(1000); // sysadmin + bench-bot-0 … bench-bot-999, all in channel ws-bench
 * const t = monotonicMs();
 * ```
 */
import type { SeedInput } from '../../mock-server/seed.js';

/** The seeded admin, who creates the bots' tokens and writes the posts. */
export const ADMIN = { username: 'sysadmin', password: 'Sys@dmin-sample1' } as const;
export const TEAM = 'ws-bench';
export const CHANNEL = 'ws-bench';

/** The monotonic clock shared by every process of the machine, in ms. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** `bench-bot-<i>` */
export const botName = (i: number): string => `bench-bot-${i}`;

/**
 * The admin plus `bots` bot accounts (no password to hash, so 1,000 of them seed in milliseconds),
 * all members of one team and of its public channel {@link CHANNEL}.
 */
export function wsBenchSeed(bots: number): SeedInput {
  const names = Array.from({ length: bots }, (_, i) => botName(i));
  return {
    users: [{ username: ADMIN.username, password: ADMIN.password, roles: 'system_admin system_user' }],
    bots: names.map((username) => ({ username, owner: ADMIN.username })),
    teams: [{ name: TEAM, display_name: 'WebSocket bench', type: 'O', members: [{ username: ADMIN.username, roles: 'team_user team_admin' }, ...names] }],
    // Public, no member list: every member of the team.
    channels: [{ team: TEAM, name: CHANNEL, display_name: 'WebSocket bench', type: 'O' }],
    config: { ServiceSettings: { EnableUserAccessTokens: true } },
  };
}

// ---- server process ----------------------------------------------------------------------

/** The server's configuration (its argv[2], JSON). */
export interface WsServerConfig {
  /** Bot accounts in the channel. */
  bots: number;
}

/** Sent once listening. */
export interface WsServerReady {
  type: 'ready';
  url: string;
  channelId: string;
  /** User ids of the bots, in seed order. */
  botIds: string[];
}

/** Memory (after two full collections unless asked not to), CPU time so far, and the hub's counters. */
export interface WsServerStats {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  cpuUs: number;
  /** `mock.websocket.stats()`. */
  open: number;
  authenticated: number;
  resumable: number;
  /** Posts in the store. */
  posts: number;
}

/** `gc: false` reads without collecting first (CPU time around a load must not include two full GCs). */
export type WsServerRequest = { type: 'stats'; id: number; gc?: boolean };
export type WsServerMessage = WsServerReady | { type: 'stats'; id: number; data: WsServerStats };

// ---- listener process --------------------------------------------------------------------

/**
 * - `connect`: open one socket per token (the token on the upgrade request), each counted once its
 *   `hello` has arrived; replies `connected`, or `error` if any socket did not authenticate.
 * - `arm`: the next frame of every socket belongs to the post about to be written; replies `armed`.
 * - `collect`: once every socket has its frame (or after `timeoutMs`: `error`), replies
 *   `delivered`, every frame checked to be that post's `posted` event in `channelId`, once per
 *   socket.
 * - `counts`: frames and bytes received so far, sockets open, unexpected closes.
 * - `close`: close every socket; replies `closed`.
 */
export type WsClientsRequest =
  | { type: 'connect'; id: number; url: string; tokens: string[]; concurrency?: number; helloTimeoutMs?: number }
  | { type: 'arm'; id: number }
  | { type: 'collect'; id: number; channelId: string; timeoutMs: number }
  | { type: 'counts'; id: number }
  | { type: 'close'; id: number };

/** When one post's `posted` event reached the sockets (monotonic ms). */
export interface Delivery {
  postId: string;
  receivers: number;
  first: number;
  median: number;
  last: number;
}

export interface ListenerCounts {
  frames: number;
  bytes: number;
  open: number;
  /** Close codes seen, with their counts (since the last `close`). */
  closes: Record<string, number>;
  /** Frames received while no post was tracked, by event name (`reply`, `?` for neither). */
  events: Record<string, number>;
}

export type WsClientsReply =
  | { type: 'connected'; id: number; sockets: number; ms: number }
  | { type: 'armed'; id: number }
  | { type: 'delivered'; id: number; delivery: Delivery }
  | { type: 'counts'; id: number; counts: ListenerCounts }
  | { type: 'closed'; id: number }
  | { type: 'error'; id: number; message: string };

// ---- post load process -------------------------------------------------------------------

export interface PostLoadConfig {
  url: string;
  /** Session token or PAT of the poster. */
  token: string;
  channelId: string;
  connections: number;
  /** Seconds; ignored when `amount` is set. */
  duration?: number;
  amount?: number;
}

export interface PostLoadResult {
  /** 201 answers per second. */
  rps: number;
  total: number;
  created: number;
  other: number;
  errors: number;
  timeouts: number;
  seconds: number;
  /** Latency of every answer, ms. */
  p50: number;
  p99: number;
  /** Answers by HTTP status. */
  statuses: Record<string, number>;
}
