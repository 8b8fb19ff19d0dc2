/**
 * Turns the events a Mattermost server sends an admin's websocket (WebSocket API v4) into hook-bus events.
 * Mattermost publishes nothing about tokens, so this is all a real server tells an app:
 *
 * | websocket event | hook event |
 * | --- | --- |
 * | `user_updated`, `data.user.delete_at` > 0 | `user.deactivated` |
 * | `user_updated`, `delete_at` 0, the user last seen deactivated | `user.activated` |
 * | `user_updated`, `roles` differ from the ones last seen | `user.roles_changed` |
 * | `user_updated`, an active user not seen before | `cache.reset` of that user (its roles may have changed) |
 * | `user_role_updated` (only the watcher's own user gets it) | `user.roles_changed` |
 * | `user_activation_status_change` (no payload) with no `user_updated` telling which user within `graceMs` | `cache.reset` (everything) |
 * | `config_changed`, `EnableUserAccessTokens` "false" or changed | `config.changed` (clears every cached principal, bots' too) |
 *
 * `user_activation_status_change` goes to every connection with an empty payload; an admin also
 * gets `user_updated` with the full user for the same change, which says who. When that does not
 * come (the changed user is the watcher's own, whose copy Mattermost omits to admins), the
 * translator cannot tell whose tokens died and resets the whole cache: fail safe.
 *
 * @example
 * ```ts
 * const translate = createEventTranslator({ hooks });
 * translate({ event: 'user_updated', data: { user: { id, delete_at: 1700000000000, roles: 'system_user' } } });
 * // hooks saw user.deactivated { userId: id }
 * ```
 */
import type { HookBus } from '../hooks/hook-bus.js';

/** One websocket event frame as Mattermost sends it. */
export interface WebSocketEventFrame {
  readonly event: string;
  readonly data?: unknown;
  readonly seq?: number;
}

export interface EventTranslatorOptions {
  hooks: HookBus;
  /** How long a bare `user_activation_status_change` waits for the `user_updated` naming the user. Default 2 000 ms. */
  graceMs?: number;
  /** Users whose last state is remembered (deactivated, roles), the oldest forgotten first. Default 100 000. */
  maxUsers?: number;
  /** Clock. Default `Date.now`. */
  now?: () => number;
  /** Timer for the grace wait (tests). Default `setTimeout`, unref'd. */
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}

/** A translator: call it with each event frame; `close()` cancels a pending grace wait. */
export interface EventTranslator {
  (frame: WebSocketEventFrame): void;
  close(): void;
}

interface UserState { deactivated: boolean; roles: string }

const defaultTimer = (fn: () => void, ms: number) => {
  const t = setTimeout(fn, ms);
  t.unref?.();
  return { cancel: () => clearTimeout(t) };
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Create a translator emitting on `hooks`. */
export function createEventTranslator(options: EventTranslatorOptions): EventTranslator {
  const { hooks, graceMs = 2_000, maxUsers = 100_000, now = Date.now, setTimer = defaultTimer } = options;
  const users = new Map<string, UserState>();
  let lastStatusChangeSeenAt = -Infinity;
  let pendingTrigger: { cancel(): void } | undefined;
  let triggerAt = -Infinity;
  let tokensEnabled: string | undefined;

  const remember = (userId: string, state: UserState) => {
    users.delete(userId);
    if (users.size >= maxUsers) users.delete(users.keys().next().value as string);
    users.set(userId, state);
  };

  const statusChangeSeen = () => {
    lastStatusChangeSeenAt = now();
    if (pendingTrigger !== undefined && lastStatusChangeSeenAt - triggerAt <= graceMs) {
      pendingTrigger.cancel();
      pendingTrigger = undefined;
    }
  };

  const userUpdated = (data: unknown) => {
    const user = isRecord(data) && isRecord(data.user) ? data.user : undefined;
    if (user === undefined || typeof user.id !== 'string' || user.id === '') return;
    const userId = user.id;
    const deactivated = typeof user.delete_at === 'number' && user.delete_at > 0;
    const roles = typeof user.roles === 'string' ? user.roles : '';
    const before = users.get(userId);
    remember(userId, { deactivated, roles });
    if (deactivated) {
      if (before?.deactivated !== true) statusChangeSeen();
      hooks.emit('user.deactivated', { userId });
      return;
    }
    if (before?.deactivated === true) {
      statusChangeSeen();
      hooks.emit('user.activated', { userId });
      return;
    }
    if (before === undefined) {
      // First sight of this user: its roles may have changed (a role change also sends
      // user_updated to admins), and we cannot tell. Forget its cached principals.
      hooks.emit('cache.reset', { reason: 'reset', userId });
      return;
    }
    if (before.roles !== roles && roles !== '') hooks.emit('user.roles_changed', { userId, roles });
  };

  const activationTrigger = () => {
    triggerAt = now();
    if (triggerAt - lastStatusChangeSeenAt <= graceMs) return; // the user_updated came first
    pendingTrigger?.cancel();
    pendingTrigger = setTimer(() => {
      pendingTrigger = undefined;
      hooks.emit('cache.reset', { reason: 'reset' });
    }, graceMs);
  };

  const configChanged = (data: unknown) => {
    const config = isRecord(data) && isRecord(data.config) ? data.config : undefined;
    const value = config?.EnableUserAccessTokens;
    if (typeof value !== 'string') return;
    const before = tokensEnabled;
    tokensEnabled = value;
    if (value === 'false' || (before !== undefined && before !== value)) {
      hooks.emit('config.changed', { keys: ['ServiceSettings.EnableUserAccessTokens'] });
    }
  };

  const translate = ((frame: WebSocketEventFrame) => {
    switch (frame.event) {
      case 'user_updated': userUpdated(frame.data); break;
      case 'user_activation_status_change': activationTrigger(); break;
      case 'user_role_updated': {
        const d = frame.data;
        if (isRecord(d) && typeof d.user_id === 'string' && typeof d.roles === 'string') {
          const before = users.get(d.user_id);
          remember(d.user_id, { deactivated: before?.deactivated ?? false, roles: d.roles });
          hooks.emit('user.roles_changed', { userId: d.user_id, roles: d.roles });
        }
        break;
      }
      case 'config_changed': configChanged(frame.data); break;
      default: break;
    }
  }) as EventTranslator;
  translate.close = () => { pendingTrigger?.cancel(); pendingTrigger = undefined; };
  return translate;
}
