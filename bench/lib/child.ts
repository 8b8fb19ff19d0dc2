/**
 * Start a benchmark server (`bench/servers/serve.ts`) in its own Node process and talk to it over
 * IPC: wait until it listens, read its counters, stop it.
 *
 * @example
 * ```ts
 * const server = await startServer({ kind: 'middleware', tokens: 1_000_000 });
 * console.log(server.url, server.ready.buildMs);
 * console.log(await server.stats()); // { cached: 1000, storeTokens: 1000000, rssMb: …, heapMb: … }
 * await server.close();
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ReadyMessage, ServeConfig, StatsMessage } from '../servers/serve.js';

const SERVE = fileURLToPath(new URL('../servers/serve.ts', import.meta.url));

export interface ChildServer {
  readonly url: string;
  readonly ready: ReadyMessage;
  readonly pid: number;
  stats(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** Spawn `serve.ts` with `config` (and extra node flags `execArgv`, e.g. `--cpu-prof`); rejects if it exits or takes longer than `timeoutMs` to listen. */
export function startServer(config: ServeConfig, timeoutMs = 120_000, execArgv: readonly string[] = []): Promise<ChildServer> {
  const child: ChildProcess = spawn(process.execPath, ['--expose-gc', ...execArgv, '--import', 'tsx', SERVE, JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const waiting = new Map<number, (data: Record<string, number>) => void>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  return new Promise<ChildServer>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${config.kind}: not listening after ${timeoutMs} ms`)); }, timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${config.kind} server exited (${code}) before listening`)); });
    child.on('message', (raw) => {
      const message = raw as ReadyMessage | StatsMessage;
      if (message.type === 'stats') {
        waiting.get(message.id)?.(message.data);
        waiting.delete(message.id);
        return;
      }
      clearTimeout(timer);
      resolve({
        url: message.url,
        ready: message,
        pid: child.pid ?? -1,
        stats: () => new Promise((done, fail) => {
          const id = nextId++;
          waiting.set(id, done);
          if (!child.connected) { fail(new Error('server gone')); return; }
          child.send({ type: 'stats', id });
        }),
        async close() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}
