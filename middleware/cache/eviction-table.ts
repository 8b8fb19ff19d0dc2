/**
 * Which hook event evicts what from the principal cache: one table, {@link EVICTIONS}, from which
 * the cache's subscriptions are generated ({@link subscribeEvictions}). The same table, in words:
 *
 * | event | evicts | forgets cached refusals |
 * | --- | --- | --- |
 * | `token.created` | nothing | yes |
 * | `token.revoked` | the token | no |
 * | `token.disabled` | the token | no |
 * | `token.enabled` | the token | yes |
 * | `token.rotated` | the token | no |
 * | `user.deactivated` | the user | no |
 * | `user.activated` | the user | yes |
 * | `user.roles_changed` | the user | yes |
 * | `session.revoked` | the session | no |
 * | `config.changed` | everything | yes |
 * | `cache.reset` | everything, or the user it names | yes |
 *
 * - **the token**: the entries of that token id, and the user's entries whose token id is not
 *   known (a principal from `GET /users/me`, which does not reveal it).
 * - **the user**: every entry of that user.
 * - **the session**: the entries of that session id, and the user's entries whose session is not
 *   known (`sessionId: ''`).
 * - **everything, or the user it names**: `cache.reset` (a transport's fail-safe signal, e.g. the
 *   signed-event receiver after a gap) clears the cache, or only that user's entries with a
 *   `userId`.
 * - **forgets cached refusals**: the event may make a refused token valid again (re-enabled,
 *   reactivated, a new role, a new token), so every cached refusal goes.
 *
 * Every event of `HookEvents` must have a row (the type checker says so), and an event can only
 * name a target whose ids its payload carries. `test/middleware/cache/eviction-table.test.ts`
 * checks that the table above says what the code does.
 *
 * @example
 * ```ts
 * EVICTIONS['token.revoked']; // { evicts: 'token', forgetsRefusals: false }
 * ```
 */
import type { HookBus, HookEventName, HookEvents } from '../hooks/hook-bus.js';

/** What one event evicts. */
export type EvictionTarget = 'nothing' | 'token' | 'user' | 'session' | 'everything' | 'userOrEverything';

/** The payload fields each target reads. */
interface TargetPayload {
  nothing: unknown;
  token: { tokenId: string; userId: string };
  user: { userId: string };
  session: { sessionId: string; userId: string };
  everything: unknown;
  userOrEverything: { userId?: string };
}

/** The targets an event with payload `P` can name (those whose ids `P` carries). */
type TargetsFor<P> = { [T in EvictionTarget]: P extends TargetPayload[T] ? T : never }[EvictionTarget];

/** One row of the table. */
export interface EvictionRule<P = unknown> {
  readonly evicts: TargetsFor<P>;
  readonly forgetsRefusals: boolean;
}

type EvictionTable = { readonly [E in HookEventName]: EvictionRule<HookEvents[E]> };

/** The table: hook event → what the principal cache evicts. */
export const EVICTIONS = {
  'token.created': { evicts: 'nothing', forgetsRefusals: true },
  'token.revoked': { evicts: 'token', forgetsRefusals: false },
  'token.disabled': { evicts: 'token', forgetsRefusals: false },
  'token.enabled': { evicts: 'token', forgetsRefusals: true },
  'token.rotated': { evicts: 'token', forgetsRefusals: false },
  'user.deactivated': { evicts: 'user', forgetsRefusals: false },
  'user.activated': { evicts: 'user', forgetsRefusals: true },
  'user.roles_changed': { evicts: 'user', forgetsRefusals: true },
  'session.revoked': { evicts: 'session', forgetsRefusals: false },
  'config.changed': { evicts: 'everything', forgetsRefusals: true },
  'cache.reset': { evicts: 'userOrEverything', forgetsRefusals: true },
} as const satisfies EvictionTable;

/** What the table acts on: the principal cache's eviction methods. */
export interface Evictable {
  clear(): void;
  evictToken(tokenId: string, userId?: string): void;
  evictUser(userId: string): void;
  evictSession(sessionId: string, userId?: string): void;
  forgetRefusals(): void;
}

function apply(rule: { readonly evicts: EvictionTarget; readonly forgetsRefusals: boolean }, payload: unknown, cache: Evictable): void {
  // The table's type guarantees that the payload carries the ids its target reads.
  switch (rule.evicts) {
    case 'token': {
      const { tokenId, userId } = payload as TargetPayload['token'];
      cache.evictToken(tokenId, userId);
      break;
    }
    case 'user':
      cache.evictUser((payload as TargetPayload['user']).userId);
      break;
    case 'session': {
      const { sessionId, userId } = payload as TargetPayload['session'];
      cache.evictSession(sessionId, userId);
      break;
    }
    case 'everything':
      cache.clear();
      break;
    case 'userOrEverything': {
      const { userId } = payload as TargetPayload['userOrEverything'];
      if (userId === undefined) cache.clear();
      else cache.evictUser(userId);
      break;
    }
    case 'nothing':
      break;
  }
  if (rule.forgetsRefusals) cache.forgetRefusals();
}

/**
 * Subscribe `cache` to every event of the table, before any other handler (`{ first: true }`), so
 * an application hook already sees the cache evicted. Returns the unsubscribe function.
 *
 * @example
 * ```ts
 * const off = subscribeEvictions(hooks, cache);
 * hooks.emit('token.revoked', { tokenId, userId }); // cache.evictToken(tokenId, userId)
 * off();
 * ```
 */
export function subscribeEvictions(hooks: HookBus, cache: Evictable): () => void {
  const events = Object.keys(EVICTIONS) as HookEventName[];
  const offs = events.map((event) => hooks.on(event, (payload) => apply(EVICTIONS[event], payload, cache), { first: true }));
  return () => { for (const off of offs.splice(0)) off(); };
}
