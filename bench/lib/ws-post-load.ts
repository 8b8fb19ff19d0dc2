/**
 * Child-process entry of the WebSocket benchmark's post load: autocannon writing
 * `POST /api/v4/posts` into the bench channel as fast as the server answers, in its own process
 * (neither the server's nor the listeners'). Over IPC it runs each `{ id, config }`
 * ({@link PostLoadConfig}) it receives, one at a time, and answers `{ id, result }`
 * ({@link PostLoadResult}) or `{ id, error }`. Only 201 answers count as throughput.
 */
import autocannon from 'autocannon';
import type { PostLoadConfig, PostLoadResult } from './ws-messages.js';

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** Run one load. */
async function postLoad(config: PostLoadConfig): Promise<PostLoadResult> {
  const latencies: number[] = [];
  let created = 0;
  const statuses: Record<string, number> = {};
  let instance: autocannon.Instance | undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon({
      url: `${config.url}/api/v4/posts`,
      method: 'POST',
      connections: config.connections,
      pipelining: 1,
      headers: { authorization: `Bearer ${config.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel_id: config.channelId, message: 'load post from bench/websocket.ts' }),
      ...(config.amount !== undefined ? { amount: config.amount } : { duration: config.duration ?? 5 }),
    }, (err, result) => (err ? reject(err) : resolve(result)));
  });
  instance?.on('response', (_client, statusCode, _bytes, responseTime) => {
    latencies.push(responseTime);
    if (statusCode === 201) created++;
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
  });
  const result = await finished;
  const sorted = Float64Array.from(latencies).sort();
  return {
    rps: created / result.duration,
    total: latencies.length,
    created,
    other: latencies.length - created,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: result.duration,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    statuses,
  };
}

let queue = Promise.resolve();
process.on('message', (raw) => {
  const { id, config } = raw as { id: number; config: PostLoadConfig };
  queue = queue.then(() => postLoad(config).then(
    (result) => { process.send?.({ id, result }); },
    (err: unknown) => { process.send?.({ id, error: err instanceof Error ? err.message : String(err) }); },
  ));
});
process.on('disconnect', () => process.exit(0));
