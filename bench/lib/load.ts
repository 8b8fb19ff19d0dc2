/**
 * Run one autocannon load in a separate process (`load-worker.ts`) and return its figures.
 *
 * @example
 * ```ts
 * const r = await runLoad({ url, connections: 50, duration: 8, requests: bearerRequests(secrets) });
 * console.log(r.rps, r.p99);
 * ```
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadConfig, LoadRequest, LoadResult } from './load-worker.js';

export type { LoadConfig, LoadRequest, LoadResult } from './load-worker.js';

const WORKER = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

/** One `GET path` per token, `Authorization: Bearer <token>`. */
export function bearerRequests(tokens: readonly string[], path = '/'): LoadRequest[] {
  return tokens.map((token) => ({ path, headers: { authorization: `Bearer ${token}` } }));
}

/** Spawn the load generator and wait for its result. */
export function runLoad(config: LoadConfig): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk; });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) { reject(new Error(`load generator exited with ${code}`)); return; }
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as LoadResult);
      } catch (err) {
        reject(new Error(`load generator printed no result: ${String(err)}`));
      }
    });
    child.stdin.end(JSON.stringify(config));
  });
}
