/**
 * Revocation hooks: a typed event bus. A repository change (token revoked, disabled, enabled,
 * user deactivated or reactivated, roles changed, config changed) emits one event; the session
 * cache subscribes first (`{ first: true }`) so a revoked token is refused on the very next
 * request; application hooks run after it. A hook that throws, rejects or hangs is logged and
 * isolated: `emit()` never throws and never waits for a hook.
 *
 * @example
 * ```ts
 * import { createHookBus } from 'mattermost-pat';
 * const hooks = createHookBus();
 * const off = hooks.on('token.revoked', ({ tokenId, userId }) => closeSocketsOf(userId, tokenId));
 * hooks.emit('token.revoked', { tokenId, userId });
 * off();
 * ```
 */
import { newId } from '../util/ids.js';
import { silentLogger, type Logger } from '../logger.js';

/** Payload of every hook event, by event name. */
export interface HookEvents {
  'token.created': { tokenId: string; userId: string };
  'token.revoked': { tokenId: string; userId: string };
  'token.disabled': { tokenId: string; userId: string };
  'token.enabled': { tokenId: string; userId: string };
  /** A token got a new secret (`POST /users/tokens/rotate`, newest servers): the old secret is dead. */
  'token.rotated': { tokenId: string; userId: string };
  'user.deactivated': { userId: string };
  'user.activated': { userId: string };
  'user.roles_changed': { userId: string; roles: string };
  /** A session was revoked (logout, session revoke): tokens of that session must be re-resolved. */
  'session.revoked': { userId: string; sessionId: string };
  'config.changed': { keys: string[] };
  /**
   * Fail safe: a cache must forget what it holds (only `userId`'s entries when given), so every
   * token is validated again. The signed-event receiver emits it when it may have missed events
   * (a sequence gap, a restarted source, no heartbeat) and for coalesced per-user events.
   */
  'cache.reset': { reason: CacheResetReason; userId?: string };
}

/** Why a cache was told to forget: see `eventReceiver`. */
export type CacheResetReason = 'gap' | 'boot' | 'source' | 'heartbeat' | 'coalesced' | 'reset';

export type HookEventName = keyof HookEvents;

/** Metadata the bus adds to every event (used by the cross-process sender for replay protection). */
export interface HookEventMeta {
  /** Unique event id (26-char Mattermost id). */
  readonly eventId: string;
  /** ms since epoch when emitted. */
  readonly emittedAt: number;
  /** True when the event arrived from another process through the signed-event receiver. */
  readonly remote: boolean;
}

export type HookHandler<E extends HookEventName> = (payload: HookEvents[E], meta: HookEventMeta) => void | Promise<void>;

/** Handler receiving every event (used by the signed-event sender). */
export type AnyHookHandler = <E extends HookEventName>(event: E, payload: HookEvents[E], meta: HookEventMeta) => void | Promise<void>;

export interface HookBusOptions {
  logger?: Logger;
  /** A hook still pending after this many ms is logged as hung (it is never awaited). Default 5000. */
  hangTimeoutMs?: number;
}

export interface HookBus {
  /** Subscribe. `first: true` puts the handler before all others (caches). Returns an unsubscribe function. */
  on<E extends HookEventName>(event: E, handler: HookHandler<E>, options?: { first?: boolean }): () => void;
  /** Subscribe to every event. */
  onAny(handler: AnyHookHandler, options?: { first?: boolean }): () => void;
  /**
   * Emit an event. Synchronous handlers have run when this returns; asynchronous ones run on
   * and are watched (rejection or hang is logged). Never throws.
   */
  emit<E extends HookEventName>(event: E, payload: HookEvents[E], meta?: Partial<HookEventMeta>): HookEventMeta;
}

type Entry = { kind: 'one'; event: HookEventName; fn: (p: unknown, m: HookEventMeta) => unknown }
  | { kind: 'any'; fn: (e: HookEventName, p: unknown, m: HookEventMeta) => unknown };

/** Create a hook bus. */
export function createHookBus(options: HookBusOptions = {}): HookBus {
  const { logger = silentLogger, hangTimeoutMs = 5000 } = options;
  const entries: Entry[] = [];

  const add = (entry: Entry, first: boolean | undefined) => {
    if (first) entries.unshift(entry); else entries.push(entry);
    return () => {
      const i = entries.indexOf(entry);
      if (i >= 0) entries.splice(i, 1);
    };
  };

  const watch = (result: unknown, event: HookEventName) => {
    if (!result || typeof (result as PromiseLike<unknown>).then !== 'function') return;
    let settled = false;
    const timer = setTimeout(() => {
      if (!settled) logger.warn('hook still pending, not awaited', { event, timeoutMs: hangTimeoutMs });
    }, hangTimeoutMs);
    timer.unref?.();
    Promise.resolve(result).then(
      () => { settled = true; clearTimeout(timer); },
      (err: unknown) => {
        settled = true;
        clearTimeout(timer);
        logger.error('hook failed', { event, error: err instanceof Error ? err.message : String(err) });
      },
    );
  };

  return {
    on(event, handler, opts) {
      return add({ kind: 'one', event, fn: handler as (p: unknown, m: HookEventMeta) => unknown }, opts?.first);
    },
    onAny(handler, opts) {
      return add({ kind: 'any', fn: handler as (e: HookEventName, p: unknown, m: HookEventMeta) => unknown }, opts?.first);
    },
    emit(event, payload, metaIn) {
      const meta: HookEventMeta = {
        eventId: metaIn?.eventId ?? newId(),
        emittedAt: metaIn?.emittedAt ?? Date.now(),
        remote: metaIn?.remote ?? false,
      };
      for (const entry of [...entries]) {
        if (entry.kind === 'one' && entry.event !== event) continue;
        try {
          const result = entry.kind === 'one' ? entry.fn(payload, meta) : entry.fn(event, payload, meta);
          watch(result, event);
        } catch (err) {
          logger.error('hook threw', { event, error: err instanceof Error ? err.message : String(err) });
        }
      }
      return meta;
    },
  };
}
