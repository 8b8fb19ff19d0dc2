/**
 * `mattermost-pat/events`: hook events signed as JWTs (jose) and sent between processes, so a
 * revocation in one process evicts the caches of the others. A separate entry so that apps not
 * using it never load `jose`.
 */
export { createEventSender, type EventSender, type EventSenderOptions, type EventSigning } from './event-sender.js';
export {
  eventReceiver, type EventReceiver, type EventReceiverOptions, type EventVerification, type SourceState,
} from './event-receiver.js';
export {
  BULK_EVENTS, createOutbox, memoryOutboxStorage, type Outbox, type OutboxCursor, type OutboxEntry, type OutboxOptions,
  type OutboxState, type OutboxStorage, type OutboxWrite,
} from './event-outbox.js';
export {
  generateEventKeys, jwksHandler, publicJwks, type EventKeys, type JwksHandlerOptions, type PublicKeySource,
} from './event-keys.js';
export {
  DEFAULT_EVENT_ISSUER, DEFAULT_EVENT_PATH, EVENT_JWT_TYPE, EVENT_MEDIA_TYPE, EVENT_TOKEN_TTL_SECONDS, HEARTBEAT_EVENT,
  isKnownEvent, KNOWN_EVENTS, MIN_HS256_SECRET_BYTES, parseEventPayload, parseStreamClaims, type EventClaims,
  type StreamClaims,
} from './event-format.js';
