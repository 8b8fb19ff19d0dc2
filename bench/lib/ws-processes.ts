/**
 * The runner's side of the WebSocket benchmark's three child processes (see ws-messages.ts):
 * start each, talk to it by request id over IPC, stop it. Every child is a fresh `node --import
 * tsx` process; the server also gets `--expose-gc` (its memory figures are taken after full
 * collections).
 *
 * @example
 * ```ts
 * const server = await startWsServer({ bots: 1000 });
 * const listeners = startListeners();
 * await listeners.connect(server.url, tokens);
 * const { rss } = await server.stats();
 * await Promise.all([listeners.close(), server.close()]);
 * ```
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type {
  Delivery, ListenerCounts, PostLoadConfig, PostLoadResult, WsClientsReply, WsClientsRequest, WsServerConfig, WsServerMessage, WsServerReady, WsServerStats,
} from './ws-messages.js';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** Distributes `{ id, … }` replies to the requests waiting for them; rejects them all on exit. */
function ipc(child: ChildProcess, what: string) {
  let nextId = 1;
  const waiting = new Map<number, { resolve: (m: unknown) => void; reject: (e: Error) => void }>();
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    for (const w of waiting.values()) w.reject(new Error(`${what} exited (${code ?? signal}) with a request pending`));
    waiting.clear();
    resolve();
  }));
  child.on('message', (raw) => {
    const message = raw as { id?: number };
    if (typeof message.id !== 'number') return;
    const w = waiting.get(message.id);
    waiting.delete(message.id);
    w?.resolve(message);
  });
  return {
    exited,
    request<T>(message: Record<string, unknown>): Promise<T> {
      return new Promise((resolve, reject) => {
        if (!child.connected) { reject(new Error(`${what} is gone`)); return; }
        const id = nextId++;
        waiting.set(id, { resolve: resolve as (m: unknown) => void, reject });
        child.send({ ...message, id });
      });
    },
    async close(): Promise<void> {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** The mock in its own process. */
export interface WsServer extends Omit<WsServerReady, 'type'> {
  readonly pid: number;
  /** Memory after two full collections (unless `gc` is false), CPU so far, hub counters. */
  stats(options?: { gc?: boolean }): Promise<WsServerStats>;
  close(): Promise<void>;
}

/** Start `ws-server.ts`; rejects if it exits or is not listening after `timeoutMs`. */
export function startWsServer(config: WsServerConfig, timeoutMs = 120_000): Promise<WsServer> {
  const child = fork(here('./ws-server.ts'), [JSON.stringify(config)], {
    execArgv: ['--expose-gc', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const channel = ipc(child, 'ws-server');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`ws-server: not listening after ${timeoutMs} ms`)); }, timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`ws-server exited (${code}) before listening`)); });
    child.on('message', (raw) => {
      const message = raw as WsServerMessage;
      if (message.type !== 'ready') return;
      clearTimeout(timer);
      resolve({
        url: message.url, channelId: message.channelId, botIds: message.botIds, pid: child.pid ?? -1,
        stats: (options = {}) => channel.request<{ data: WsServerStats }>({ type: 'stats', gc: options.gc ?? true }).then((m) => m.data),
        close: () => channel.close(),
      });
    });
  });
}

/** The listener sockets, all in one process of their own. */
export interface Listeners {
  /** Open one socket per token; resolves once every one has had its `hello`. */
  connect(url: string, tokens: string[], options?: { concurrency?: number; helloTimeoutMs?: number }): Promise<{ sockets: number; ms: number }>;
  /** The next frame of every socket is the post about to be written. */
  arm(): Promise<void>;
  /** That post's delivery, once every socket has it (checked: one `posted` per socket, one post id). */
  collect(channelId: string, timeoutMs: number): Promise<Delivery>;
  counts(): Promise<ListenerCounts>;
  /** Close every socket (the process stays). */
  closeSockets(): Promise<void>;
  /** End the process. */
  close(): Promise<void>;
}

type Omitted<T> = T extends unknown ? Omit<T, 'id'> : never;

/** Start `ws-clients.ts`. */
export function startListeners(): Listeners {
  const child = fork(here('./ws-clients.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const channel = ipc(child, 'ws-clients');
  const ask = async <K extends WsClientsReply['type']>(request: Omitted<WsClientsRequest>, expected: K): Promise<Extract<WsClientsReply, { type: K }>> => {
    const reply = await channel.request<WsClientsReply>(request);
    if (reply.type === 'error') throw new Error(`listeners: ${reply.message}`);
    if (reply.type !== expected) throw new Error(`listeners: expected ${expected}, got ${reply.type}`);
    return reply as Extract<WsClientsReply, { type: K }>;
  };
  return {
    connect: (url, tokens, options = {}) => ask({ type: 'connect', url, tokens, ...options }, 'connected').then(({ sockets, ms }) => ({ sockets, ms })),
    arm: () => ask({ type: 'arm' }, 'armed').then(() => undefined),
    collect: (channelId, timeoutMs) => ask({ type: 'collect', channelId, timeoutMs }, 'delivered').then((r) => r.delivery),
    counts: () => ask({ type: 'counts' }, 'counts').then((r) => r.counts),
    closeSockets: () => ask({ type: 'close' }, 'closed').then(() => undefined),
    close: () => channel.close(),
  };
}

/** The `POST /posts` load generator, in a process of its own. */
export interface PostLoad {
  run(config: PostLoadConfig): Promise<PostLoadResult>;
  close(): Promise<void>;
}

/** Start `ws-post-load.ts`. */
export function startPostLoad(): PostLoad {
  const child = fork(here('./ws-post-load.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const channel = ipc(child, 'ws-post-load');
  return {
    async run(config) {
      const reply = await channel.request<{ result?: PostLoadResult; error?: string }>({ config });
      if (reply.result === undefined) throw new Error(`post load: ${reply.error ?? 'no result'}`);
      return reply.result;
    },
    close: () => channel.close(),
  };
}
