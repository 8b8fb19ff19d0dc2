/**
 * The wire format shared by the signed-event sender and receiver: media type, JWT `typ`, claim
 * shape, defaults, and a strict parser for every hook event's payload. A receiver re-emits only
 * what {@link parseEventPayload} rebuilt from known fields, never the raw JSON.
 *
 * @example
 * ```ts
 * import { parseEventPayload, isKnownEvent } from 'mattermost-pat/events';
 * isKnownEvent('token.revoked'); // true
 * parseEventPayload('user.deactivated', { userId: 'u'.repeat(26), extra: 1 }); // { userId: 'uuu…' }
 * parseEventPayload('user.deactivated', { userId: 42 }); // undefined
 * ```
 */
import * as v from 'valibot';
import type { CacheResetReason, HookEventName, HookEvents } from '../hooks/hook-bus.js';
import { isValidId } from '../util/ids.js';

/** Body media type of a delivery: the compact JWS itself, `application/jose` (RFC 7515 §9.2.1). */
export const EVENT_MEDIA_TYPE = 'application/jose';
/** Explicit JWT `typ` header (RFC 8725 §3.11): an event token is never mistaken for another JWT. */
export const EVENT_JWT_TYPE = 'mattermost-pat-event+jwt';
/** Default receiver path. */
export const DEFAULT_EVENT_PATH = '/mattermost-pat/events';
/** Default `iss` claim. */
export const DEFAULT_EVENT_ISSUER = 'mattermost-pat';
/** Lifetime of a signed event (`exp - iat`), in seconds. */
export const EVENT_TOKEN_TTL_SECONDS = 300;
/** Shortest HS256 secret accepted (RFC 7518 §3.2: a key at least as long as the hash). */
export const MIN_HS256_SECRET_BYTES = 32;

/**
 * Event name of a heartbeat: a signed event that carries no hook event, only the stream claims
 * ({@link StreamClaims}: `seq` = `prev` = the last event the sender knows this receiver has).
 * It is sent when a subscriber has nothing pending, and is never re-emitted on a bus.
 */
export const HEARTBEAT_EVENT = 'heartbeat';

/**
 * Stream claims (all or none; senders of this version always send them): they make a lost event
 * visible. A receiver keeps, per `src`, the `boot` and the last `seq` it applied; an event whose
 * `prev` is not that `seq`, or that comes with another `boot`, means events may be missing, and
 * the receiver drops its caches (`cache.reset`). An event with `seq` at or below the last one is a
 * redelivery (at least once) and is acknowledged without being applied again.
 */
export interface StreamClaims {
  /** Stable id of the sending source (kept with its outbox, so it survives restarts). */
  src: string;
  /** Id of the source's current process start: a new one means "I restarted". */
  boot: string;
  /** The event's sequence number in the source's outbox: increasing, never reused. */
  seq: number;
  /**
   * The `seq` of the previous event of this receiver's stream (0 before the first). Events a
   * source coalesced away are skipped without a gap; events it had to drop make `prev` name
   * the last dropped one, which the receiver sees as a gap.
   */
  prev: number;
  /** How many events of the same kind and user this one stands for (present when > 1). */
  coalesced?: number;
}

/** Claims of a signed event (the JWS payload). */
export interface EventClaims<E extends HookEventName = HookEventName> extends Partial<StreamClaims> {
  iss: string;
  /** Signing time, seconds since epoch. */
  iat: number;
  /** `iat` + {@link EVENT_TOKEN_TTL_SECONDS}. */
  exp: number;
  /** The event id (`HookEventMeta.eventId`): replay key. */
  jti: string;
  event: E;
  payload: HookEvents[E];
  /** `HookEventMeta.emittedAt`, ms since epoch on the emitting process. */
  emitted_at: number;
}

/** A 26-char Mattermost id (`model.IsValidId`). */
const Id = v.custom<string>(isValidId, 'must be a Mattermost id');

const MAX_CONFIG_KEYS = 256;
const MAX_STRING = 1024;
const RESET_REASONS = ['gap', 'boot', 'source', 'heartbeat', 'coalesced', 'reset'] as const satisfies readonly CacheResetReason[];

/** A payload object: only the declared fields are kept (`v.object` drops the rest). */
const TokenEvent = v.object({ tokenId: Id, userId: Id });
const UserEvent = v.object({ userId: Id });

/**
 * The payload schema of every hook event. A received payload is rebuilt from its schema's
 * output, so an unknown field never reaches a handler and a mistyped one drops the event.
 */
const PAYLOADS: { [E in HookEventName]: v.GenericSchema<unknown, HookEvents[E]> } = {
  'token.created': TokenEvent,
  'token.revoked': TokenEvent,
  'token.disabled': TokenEvent,
  'token.enabled': TokenEvent,
  'token.rotated': TokenEvent,
  'user.deactivated': UserEvent,
  'user.activated': UserEvent,
  'user.roles_changed': v.object({ userId: Id, roles: v.pipe(v.string(), v.maxLength(MAX_STRING)) }),
  'session.revoked': v.object({ userId: Id, sessionId: Id }),
  'config.changed': v.object({ keys: v.pipe(v.array(v.pipe(v.string(), v.maxLength(MAX_STRING))), v.maxLength(MAX_CONFIG_KEYS)) }),
  'cache.reset': v.object({ reason: v.picklist(RESET_REASONS), userId: v.optional(Id) }),
};

const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * The stream claims of an event, checked: `undefined` when the event has none (a sender before
 * sequence numbers), `'malformed'` when they are partial or of the wrong type.
 *
 * @example
 * ```ts
 * parseStreamClaims({ src: newId(), boot: newId(), seq: 8, prev: 7 }); // { src, boot, seq: 8, prev: 7 }
 * parseStreamClaims({ seq: 8 }); // 'malformed'
 * parseStreamClaims({}); // undefined
 * ```
 */
export function parseStreamClaims(claims: Record<string, unknown>): StreamClaims | 'malformed' | undefined {
  const { src, boot, seq, prev, coalesced } = claims;
  if (src === undefined && boot === undefined && seq === undefined && prev === undefined && coalesced === undefined) return undefined;
  if (!isValidId(src) || !isValidId(boot) || !isSeq(seq) || !isSeq(prev) || prev > seq) return 'malformed';
  if (coalesced === undefined) return { src, boot, seq, prev };
  if (!isSeq(coalesced) || coalesced < 1) return 'malformed';
  return { src, boot, seq, prev, coalesced };
}

/** Every hook event name a receiver accepts (all of `HookEvents`). */
export const KNOWN_EVENTS: readonly HookEventName[] = Object.freeze(Object.keys(PAYLOADS) as HookEventName[]);

/**
 * True when `name` is a hook event name.
 *
 * @example
 * ```ts
 * isKnownEvent('token.revoked'); // true
 * isKnownEvent('token.exploded'); // false
 * ```
 */
export function isKnownEvent(name: unknown): name is HookEventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(PAYLOADS, name);
}

/**
 * Rebuild an event payload from untrusted JSON: only the event's own fields, with the right
 * types (ids must be 26-char Mattermost ids). Returns undefined when the shape is wrong.
 *
 * @example
 * ```ts
 * parseEventPayload('config.changed', { keys: ['ServiceSettings.EnableUserAccessTokens'] });
 * ```
 */
export function parseEventPayload<E extends HookEventName>(event: E, payload: unknown): HookEvents[E] | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const schema: v.GenericSchema<unknown, HookEvents[E]> = PAYLOADS[event];
  const result = v.safeParse(schema, payload);
  return result.success ? result.output : undefined;
}

/**
 * HS256 key bytes from a secret; throws a `TypeError` (configuration error) when too short.
 *
 * @example
 * ```ts
 * hs256Key(process.env.MMPAT_EVENT_SECRET!); // Uint8Array, ≥ 32 bytes
 * ```
 */
export function hs256Key(secret: string | Uint8Array): Uint8Array {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (bytes.byteLength < MIN_HS256_SECRET_BYTES) {
    throw new TypeError(`HS256 secret must be at least ${MIN_HS256_SECRET_BYTES} bytes`);
  }
  return bytes;
}
