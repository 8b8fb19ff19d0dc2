/**
 * The load generator process. It runs in its own process so that it never shares an event loop
 * with the server it measures. Started with an IPC channel (by `load.ts`), it runs every
 * {@link LoadConfig} message it receives, one at a time, and answers each with a
 * {@link LoadResult} message; started without one, it reads one config (JSON) on stdin and prints
 * the result (JSON) on stdout. Latencies are recorded per response with autocannon's
 * sub-millisecond `responseTime` (its own histogram rounds to whole milliseconds).
 *
 * @example
 * ```sh
 * echo '{"url":"http://127.0.0.1:3000","connections":50,"duration":8,"requests":[{"path":"/"}]}' \
 *   | node --import tsx bench/lib/load-worker.ts
 * ```
 */
import autocannon from 'autocannon';

export interface LoadRequest {
  path: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Request body (POST). */
  body?: string;
}

export interface LoadConfig {
  url: string;
  connections: number;
  /** Seconds; ignored when `amount` is set. */
  duration?: number;
  /** Stop after this many requests. */
  amount?: number;
  /** Cycled through by every connection. */
  requests: LoadRequest[];
}

export interface LoadResult {
  /** 2xx responses per second. */
  rps: number;
  total: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  /** Latency percentiles of every response, ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Count per status code. */
  statuses: Record<string, number>;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** Run one load. */
export async function load(config: LoadConfig): Promise<LoadResult> {
  let latencies = new Float64Array(1 << 18);
  let n = 0;
  const statuses: Record<string, number> = {};
  let instance: autocannon.Instance | undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon({
      url: config.url,
      connections: config.connections,
      pipelining: 1,
      ...(config.amount !== undefined ? { amount: config.amount } : { duration: config.duration ?? 8 }),
      requests: config.requests.map((r) => ({ method: r.method ?? 'GET', path: r.path, headers: r.headers ?? {}, ...(r.body === undefined ? {} : { body: r.body }) })),
    }, (err, result) => (err ? reject(err) : resolve(result)));
  });
  instance?.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (n === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[n++] = responseTime;
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
  });
  const result = await finished;
  const sorted = latencies.subarray(0, n).sort();
  const ok2xx = result['2xx'];
  return {
    rps: ok2xx / result.duration,
    total: n,
    ok2xx,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: result.duration,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: percentile(sorted, 100),
    statuses,
  };
}

if (process.send !== undefined) {
  let queue = Promise.resolve();
  process.on('message', (raw) => {
    const { id, config } = raw as { id: number; config: LoadConfig };
    queue = queue.then(() => load(config).then(
      (result) => { process.send?.({ id, result }); },
      (err: unknown) => { process.send?.({ id, error: err instanceof Error ? err.message : String(err) }); },
    ));
  });
  process.on('disconnect', () => process.exit(0));
} else {
  process.stdout.write(`${JSON.stringify(await load(JSON.parse(await readStdin()) as LoadConfig))}\n`);
}
