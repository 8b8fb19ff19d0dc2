/**
 * `redisEventBridge()`: every hook event of one process reaches every other process of a fleet
 * through one Redis Stream, so a revocation seen by one instance (or published by the mock with
 * `--redis`) evicts in all of them.
 *
 * - **Publish**: each local event (not one this bridge received from Redis: no echo loops) is
 *   appended with `XADD … MAXLEN ~ maxLen`, by a script that also writes `prev`, the id of the
 *   entry before it. Fields: `src` (this bridge's instance id), `event`, `payload` (JSON),
 *   `eventId`, `emittedAt`, `prev`.
 * - **Subscribe**: a dedicated connection loops on `XREAD BLOCK` from the last id it read. An
 *   entry of its own `src` is skipped; others are checked (`parseEventPayload`, the same rules as
 *   signed events) and emitted with `remote: true`.
 * - **Gaps**: an entry whose `prev` is not the last id read means entries were trimmed away (a
 *   reader that fell behind `maxLen`) or the stream was lost (Redis restarted without
 *   persistence). Then, and whenever Redis cannot be reached (a closed connection, an `XREAD`
 *   unanswered past `blockMs + stallMs`: a paused Redis), the cache is degraded
 *   (`cache.degrade('redis')`: everything dropped, entries live at most its `degradedTtlMs`),
 *   `onGap` runs (the shared cache bumps its generation) and, once reads flow again,
 *   `cache.recover('redis')`.
 *
 * Publishing uses ioredis' offline queue: an event emitted while Redis is away is sent when it
 * is back (after `maxRetriesPerRequest` reconnect attempts it is dropped and logged); the other
 * instances are degraded during the outage anyway.
 *
 * @example
 * ```ts
 * import { redisEventBridge } from 'mattermost-pat/fleet';
 * const bridge = redisEventBridge({ redis: 'redis://127.0.0.1:6379', hooks, cache });
 * await bridge.ready();
 * // later: await bridge.close();
 * ```
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { HookBus, HookEventName } from '../hooks/hook-bus.js';
import { silentLogger, type Logger } from '../logger.js';
import { isKnownEvent, parseEventPayload } from '../events/event-format.js';
import { isValidId, newId } from '../util/ids.js';

/** What the bridge needs of a cache: its fail-safe switch (the principal cache has it). */
export interface Degradable {
  degrade(reason: string): void;
  recover(reason?: string): void;
}

export interface RedisEventBridgeOptions {
  /** Redis URL (`redis://host:port/db`). */
  redis: string;
  /** Extra ioredis options (TLS, password...). */
  redisOptions?: RedisOptions;
  hooks: HookBus;
  /** Degraded while the bridge may be missing events. */
  cache?: Degradable;
  /** Runs on every gap, before the cache recovers (the shared cache drops its entries). */
  onGap?: (reason: BridgeGapReason) => void | Promise<void>;
  /** Stream key. Default `mattermost-pat:events`. */
  stream?: string;
  /** Approximate stream length kept (`MAXLEN ~`). Default 10 000. */
  maxLen?: number;
  /** This process's id in the stream (`src`). Default: a new id. */
  instanceId?: string;
  /** Publish local events. Default true. */
  publish?: boolean;
  /** Read the stream (false: a publisher only, like the mock). Default true. */
  subscribe?: boolean;
  /** `XREAD BLOCK` timeout. Default 1 000 ms. */
  blockMs?: number;
  /** How long past `blockMs` an unanswered read means Redis is stalled. Default 1 000 ms. */
  stallMs?: number;
  /** The reason given to `degrade`/`recover`. Default `'redis'`. */
  reason?: string;
  logger?: Logger;
}

/** Why the bridge may have missed events. */
export type BridgeGapReason = 'unreachable' | 'trimmed';

export interface RedisEventBridge {
  readonly instanceId: string;
  /** True while reads flow and no gap is pending. */
  readonly live: boolean;
  readonly stats: { readonly published: number; readonly received: number; readonly skippedOwn: number; readonly rejected: number; readonly gaps: number; readonly publishFailed: number };
  /** Resolves when the bridge is next live (subscribe: reading; publish only: connected). */
  ready(): Promise<void>;
  /** Resolves once every event published so far has been written (or failed). */
  flush(): Promise<void>;
  /** Stop reading and publishing, close both connections. */
  close(): Promise<void>;
}

const PUBLISH_SCRIPT = `
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local prev = ''
if #last > 0 then prev = last[1][1] end
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'src', ARGV[2], 'event', ARGV[3], 'payload', ARGV[4], 'eventId', ARGV[5], 'emittedAt', ARGV[6], 'prev', prev)
`;

type StreamEntry = [id: string, fields: string[]];
type XReadReply = Array<[key: string, entries: StreamEntry[]]> | null;

const fieldsOf = (flat: string[]) => {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
};

/** Start a bridge on `hooks`. Never throws on Redis failures (they degrade the cache and are logged). */
export function redisEventBridge(options: RedisEventBridgeOptions): RedisEventBridge {
  const {
    redis: url, redisOptions = {}, hooks, cache, onGap, stream = 'mattermost-pat:events', maxLen = 10_000,
    instanceId = newId(), publish = true, subscribe = true, blockMs = 1_000, stallMs = 1_000, reason = 'redis',
    logger = silentLogger,
  } = options;
  const stats = { published: 0, received: 0, skippedOwn: 0, rejected: 0, gaps: 0, publishFailed: 0 };
  const retryStrategy = (times: number) => Math.min(50 * 2 ** Math.min(times, 10), 1_000);
  const pub = publish
    ? new Redis(url, { retryStrategy, ...redisOptions, lazyConnect: false })
    : undefined;
  const sub = subscribe
    ? new Redis(url, { retryStrategy, maxRetriesPerRequest: 1, ...redisOptions, lazyConnect: false })
    : undefined;
  for (const c of [pub, sub]) c?.on('error', (err: Error) => { logger.warn('redis event bridge: connection error', { error: err.message }); });

  let closed = false;
  let live = false;
  let degraded = false;
  let receiving = false;
  let lastId: string | undefined;
  let waiters: Array<() => void> = [];
  const pending = new Set<Promise<unknown>>();

  const setLive = (v: boolean) => {
    live = v;
    if (v) for (const w of waiters.splice(0)) w();
  };
  const degrade = (why: BridgeGapReason) => {
    setLive(false);
    if (degraded) return;
    degraded = true;
    stats.gaps++;
    logger.warn('redis event bridge: events may have been missed, cache degraded', { why, stream });
    cache?.degrade(reason);
  };
  const recover = async (why: BridgeGapReason) => {
    if (!degraded) { setLive(true); return; }
    try { await onGap?.(why); } catch (err) {
      logger.warn('redis event bridge: onGap failed, staying degraded', { error: err instanceof Error ? err.message : String(err) });
      return;
    }
    degraded = false;
    cache?.recover(reason);
    setLive(true);
  };

  // ---- publish -------------------------------------------------------------------------------
  const off = publish && pub !== undefined
    ? hooks.onAny((event, payload, meta) => {
      if (receiving || closed) return; // this bridge's own emit: never sent back
      const write = pub.eval(PUBLISH_SCRIPT, 1, stream, String(maxLen), instanceId, event, JSON.stringify(payload), meta.eventId, String(meta.emittedAt))
        .then(() => { stats.published++; }, (err: unknown) => {
          stats.publishFailed++;
          logger.error('redis event bridge: event not published', { event, error: err instanceof Error ? err.message : String(err) });
        });
      pending.add(write);
      void write.finally(() => pending.delete(write));
    })
    : undefined;
  if (!subscribe && pub !== undefined) {
    pub.on('ready', () => setLive(true));
    pub.on('close', () => setLive(false));
  }

  // ---- subscribe -----------------------------------------------------------------------------
  const deliver = (id: string, flat: string[]) => {
    const f = fieldsOf(flat);
    if (lastId !== undefined && (f.prev ?? '') !== lastId && !(lastId === '0-0' && (f.prev ?? '') === '')) degrade('trimmed');
    lastId = id;
    if (f.src === instanceId) { stats.skippedOwn++; return; }
    const event = f.event;
    let payload: unknown;
    try { payload = JSON.parse(f.payload ?? ''); } catch { payload = undefined; }
    const parsed = isKnownEvent(event) ? parseEventPayload(event, payload) : undefined;
    if (parsed === undefined || !isKnownEvent(event)) { stats.rejected++; logger.warn('redis event bridge: malformed entry ignored', { id }); return; }
    const emittedAt = Number(f.emittedAt);
    stats.received++;
    receiving = true;
    try {
      hooks.emit(event as HookEventName, parsed as never, {
        eventId: isValidId(f.eventId) ? f.eventId : undefined,
        emittedAt: Number.isFinite(emittedAt) ? emittedAt : undefined,
        remote: true,
      });
    } finally {
      receiving = false;
    }
  };

  const withStallTimer = <T>(p: Promise<T>, ms: number): Promise<T> => new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis stalled')), ms);
    p.then((v) => { clearTimeout(timer); resolve(v); }, (e: unknown) => { clearTimeout(timer); reject(e instanceof Error ? e : new Error(String(e))); });
  });
  const pause = (ms: number) => new Promise<void>((r) => { setTimeout(r, ms).unref?.(); });

  const loop = async (client: Redis) => {
    let failures = 0;
    let starting = true;
    if (cache !== undefined) { degraded = true; cache.degrade(reason); } // blind until the first read
    while (!closed) {
      try {
        if (lastId === undefined) {
          // Start from the current end: what came before is what every instance already knew.
          const last = await withStallTimer(client.xrevrange(stream, '+', '-', 'COUNT', 1), blockMs + stallMs);
          lastId = last.length > 0 ? last[0][0] : '0-0';
        } else if (!live && lastId !== '0-0') {
          // Back after an outage or a stall. The stream lost our last id (Redis restarted without
          // persistence, or trimmed past us): read the new stream from its start.
          const still = await withStallTimer(client.xrange(stream, lastId, lastId), blockMs + stallMs);
          if (still.length === 0) { degrade('trimmed'); lastId = '0-0'; }
        }
        if (!live) {
          if (starting) { starting = false; degraded = false; cache?.recover(reason); setLive(true); } else await recover('unreachable');
        }
        const reply = await withStallTimer(
          client.xread('COUNT', 500, 'BLOCK', blockMs, 'STREAMS', stream, lastId) as Promise<XReadReply>,
          blockMs + stallMs,
        );
        failures = 0;
        for (const [, entries] of reply ?? []) for (const [id, flat] of entries) deliver(id, flat);
      } catch (err) {
        if (closed) break;
        degrade('unreachable');
        failures++;
        if (failures === 1) logger.warn('redis event bridge: cannot read the stream', { error: err instanceof Error ? err.message : String(err) });
        if (err instanceof Error && err.message === 'redis stalled') client.disconnect(true);
        await pause(Math.min(50 * 2 ** Math.min(failures, 5), 1_000));
      }
    }
  };

  const loopDone = sub !== undefined ? loop(sub) : Promise.resolve();

  return {
    instanceId,
    get live() { return live; },
    stats,
    ready() {
      if (live) return Promise.resolve();
      return new Promise<void>((resolve) => { waiters.push(resolve); });
    },
    async flush() { await Promise.all([...pending]); },
    async close() {
      closed = true;
      off?.();
      waiters = [];
      await Promise.race([Promise.all([...pending]), pause(1_000)]);
      pub?.disconnect();
      sub?.disconnect();
      await loopDone;
    },
  };
}
