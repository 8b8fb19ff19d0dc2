/**
 * Forwards local hook events to other processes as signed JWTs, so a revocation in one process
 * evicts the caches of all of them, at least once and in order. Every event not marked `remote`
 * (so nothing received is sent on: no loops) is appended to an {@link Outbox} (durable when its
 * storage is: the mock keeps it in its database), and each target (webhook URL) is fed from its
 * own cursor: one delivery in flight at a time, in `seq` order, retried until the target answers
 * 2xx, with exponential backoff and jitter (between half and all of `min(retryMaxMs, retryBaseMs ×
 * 2^n)`), across restarts. A delivery is a compact JWS, body media type `application/jose`, claims
 * `iss`, `iat`, `exp` (+5 min), `jti` (= the event id), `event`, `payload`, `emitted_at`, and the
 * stream claims `src` (stable source id), `boot` (this start), `seq`, `prev` (and `coalesced`):
 * see `StreamClaims`. Each attempt is signed afresh (fresh `iat`, same `jti` and `seq`).
 *
 * A 4xx other than 408/429 means the receiver refused this event (bad signature, malformed…):
 * retrying would block the stream forever, so the event is skipped and recorded as lost for
 * that target, and its next delivery carries a gap (the receiver drops its caches). A target
 * with nothing pending gets a heartbeat every `heartbeatMs`, so a receiver can tell "nothing
 * happened" from "I cannot hear the source".
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
 * hooks.emit('token.revoked', { tokenId, userId }); // delivered to 10.0.0.2, even if it is down for a while
 * await sender.close();
 * ```
 */
import { SignJWT, type CryptoKey, type JWK, type KeyObject } from 'jose';
import {
  DEFAULT_EVENT_ISSUER, EVENT_JWT_TYPE, EVENT_MEDIA_TYPE, EVENT_TOKEN_TTL_SECONDS, HEARTBEAT_EVENT, hs256Key,
  type StreamClaims,
} from './event-format.js';
import { createOutbox, memoryOutboxStorage, type Outbox, type OutboxEntry, type OutboxStorage } from './event-outbox.js';
import type { HookBus } from '../hooks/hook-bus.js';
import { newId } from '../util/ids.js';
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
  /** Where the outbox lives. Default in memory (lost on restart; the receiver sees a new boot). */
  outbox?: OutboxStorage;
  /** Pending users per bulk kind (logouts, token creations) in the outbox. Default 10 000. */
  bulkLimit?: number;
  /** Hard bound of the outbox. Default 100 000. */
  maxEntries?: number;
  /**
   * Retries before a delivery is given up (then skipped as lost: the receiver sees a gap and
   * resets). Default `Infinity`: retried until acknowledged.
   */
  retries?: number;
  /** First backoff delay; doubles per retry. Default 100 ms. */
  retryBaseMs?: number;
  /** Backoff cap. Default 30 000 ms. */
  retryMaxMs?: number;
  /** Heartbeat interval for a target with nothing pending; 0 = none. Default 10 000 ms. */
  heartbeatMs?: number;
  /** Per-attempt timeout. Default 5 000 ms. */
  timeoutMs?: number;
  /** How long `close()` waits for pending deliveries (they stay in the outbox). Default 5 000 ms. */
  closeTimeoutMs?: number;
  logger?: Logger;
  fetch?: typeof fetch;
}

export interface EventSender {
  /** Stop; wait (at most `closeTimeoutMs`) for pending deliveries, then abort them (a durable outbox keeps them); resolves once no request of this sender is in flight or can start. */
  close(): Promise<void>;
  /** Resolves when no target has anything pending and nothing is in flight. */
  flush(): Promise<void>;
  /** Deliveries pending over all targets (events × targets not yet acknowledged). */
  readonly pending: number;
  /** Deliveries a target accepted (2xx). */
  readonly delivered: number;
  /** Deliveries lost: refused by a target (4xx), or dropped by an outbox bound. */
  readonly dropped: number;
  /** Heartbeats a target accepted. */
  readonly heartbeats: number;
  /** The outbox (its `sourceId`, `size`, `coalesced`). */
  readonly outbox: Outbox;
  /** Id of this start (the `boot` claim). */
  readonly bootId: string;
}

interface Target { url: string; busy: boolean; wake?: () => void; lastSentAt: number }

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
    hooks, targets: urls, signing, issuer = DEFAULT_EVENT_ISSUER, retries = Infinity, retryBaseMs = 100, retryMaxMs = 30_000,
    heartbeatMs = 10_000, timeoutMs = 5_000, closeTimeoutMs = 5_000, logger = silentLogger,
    fetch: fetchImpl = globalThis.fetch,
  } = options;
  const key = signing.alg === 'HS256' ? hs256Key(signing.secret) : signing.privateKey;
  const header = signing.alg === 'HS256'
    ? { alg: 'HS256', typ: EVENT_JWT_TYPE }
    : { alg: 'EdDSA', typ: EVENT_JWT_TYPE, kid: signing.kid };
  const outbox = createOutbox({
    storage: options.outbox ?? memoryOutboxStorage(), targets: urls, bulkLimit: options.bulkLimit,
    maxEntries: options.maxEntries, logger,
  });
  const bootId = newId();
  const targets: Target[] = [...new Set(urls)].map((url) => ({ url, busy: false, lastSentAt: 0 }));
  const closing = new AbortController();
  let closed = false;
  let delivered = 0;
  let refused = 0;
  let heartbeats = 0;
  let idleWaiters: Array<() => void> = [];

  const pendingCount = () => targets.reduce((n, t) => n + outbox.pendingFor(t.url), 0);
  const notifyIdle = () => {
    if (pendingCount() > 0 && !closing.signal.aborted) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  const sign = (event: string, payload: unknown, jti: string, stream: StreamClaims, emittedAt: number): Promise<string> =>
    new SignJWT({ event, payload, emitted_at: emittedAt, ...stream })
      .setProtectedHeader(header)
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime(`${EVENT_TOKEN_TTL_SECONDS}s`)
      .setJti(jti)
      .sign(key);

  const attempt = async (url: string, jws: string, what: Record<string, unknown>): Promise<Outcome> => {
    // One controller per attempt, aborted by its timeout or by close(); listeners are removed after.
    // An attempt may begin after close() aborted (the abort came while the event was being
    // signed): an 'abort' listener added then never fires, so the request would go out after
    // close() returned, from a sender the next start has already replaced. Not sent: it stays owed.
    if (closing.signal.aborted) return 'retry';
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
      const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
      logger.warn(retryable ? 'event delivery failed' : 'event refused by receiver', { target: url, ...what, status: res.status });
      return retryable ? 'retry' : 'refused';
    } catch (err) {
      logger.warn('event delivery failed', { target: url, ...what, error: err instanceof Error ? err.message : String(err) });
      return 'retry';
    } finally {
      clearTimeout(timer);
      closing.signal.removeEventListener('abort', onClose);
    }
  };

  /** Wait `ms`, or less when woken (close, or new events for an idle wait). */
  const sleep = (target: Target, ms: number, wakeOnAppend: boolean) => new Promise<void>((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      closing.signal.removeEventListener('abort', wake);
      if (target.wake === wake) target.wake = undefined;
      resolve();
    };
    const timer = setTimeout(wake, ms);
    closing.signal.addEventListener('abort', wake, { once: true });
    // An idle wait (heartbeat or new events) never holds the process open; a retry does.
    if (wakeOnAppend) { target.wake = wake; timer.unref(); }
  });

  const backoff = (n: number) => {
    const ceiling = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(n, 30));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  };

  const deliver = async (target: Target, entry: OutboxEntry) => {
    const what = { event: entry.event, eventId: entry.eventId, seq: entry.seq };
    for (let n = 0; !closing.signal.aborted; n++) {
      const stream: StreamClaims = { src: outbox.sourceId, boot: bootId, seq: entry.seq, prev: outbox.prev(target.url) };
      if (entry.coalesced > 1) stream.coalesced = entry.coalesced;
      let outcome: Outcome;
      try {
        outcome = await attempt(target.url, await sign(entry.event, entry.payload, entry.eventId, stream, entry.emittedAt), what);
      } catch (err) {
        logger.error('event signing failed', { ...what, error: err instanceof Error ? err.message : String(err) });
        outcome = 'refused';
      }
      target.lastSentAt = Date.now();
      if (outcome === 'delivered') { delivered++; outbox.ack(target.url, entry.seq); return; }
      if (outcome === 'refused' || n >= retries) {
        // Move past it: the receiver never applied this seq, so the next delivery's `prev` (this
        // seq) differs from the receiver's last one, which it sees as a gap and resets.
        refused++;
        outbox.ack(target.url, entry.seq);
        logger.error(outcome === 'refused' ? 'event refused by receiver; skipped, the receiver will see a gap'
          : 'event given up after retries; skipped, the receiver will see a gap', { target: target.url, ...what, attempts: n + 1 });
        return;
      }
      await sleep(target, backoff(n), false);
    }
  };

  const heartbeat = async (target: Target) => {
    const prev = outbox.prev(target.url);
    const stream: StreamClaims = { src: outbox.sourceId, boot: bootId, seq: prev, prev };
    target.lastSentAt = Date.now();
    let jws: string;
    try {
      jws = await sign(HEARTBEAT_EVENT, {}, newId(), stream, Date.now());
    } catch (err) {
      logger.error('heartbeat signing failed', { target: target.url, error: err instanceof Error ? err.message : String(err) });
      return;
    }
    if (await attempt(target.url, jws, { event: HEARTBEAT_EVENT, seq: prev }) === 'delivered') {
      heartbeats++;
      outbox.ack(target.url, prev);
    }
  };

  /** Feed one target until close: deliveries in order, heartbeats when idle. */
  const run = async (target: Target) => {
    target.busy = true;
    try {
      while (!closing.signal.aborted) {
        const entry = outbox.next(target.url);
        if (entry !== undefined) {
          await deliver(target, entry);
          continue;
        }
        notifyIdle();
        if (closed) break;
        const wait = heartbeatMs > 0 ? Math.max(0, target.lastSentAt + heartbeatMs - Date.now()) : 2 ** 31 - 1;
        if (heartbeatMs > 0 && wait === 0) { await heartbeat(target); continue; }
        await sleep(target, wait, true);
      }
    } finally {
      target.busy = false;
      notifyIdle();
    }
  };

  const unsubscribe = hooks.onAny((event, payload, meta) => {
    if (meta.remote || closed) return;
    outbox.append(event, payload, meta);
    for (const target of targets) target.wake?.();
  });
  const running = targets.map(run);

  const flush = () => new Promise<void>((resolve) => {
    idleWaiters.push(resolve);
    notifyIdle();
  });

  return {
    flush,
    async close() {
      if (!closed) { closed = true; unsubscribe(); }
      for (const target of targets) target.wake?.();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), closeTimeoutMs); });
      const result = await Promise.race([flush(), timeout]);
      clearTimeout(timer);
      closing.abort();
      if (result === 'timeout') logger.warn('event sender closed with deliveries pending; they stay in the outbox', { closeTimeoutMs, pending: pendingCount() });
      // Nothing of this sender may reach a target (nor ack into the outbox) once close() resolved:
      // wait for every delivery loop to end (the abort cuts their requests and sleeps short).
      await Promise.all(running);
      await outbox.settled();
    },
    get pending() { return pendingCount(); },
    get delivered() { return delivered; },
    get dropped() { return refused + outbox.dropped; },
    get heartbeats() { return heartbeats; },
    outbox,
    bootId,
  };
}
