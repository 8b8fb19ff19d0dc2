/**
 * Child-process entry of a benchmark server: `node --import tsx bench/servers/serve.ts '<json>'`
 * where the JSON is a {@link ServeConfig}. It listens on 127.0.0.1 (port 0 unless given) in its
 * own process, so the load generator never shares its event loop, then talks to the runner over
 * the IPC channel only (never on the measured port):
 *
 * - sends `{ type: 'ready', url, port, buildMs, rssMb }` once listening;
 * - answers `{ type: 'stats', id }` with `{ type: 'stats', id, data }` (the target's counters,
 *   RSS and heap in MB, CPU time used so far in µs: `cpuUs` user + kernel, `userUs` user only);
 * - exits when the runner disconnects or on SIGTERM.
 *
 * Kind `mock` starts the mock Mattermost server (`startMockServer`) in memory, or on a fresh file
 * database at `dbFile` (fsync'd journal, as the CLI's `--db`), optionally with signed-event webhooks.
 *
 * @example
 * ```ts
 * spawn(process.execPath, ['--import', 'tsx', 'bench/servers/serve.ts', JSON.stringify({ kind: 'bare' })],
 *   { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
 * ```
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { startMockServer } from '../../mock-server/index.js';
import { buildTarget, type TargetOptions } from './targets.js';

export type ServeConfig =
  | (TargetOptions & { port?: number })
  | { kind: 'mock'; port?: number; webhooks?: string[]; webhookSecret?: string; dbFile?: string };

export interface ReadyMessage { type: 'ready'; url: string; port: number; buildMs: number; rssMb: number }
export interface StatsMessage { type: 'stats'; id: number; data: Record<string, number> }

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as ServeConfig;
  const send = (message: ReadyMessage | StatsMessage) => process.send?.(message);
  const t0 = performance.now();
  let counters: () => Record<string, number>;
  let url: string;
  let port: number;
  let close: () => Promise<void>;

  if (config.kind === 'mock') {
    const mock = await startMockServer({
      port: config.port ?? 0, webhooks: config.webhooks, webhookSecret: config.webhookSecret,
      ...(config.dbFile === undefined ? { inMemory: true } : { dbFile: config.dbFile, reset: true }),
    });
    ({ url, port } = mock);
    counters = () => ({ tokens: mock.store.count('tokens') });
    close = () => mock.close();
  } else {
    const target = await buildTarget(config);
    const http = createServer(target.app.callback());
    http.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => http.listen(config.port ?? 0, '127.0.0.1', resolve));
    port = (http.address() as AddressInfo).port;
    url = `http://127.0.0.1:${port}`;
    counters = target.stats;
    close = () => new Promise<void>((resolve) => { http.closeAllConnections(); http.close(() => resolve()); });
  }
  const buildMs = performance.now() - t0;
  // Start from a settled heap (the runner passes --expose-gc): a long-running server has had its
  // major collections long before; the build's garbage is not what is measured.
  (globalThis as { gc?: () => void }).gc?.();

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
  process.on('message', (raw) => {
    const message = raw as { type?: string; id?: number };
    if (message.type !== 'stats' || typeof message.id !== 'number') return;
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    send({ type: 'stats', id: message.id, data: { ...counters(), rssMb: mb(memory.rss), heapMb: mb(memory.heapUsed), cpuUs: cpu.user + cpu.system, userUs: cpu.user } });
  });
  send({ type: 'ready', url, port, buildMs, rssMb: mb(process.memoryUsage().rss) });
}

await main();
