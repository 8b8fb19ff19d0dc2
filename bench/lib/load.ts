/**
 * The load driver: one long-lived load generator process (`load-worker.ts`, autocannon) that
 * runs the loads it is sent one at a time, so no load pays a process start-up and the generator
 * never shares an event loop with a server.
 *
 * @example
 * ```ts
 * const driver = startLoadDriver();
 * const r = await driver.run({ url, connections: 50, duration: 8, requests: bearerRequests(secrets) });
 * console.log(r.rps, r.p99);
 * await driver.close();
 * ```
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadConfig, LoadRequest, LoadResult } from './load-worker.js';

export type { LoadConfig, LoadRequest, LoadResult } from './load-worker.js';

const WORKER = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

/** One `GET path` per token, `Authorization: Bearer <token>`. */
export function bearerRequests(tokens: readonly string[], path = '/'): LoadRequest[] {
  return tokens.map((token) => ({ path, headers: { authorization: `Bearer ${token}` } }));
}

export interface LoadDriver {
  run(config: LoadConfig): Promise<LoadResult>;
  close(): Promise<void>;
}

/** Start the load generator process. */
export function startLoadDriver(): LoadDriver {
  const child = fork(WORKER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    for (const w of waiting.values()) w.reject(new Error('load generator exited'));
    waiting.clear();
    resolve();
  }));
  child.on('message', (raw) => {
    const message = raw as { id: number; result?: LoadResult; error?: string };
    const w = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.result !== undefined) w?.resolve(message.result);
    else w?.reject(new Error(`load generator: ${message.error ?? 'no result'}`));
  });
  return {
    run(config) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        child.send({ id, config });
      });
    },
    async close() {
      if (child.connected) child.disconnect();
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
