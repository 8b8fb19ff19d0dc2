/**
 * Forwards local hook events to other processes as signed JWTs, so a revocation in one process
 * evicts the caches of all of them. Every event not marked `remote` (so nothing received is
 * sent on: no loops) is POSTed to every target as a compact JWS, body media type
 * `application/jose`, claims `iss`, `iat`, `exp` (+5 min), `jti` (= the event id), `event`,
 * `payload`, `emitted_at`. Each target has its own FIFO queue (bounded: when full the oldest
 * delivery is dropped and logged) and one delivery in flight at a time, so a target sees events
 * in emission order. 5xx, 429, timeouts and network errors are retried with exponential backoff
 * and full jitter; other 4xx (the receiver refused) are logged and not retried. Each attempt is
 * signed afresh (fresh `iat`, same `jti`).
 *
 * @example
 * ```ts
 * import { createHookBus } from 'mattermost-pat';
 * import { createEventSender } from 'mattermost-pat/events';
 * const hooks = createHookBus();
 * const sender = createEventSender({
 *   hooks,
 *   targets: ['http://10.0.0.2:3000/mattermost-pat/events'],
 *   signing: { alg: 'HS256', secret: process.env.EVENT_SECRET! },
 * });
 * hooks.emit('token.revoked', { tokenId, userId }); // delivered to 10.0.0.2
 * await sender.close();
 * ```
 */
import { SignJWT, type CryptoKey, type JWK, type KeyObject } from 'jose';
import {
  DEFAULT_EVENT_ISSUER, EVENT_JWT_TYPE, EVENT_MEDIA_TYPE, EVENT_TOKEN_TTL_SECONDS, hs256Key, type EventClaims,
} from './event-format.js';
import type { HookBus, HookEventMeta, HookEventName, HookEvents } from '../hooks/hook-bus.js';
import { silentLogger, type Logger } from '../logger.js';

/** How events are signed: a shared secret, or an Ed25519 private key (receivers use its JWKS). */
export type EventSigning =
  | { alg: 'HS256'; secret: string | Uint8Array }
  | { alg: 'EdDSA'; privateKey: CryptoKey | KeyObject; publicJwk?: JWK; kid: string };

export interface EventSenderOptions {
  hooks: HookBus;
  /** Receiver URLs, e.g. `http://10.0.0.2:3000/mattermost-pat/events`. */
  targets: readonly string[];
  signing: EventSigning;
  /** `iss` claim. Default `'mattermost-pat'`. */
  issuer?: string;
  /** Retries after the first attempt. Default 5. */
  retries?: number;
  /** First backoff delay; doubles per retry, full jitter. Default 100 ms. */
  retryBaseMs?: number;
  /** Backoff cap. Default 5 000 ms. */
  retryMaxMs?: number;
  /** Queued deliveries per target; when full the oldest is dropped. Default 1000. */
  queueLimit?: number;
  /** Per-attempt timeout. Default 5 000 ms. */
  timeoutMs?: number;
  /** How long `close()` waits for queued and in-flight deliveries. Default 5 000 ms. */
  closeTimeoutMs?: number;
  logger?: Logger;
  fetch?: typeof fetch;
}

export interface EventSender {
  /** Stop forwarding; wait (at most `closeTimeoutMs`) for queued deliveries, then abort the rest. */
  close(): Promise<void>;
  /** Resolves when every queue is empty and nothing is in flight. */
  flush(): Promise<void>;
  /** Deliveries queued or in flight. */
  readonly pending: number;
  /** Deliveries a target accepted (2xx). */
  readonly delivered: number;
  /** Deliveries given up: queue overflow, retries exhausted, refused (4xx), or aborted by close. */
  readonly dropped: number;
}

interface Delivery { event: HookEventName; payload: HookEvents[HookEventName]; meta: HookEventMeta }
interface Target { url: string; queue: Delivery[]; busy: boolean }

type Outcome = 'delivered' | 'refused' | 'retry';

/**
 * Create a sender that forwards local hook events to `targets`.
 *
 * @example
 * ```ts
 * const sender = createEventSender({ hooks, targets: [url], signing: { alg: 'HS256', secret } });
 * hooks.emit('user.deactivated', { userId });
 * await sender.flush(); // sender.delivered === 1
 * ```
 */
export function createEventSender(options: EventSenderOptions): EventSender {
  const {
    hooks, targets: urls, signing, issuer = DEFAULT_EVENT_ISSUER, retries = 5, retryBaseMs = 100,
    retryMaxMs = 5_000, queueLimit = 1000, timeoutMs = 5_000, closeTimeoutMs = 5_000,
    logger = silentLogger, fetch: fetchImpl = globalThis.fetch,
  } = options;
  const key = signing.alg === 'HS256' ? hs256Key(signing.secret) : signing.privateKey;
  const header = signing.alg === 'HS256'
    ? { alg: 'HS256', typ: EVENT_JWT_TYPE }
    : { alg: 'EdDSA', typ: EVENT_JWT_TYPE, kid: signing.kid };
  const targets: Target[] = urls.map((url) => ({ url, queue: [], busy: false }));
  const closing = new AbortController();
  let closed = false;
  let delivered = 0;
  let dropped = 0;
  let idleWaiters: Array<() => void> = [];

  const pendingCount = () => targets.reduce((n, t) => n + t.queue.length + (t.busy ? 1 : 0), 0);
  const notifyIdle = () => {
    if (pendingCount() > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  const sign = (d: Delivery): Promise<string> => {
    const claims: Omit<EventClaims, 'iss' | 'iat' | 'exp' | 'jti'> = { event: d.event, payload: d.payload, emitted_at: d.meta.emittedAt };
    return new SignJWT({ ...claims })
      .setProtectedHeader(header)
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime(`${EVENT_TOKEN_TTL_SECONDS}s`)
      .setJti(d.meta.eventId)
      .sign(key);
  };

  const attempt = async (url: string, d: Delivery): Promise<Outcome> => {
    let jws: string;
    try {
      jws = await sign(d);
    } catch (err) {
      logger.error('event signing failed', { event: d.event, eventId: d.meta.eventId, error: err instanceof Error ? err.message : String(err) });
      return 'refused';
    }
    // One controller per attempt, aborted by its timeout or by close(); listeners are removed after.
    const attemptAbort = new AbortController();
    const onClose = () => attemptAbort.abort(new Error('event sender closed'));
    closing.signal.addEventListener('abort', onClose, { once: true });
    const timer = setTimeout(() => attemptAbort.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    try {
      const res = await fetchImpl(url, {
        method: 'POST',
        headers: { 'Content-Type': EVENT_MEDIA_TYPE, Accept: 'application/json' },
        body: jws,
        signal: attemptAbort.signal,
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return 'delivered';
      const retryable = res.status >= 500 || res.status === 429;
      logger.warn(retryable ? 'event delivery failed' : 'event refused by receiver', { target: url, event: d.event, eventId: d.meta.eventId, status: res.status });
      return retryable ? 'retry' : 'refused';
    } catch (err) {
      logger.warn('event delivery failed', { target: url, event: d.event, eventId: d.meta.eventId, error: err instanceof Error ? err.message : String(err) });
      return 'retry';
    } finally {
      clearTimeout(timer);
      closing.signal.removeEventListener('abort', onClose);
    }
  };

  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const wake = () => { clearTimeout(timer); closing.signal.removeEventListener('abort', wake); resolve(); };
    const timer = setTimeout(wake, ms);
    closing.signal.addEventListener('abort', wake, { once: true });
  });

  const deliver = async (target: Target, d: Delivery) => {
    for (let n = 0; ; n++) {
      const outcome = closing.signal.aborted ? 'refused' : await attempt(target.url, d);
      if (outcome === 'delivered') { delivered++; return; }
      if (outcome === 'refused' || n >= retries || closing.signal.aborted) {
        dropped++;
        if (outcome === 'retry') logger.error('event dropped after retries', { target: target.url, event: d.event, eventId: d.meta.eventId, attempts: n + 1 });
        return;
      }
      await sleep(Math.random() * Math.min(retryMaxMs, retryBaseMs * 2 ** n));
    }
  };

  /** Drain one target's queue; runs synchronously up to its first await, so `busy` is set at once. */
  const work = async (target: Target) => {
    target.busy = true;
    try {
      for (let d = target.queue.shift(); d !== undefined; d = target.queue.shift()) await deliver(target, d);
    } finally {
      target.busy = false;
      notifyIdle();
    }
  };

  const unsubscribe = hooks.onAny((event, payload, meta) => {
    if (meta.remote || closed) return;
    for (const target of targets) {
      target.queue.push({ event, payload, meta });
      if (target.queue.length > queueLimit) {
        const old = target.queue.shift() as Delivery;
        dropped++;
        logger.warn('event queue full, oldest event dropped', { target: target.url, event: old.event, eventId: old.meta.eventId, queueLimit });
      }
      if (!target.busy) void work(target);
    }
  });

  const flush = () => new Promise<void>((resolve) => {
    idleWaiters.push(resolve);
    notifyIdle();
  });

  return {
    flush,
    async close() {
      if (!closed) { closed = true; unsubscribe(); }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), closeTimeoutMs); });
      const result = await Promise.race([flush(), timeout]);
      clearTimeout(timer);
      if (result === 'timeout') {
        closing.abort();
        for (const target of targets) { dropped += target.queue.length; target.queue.length = 0; }
        logger.warn('event sender closed with deliveries pending; aborted', { closeTimeoutMs });
        await flush();
      }
    },
    get pending() { return pendingCount(); },
    get delivered() { return delivered; },
    get dropped() { return dropped; },
  };
}
