/**
 * Receives signed hook events from other processes (see `createEventSender`) and re-emits them
 * on the local bus with `remote: true`, so local caches evict at once. Handles only `POST` to
 * `path`; everything else goes to `next()`. The body is the compact JWS (`application/jose`,
 * at most `maxBodyBytes`). Checks, in order: media type and size, JWS shape, pinned algorithm
 * (`HS256` with a secret, `EdDSA` with keys: `none` and HS/EdDSA confusion are refused before
 * any verification), `typ`, signature, `iss`, `exp`, freshness of `iat` (older than `maxAgeMs`
 * or more than `clockSkewMs` in the future is refused), the event name and payload shape, and
 * replay (`jti` seen within `replayWindowMs`). Refusals are thrown as `AppError`s (400, 401,
 * 413, or 503 when a remote JWKS cannot be fetched), never 500; success answers
 * `200 {"status":"OK"}`. Mount it before any body parser that would consume `application/jose`
 * (koa-bodyparser's defaults do not).
 *
 * Fail safe (stream claims `src`, `boot`, `seq`, `prev`: see `StreamClaims`): the receiver keeps
 * per source the boot id and the last seq it applied. It emits `cache.reset` (with `remote: true`)
 * before applying an event when events may have been missed: the first event of a source it does
 * not know (`'source'`), a new boot id (`'boot'`), or a `prev` that is not its last seq (`'gap'`).
 * A coalesced event with a `userId` also resets that user (`'coalesced'`). An event at or below
 * the last seq is a redelivery: acknowledged (200), not applied again (from a new boot of the
 * source too when its `jti` is one already applied: that still resets `'boot'`). When a known source has
 * sent nothing (no event, no heartbeat) for `heartbeatTimeoutMs`, the receiver resets
 * (`'heartbeat'`), and again every `heartbeatTimeoutMs` for as long as the source stays silent:
 * while it cannot hear revocations, no cached answer outlives that period; tokens are re-validated,
 * never accepted on old knowledge. Events without stream claims (older senders) are applied as
 * before, with no sequence check.
 *
 * @example
 * ```ts
 * import { errorBoundary, createHookBus } from 'mattermost-pat';
 * import { eventReceiver } from 'mattermost-pat/events';
 * const hooks = createHookBus();
 * app.use(errorBoundary());
 * app.use(eventReceiver({ hooks, verify: { secret: process.env.EVENT_SECRET! } }));
 * // or: verify: { jwksUrl: 'http://10.0.0.1:3000/.well-known/jwks.json' }
 * ```
 */
import type { IncomingMessage } from 'node:http';
import {
  createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify,
  type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey,
} from 'jose';
import type { Context, Middleware } from 'koa';
import { AppError } from '../errors/app-error.js';
import type { ErrorId } from '../errors/registry.js';
import {
  DEFAULT_EVENT_PATH, EVENT_JWT_TYPE, EVENT_MEDIA_TYPE, HEARTBEAT_EVENT, hs256Key, isKnownEvent, parseEventPayload,
  parseStreamClaims, type StreamClaims,
} from './event-format.js';
import type { CacheResetReason, HookBus, HookEventName } from '../hooks/hook-bus.js';
import { isValidId } from '../util/ids.js';
import { silentLogger, type Logger } from '../logger.js';

/** How to verify: the shared HS256 secret, or Ed25519 public keys (remote or local JWKS). */
export type EventVerification = { secret: string | Uint8Array } | { jwksUrl: string } | { jwks: JSONWebKeySet };

/** The receiving middleware, with its heartbeat watchdog. */
export interface EventReceiver extends Middleware {
  /** Stop the heartbeat watchdog. */
  close(): void;
  /** Run the heartbeat check now (the watchdog runs it every `heartbeatTimeoutMs / 4`). */
  checkHeartbeats(): void;
  /** Per known source: its boot id, last seq applied and when it was last heard (ms). */
  sources(): ReadonlyMap<string, Readonly<SourceState>>;
  /** `cache.reset` signals emitted, by reason. */
  readonly resets: Readonly<Record<'gap' | 'boot' | 'source' | 'heartbeat' | 'coalesced', number>>;
  /** Redeliveries acknowledged without being applied. */
  readonly duplicates: number;
}

/** What a receiver remembers of one source. */
export interface SourceState { boot: string; last: number; heardAt: number; resetAt: number }

export interface EventReceiverOptions {
  hooks: HookBus;
  verify: EventVerification;
  /** Default `/mattermost-pat/events`. */
  path?: string;
  /** Required `iss`; omit to accept any issuer. */
  issuer?: string;
  /** Oldest accepted `iat`. Default 60 000 ms. */
  maxAgeMs?: number;
  /** Tolerated clock difference for future `iat` and for `exp`. Default 5 000 ms. */
  clockSkewMs?: number;
  /** How long a `jti` is remembered. Default `maxAgeMs + clockSkewMs` (older events are stale anyway). */
  replayWindowMs?: number;
  /** Bound of the replay memory; the oldest `jti` is forgotten first. Default 50 000. */
  maxReplayEntries?: number;
  /** Default 64 KiB. */
  maxBodyBytes?: number;
  /** A known source silent this long makes the caches reset (see above); 0 = never. Default 30 000 ms (3 heartbeats). */
  heartbeatTimeoutMs?: number;
  /** Sources remembered; past it the longest-silent one is forgotten (its next event resets). Default 1 000. */
  maxSources?: number;
  /** Clock of the heartbeat watchdog (tests). Default `Date.now`. */
  now?: () => number;
  logger?: Logger;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

const refuse = (id: ErrorId, detailed: string, cause?: unknown) => new AppError(id, { detailed, cause });

/** An oversized body is drained (discarded) up to this much more, so the client reads our 413. */
const DRAIN_BYTES = 1024 * 1024;

/** Read the request body as UTF-8, at most `limit` bytes; `undefined` when larger. */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (value: string | undefined, err?: AppError) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (err) reject(err); else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > limit + DRAIN_BYTES) { req.pause(); done(undefined); }
    };
    const onEnd = () => done(size > limit ? undefined : Buffer.concat(chunks).toString('utf8'));
    const onError = (e: Error) => done(undefined, refuse('api.events.malformed.app_error', `body: ${e.message}`));
    const onClose = () => done(undefined, refuse('api.events.malformed.app_error', 'body: connection closed'));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/**
 * Map a verification failure to a refusal. With a remote JWKS, a failure that is not about the
 * token itself (fetch failed, timeout, bad JWKS) is a 503 so that the sender retries.
 */
function classify(err: unknown, remoteKeys: boolean): AppError {
  const detail = err instanceof Error ? err.message : String(err);
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return refuse('api.events.malformed.app_error', detail, err);
  if (err instanceof errors.JWTExpired) return refuse('api.events.expired.app_error', detail, err);
  if (err instanceof errors.JWTClaimValidationFailed && err.reason === 'missing') return refuse('api.events.malformed.app_error', detail, err);
  if (remoteKeys && (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid
    || !(err instanceof errors.JOSEError) || err.code === 'ERR_JOSE_GENERIC')) {
    return refuse('api.events.keys_unavailable.app_error', detail, err);
  }
  return refuse('api.events.invalid_signature.app_error', detail, err);
}

/**
 * Create the receiving middleware.
 *
 * @example
 * ```ts
 * app.use(eventReceiver({ hooks, verify: { jwks: publicJwks([keys]) }, issuer: 'mattermost-pat' }));
 * ```
 */
export function eventReceiver(options: EventReceiverOptions): EventReceiver {
  const {
    hooks, verify, path = DEFAULT_EVENT_PATH, issuer, maxAgeMs = 60_000, clockSkewMs = 5_000,
    replayWindowMs = maxAgeMs + clockSkewMs, maxReplayEntries = 50_000, maxBodyBytes = 64 * 1024,
    heartbeatTimeoutMs = 30_000, maxSources = 1_000, now: clock = Date.now, logger = silentLogger,
  } = options;
  const sources = new Map<string, SourceState>();
  const resets = { gap: 0, boot: 0, source: 0, heartbeat: 0, coalesced: 0 };
  let duplicates = 0;

  const reset = (reason: Exclude<CacheResetReason, 'reset'>, detail: Record<string, unknown>, userId?: string) => {
    resets[reason]++;
    logger[reason === 'coalesced' ? 'info' : 'warn']('remote events may be missing: caches reset', { reason, ...detail });
    hooks.emit('cache.reset', userId === undefined ? { reason } : { reason, userId }, { remote: true });
  };

  /** True for a redelivery of a seq already applied (acknowledge, do not apply). */
  const redelivered = (stream: StreamClaims, heartbeat: boolean, jti: string, now: number): boolean => {
    const known = sources.get(stream.src);
    if (known === undefined || heartbeat || stream.seq > known.last) return false;
    const at = clock();
    if (known.boot !== stream.boot) {
      // A new boot's seq proves nothing (its outbox may be an older copy reusing seqs); its jti
      // does: an event we applied, redelivered by a new start of the source (that start's
      // acknowledgement was not stored, or its last request reached us as it closed). Not
      // applied again (refused as a replay, the sender would skip it as lost and the new boot
      // would go unnoticed), but it is a new boot: what that start held in memory may be gone.
      if (!((seen.get(jti) ?? 0) > now)) return false;
      reset('boot', { src: stream.src, boot: stream.boot, seq: stream.seq, prev: stream.prev, last: known.last });
      known.boot = stream.boot;
      known.resetAt = at;
    }
    known.heardAt = at;
    duplicates++;
    return true;
  };

  /** Advance the source's stream to this event; resets the caches first when events may be missing. */
  const advance = (stream: StreamClaims) => {
    const at = clock();
    const known = sources.get(stream.src);
    const detail = { src: stream.src, boot: stream.boot, seq: stream.seq, prev: stream.prev, last: known?.last };
    if (known === undefined) reset('source', detail);
    else if (known.boot !== stream.boot) reset('boot', detail);
    else if (stream.prev !== known.last) reset('gap', detail);
    // Most recently heard last: the head of the map is the longest-silent source.
    sources.delete(stream.src);
    sources.set(stream.src, { boot: stream.boot, last: stream.seq, heardAt: at, resetAt: at });
    while (sources.size > maxSources) sources.delete(sources.keys().next().value as string);
  };

  const checkHeartbeats = () => {
    if (heartbeatTimeoutMs <= 0) return;
    const at = clock();
    for (const [src, state] of sources) {
      if (at - state.heardAt < heartbeatTimeoutMs || at - state.resetAt < heartbeatTimeoutMs) continue;
      state.resetAt = at;
      reset('heartbeat', { src, boot: state.boot, silentMs: at - state.heardAt });
    }
  };
  const watchdog = heartbeatTimeoutMs > 0 ? setInterval(checkHeartbeats, Math.max(10, heartbeatTimeoutMs / 4)) : undefined;
  watchdog?.unref();
  const alg = 'secret' in verify ? 'HS256' : 'EdDSA';
  const key: Uint8Array | JWTVerifyGetKey = 'secret' in verify ? hs256Key(verify.secret)
    : 'jwksUrl' in verify ? createRemoteJWKSet(new URL(verify.jwksUrl), { timeoutDuration: 5_000 })
      : createLocalJWKSet(verify.jwks);
  const verifyOptions = {
    algorithms: [alg], issuer, typ: EVENT_JWT_TYPE, clockTolerance: Math.ceil(clockSkewMs / 1000),
    requiredClaims: ['iss', 'iat', 'exp', 'jti'],
  };
  /** jti -> forget-after (ms). Insertion order is arrival order, so expired entries sit at the head. */
  const seen = new Map<string, number>();

  const remember = (jti: string, now: number) => {
    for (const [old, until] of seen) {
      if (until > now && seen.size < maxReplayEntries) break;
      seen.delete(old);
    }
    seen.delete(jti);
    seen.set(jti, now + replayWindowMs);
  };

  const check = async (jws: string): Promise<JWTPayload> => {
    if (!COMPACT_JWS.test(jws)) throw refuse('api.events.malformed.app_error', 'body is not a compact JWS');
    let header: { alg?: unknown };
    try {
      header = decodeProtectedHeader(jws);
    } catch (err) {
      throw refuse('api.events.malformed.app_error', `protected header: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    if (header.alg !== alg) throw refuse('api.events.invalid_signature.app_error', `alg ${String(header.alg)} not allowed`);
    try {
      const { payload } = typeof key === 'function' ? await jwtVerify(jws, key, verifyOptions) : await jwtVerify(jws, key, verifyOptions);
      return payload;
    } catch (err) { throw classify(err, typeof key === 'function' && 'jwksUrl' in verify); }
  };

  const accept = async (ctx: Context) => {
    if (!ctx.is(EVENT_MEDIA_TYPE)) throw refuse('api.events.malformed.app_error', `content type must be ${EVENT_MEDIA_TYPE}`);
    if (Number(ctx.get('Content-Length')) > maxBodyBytes) throw new AppError('api.context.request_body_too_large.app_error', { headers: { Connection: 'close' } });
    const parsed = (ctx.request as { body?: unknown }).body;
    const body = ctx.req.readableEnded ? (typeof parsed === 'string' ? parsed : '') : await readBody(ctx.req, maxBodyBytes);
    if (body === undefined) throw new AppError('api.context.request_body_too_large.app_error', { headers: { Connection: 'close' } });

    const claims = await check(body.trim());
    const now = Date.now();
    const { jti, event, emitted_at: emittedAt } = claims;
    const iatMs = (claims.iat as number) * 1000;
    if (now - iatMs > maxAgeMs || iatMs - now > clockSkewMs) throw refuse('api.events.expired.app_error', `iat ${claims.iat}`);
    if (!isValidId(jti)) throw refuse('api.events.malformed.app_error', 'jti must be a 26-character id');
    const stream = parseStreamClaims(claims);
    if (stream === 'malformed') throw refuse('api.events.malformed.app_error', 'stream claims src, boot, seq, prev');
    const heartbeat = event === HEARTBEAT_EVENT;
    if (heartbeat ? stream === undefined || stream.seq !== stream.prev : !isKnownEvent(event)) throw refuse('api.events.malformed.app_error', 'unknown event');
    if (typeof emittedAt !== 'number' || !Number.isFinite(emittedAt)) throw refuse('api.events.malformed.app_error', 'emitted_at');
    const payload = heartbeat ? {} : parseEventPayload(event as HookEventName, claims.payload);
    if (payload === undefined) throw refuse('api.events.malformed.app_error', `payload of ${String(event)}`);
    // A redelivery of an applied seq is acknowledged before the jti check: at least once means
    // the same jti may come again when an answer was lost.
    const fresh = stream === undefined || !redelivered(stream, heartbeat, jti, now);
    if (fresh) {
      const until = seen.get(jti);
      if (until !== undefined && until > now) throw refuse('api.events.replayed.app_error', `jti ${jti}`);
      remember(jti, now);
      if (stream !== undefined) advance(stream);
    }
    if (fresh && !heartbeat && isKnownEvent(event)) {
      const userId = (payload as { userId?: unknown }).userId;
      if (stream?.coalesced !== undefined && stream.coalesced > 1 && typeof userId === 'string') {
        reset('coalesced', { event, count: stream.coalesced }, userId);
      }
      hooks.emit(event, payload as never, { eventId: jti, emittedAt, remote: true });
      logger.info('remote event received', { event, eventId: jti, iss: claims.iss, seq: stream?.seq });
    }
    ctx.status = 200;
    ctx.set('Content-Type', 'application/json');
    ctx.body = '{"status":"OK"}';
  };

  const receiveEvent: Middleware = async function receiveEvent(ctx, next) {
    if (ctx.method !== 'POST' || ctx.path !== path) return next();
    try {
      await accept(ctx);
    } catch (err) {
      const id = err instanceof AppError ? err.id : 'unexpected';
      logger.warn('remote event refused', { id, detail: err instanceof AppError ? err.detailed : String(err) });
      throw err instanceof AppError ? err : refuse('api.events.malformed.app_error', 'unexpected failure', err);
    }
  };
  // Getters through defineProperties: Object.assign would copy their values once.
  return Object.defineProperties(receiveEvent, {
    close: { value: () => { if (watchdog !== undefined) clearInterval(watchdog); } },
    checkHeartbeats: { value: checkHeartbeats },
    sources: { value: () => new Map(sources) },
    resets: { get: () => ({ ...resets }) },
    duplicates: { get: () => duplicates },
  }) as EventReceiver;
}
