/**
 * `cachedResolver(inner)`: an in-memory session cache in front of any {@link TokenResolver},
 * keyed by the presented token (a `Map` lookup on the hit path, no hashing), evicted by the
 * revocation hooks so that a revoked, disabled or rotated token, a deactivated user or a role
 * change takes effect on the very next request, without waiting for the TTL.
 *
 * | hook event | evicts |
 * | --- | --- |
 * | `token.revoked` / `disabled` / `enabled` / `rotated` | that token id |
 * | `user.deactivated` / `activated` / `roles_changed` | every entry of that user |
 * | `session.revoked` | entries of that session |
 * | `config.changed` | everything |
 * | `cache.reset` | everything, or every entry of its `userId` |
 *
 * A resolution in flight while an eviction touching it happens is not cached (it is resolved
 * again), so a stale principal can never be re-inserted after the eviction.
 *
 * @example
 * ```ts
 * import { createHookBus, cachedResolver, storeResolver, authenticate } from 'mattermost-pat';
 * const hooks = createHookBus();
 * const resolver = cachedResolver(storeResolver(store), { hooks, ttlMs: 60_000 });
 * app.use(authenticate({ resolver }));
 * hooks.emit('token.revoked', { tokenId, userId }); // next request with that token: 401
 * ```
 */
import type { HookBus } from '../hooks/hook-bus.js';
import { isPromiseLike, type MaybePromise } from '../util/maybe-promise.js';
import { AuthFailure } from '../auth/auth-failure.js';
import type { Principal, ResolveContext, TokenResolver } from '../types.js';

export interface CachedResolverOptions {
  /** Hook bus to subscribe to (with `{ first: true }`). Without it only the TTL evicts. */
  hooks?: HookBus;
  /** How long a principal is reused. Default 60 000 ms (Mattermost's `SessionCacheInMinutes` is 10). */
  ttlMs?: number;
  /** Entries kept at most; the oldest inserted go first. Default 100 000. */
  maxEntries?: number;
  /** Cache refusals this long (0 = never, the default). Cleared by any event that could revive a token. */
  negativeTtlMs?: number;
  /** Clock (ms since epoch). Default `Date.now`. */
  now?: () => number;
}

/** A caching resolver with explicit eviction. */
export interface CachedResolver extends TokenResolver {
  /** Drop everything. */
  clear(): void;
  /** Drop the entries of a token id. */
  evictToken(tokenId: string): void;
  /** Drop every entry of a user. */
  evictUser(userId: string): void;
  /** Drop the entries of a session. */
  evictSession(sessionId: string): void;
  /** Number of cached principals (refusals not counted). */
  readonly size: number;
  /** Unsubscribe from the hook bus. */
  close(): void;
}

interface Entry {
  readonly principal: Principal;
  readonly expiresAt: number;
}

interface Negative {
  readonly failure: AuthFailure;
  readonly expiresAt: number;
}

const MAX_ATTEMPTS = 3;
const MAX_MARKS = 10_000;

function addTo(index: Map<string, Set<string>>, key: string | undefined, token: string) {
  if (key === undefined) return;
  let set = index.get(key);
  if (set === undefined) index.set(key, (set = new Set()));
  set.add(token);
}

function removeFrom(index: Map<string, Set<string>>, key: string | undefined, token: string) {
  if (key === undefined) return;
  const set = index.get(key);
  if (set === undefined) return;
  set.delete(token);
  if (set.size === 0) index.delete(key);
}

/**
 * Put a session cache in front of `inner`.
 * @example
 * ```ts
 * const resolver = cachedResolver(storeResolver(store), { hooks, ttlMs: 10 * 60_000 });
 * ```
 */
export function cachedResolver(inner: TokenResolver, options: CachedResolverOptions = {}): CachedResolver {
  const { hooks, ttlMs = 60_000, maxEntries = 100_000, negativeTtlMs = 0, now = Date.now } = options;
  const entries = new Map<string, Entry>();
  const pendingByToken = new Map<string, Promise<Principal>>();
  const negatives = new Map<string, Negative>();
  const byUser = new Map<string, Set<string>>();
  const byTokenId = new Map<string, Set<string>>();
  const bySession = new Map<string, Set<string>>();

  // Race protection: `epoch` counts evictions; while resolutions are in flight, every eviction
  // records the epoch at which it happened for its key, and a resolution that started before it
  // does not insert its (possibly stale) result.
  let epoch = 0;
  let inflight = 0;
  let clearedAt = -1;
  let refusalsForgottenAt = -1;
  const userEvictedAt = new Map<string, number>();
  const tokenEvictedAt = new Map<string, number>();
  const sessionEvictedAt = new Map<string, number>();

  const remove = (token: string) => {
    const entry = entries.get(token);
    if (entry === undefined) return;
    entries.delete(token);
    removeFrom(byUser, entry.principal.userId, token);
    removeFrom(byTokenId, entry.principal.tokenId, token);
    removeFrom(bySession, entry.principal.sessionId, token);
  };

  const note = (marks: Map<string, number>, key: string) => {
    epoch++;
    if (inflight === 0) return;
    // Bounded even if some resolution never settles: past the cap, treat it as a global clear.
    if (marks.size >= MAX_MARKS) {
      clearedAt = epoch;
      marks.clear();
    } else {
      marks.set(key, epoch);
    }
  };

  const dropIndexed = (index: Map<string, Set<string>>, key: string) => {
    const tokens = index.get(key);
    if (tokens === undefined) return;
    for (const token of [...tokens]) remove(token);
  };

  const clear = () => {
    epoch++;
    if (inflight > 0) clearedAt = refusalsForgottenAt = epoch;
    entries.clear();
    negatives.clear();
    byUser.clear();
    byTokenId.clear();
    bySession.clear();
  };
  const evictToken = (tokenId: string) => { note(tokenEvictedAt, tokenId); dropIndexed(byTokenId, tokenId); };
  const evictUser = (userId: string) => { note(userEvictedAt, userId); dropIndexed(byUser, userId); };
  const evictSession = (sessionId: string) => { note(sessionEvictedAt, sessionId); dropIndexed(bySession, sessionId); };
  /** Events that may make a refused token valid again. */
  const forgetRefusals = () => {
    epoch++;
    if (inflight > 0) refusalsForgottenAt = epoch;
    negatives.clear();
  };

  const isStale = (start: number, p: Principal) => clearedAt > start
    || (userEvictedAt.get(p.userId) ?? -1) > start
    || (p.tokenId !== undefined && (tokenEvictedAt.get(p.tokenId) ?? -1) > start)
    || (sessionEvictedAt.get(p.sessionId) ?? -1) > start;

  const insert = (token: string, principal: Principal) => {
    const t = now();
    let expiresAt = t + ttlMs;
    if (principal.expiresAt !== undefined && principal.expiresAt > 0) expiresAt = Math.min(expiresAt, principal.expiresAt + 1);
    if (expiresAt <= t || ttlMs <= 0) return;
    if (entries.has(token)) remove(token);
    while (entries.size >= maxEntries && entries.size > 0) {
      const oldest = entries.keys().next().value as string;
      remove(oldest);
    }
    // Shared by every request of this token: make sure no handler can change it for the others.
    entries.set(token, { principal: Object.isFrozen(principal) ? principal : Object.freeze(principal), expiresAt });
    addTo(byUser, principal.userId, token);
    addTo(byTokenId, principal.tokenId, token);
    addTo(bySession, principal.sessionId, token);
  };

  const refuse = (token: string, err: unknown, start: number): never => {
    if (negativeTtlMs > 0 && err instanceof AuthFailure && refusalsForgottenAt <= start) {
      if (negatives.size >= maxEntries) negatives.delete(negatives.keys().next().value as string);
      negatives.set(token, { failure: err, expiresAt: now() + negativeTtlMs });
    }
    throw err;
  };

  const settle = () => {
    inflight--;
    if (inflight === 0) {
      userEvictedAt.clear();
      tokenEvictedAt.clear();
      sessionEvictedAt.clear();
      clearedAt = -1;
      refusalsForgottenAt = -1;
    }
  };

  const resolveAsync = async (token: string, context: ResolveContext, first: PromiseLike<Principal>, start: number): Promise<Principal> => {
    let pending: MaybePromise<Principal> | PromiseLike<Principal> = first;
    let began = start;
    try {
      for (let attempt = 1; ; attempt++) {
        const principal = await pending;
        if (!isStale(began, principal)) {
          insert(token, principal);
          return principal;
        }
        if (attempt >= MAX_ATTEMPTS) return principal; // still changing under us: answer, don't cache
        began = epoch;
        pending = inner.resolve(token, context);
      }
    } catch (err) {
      return refuse(token, err, began);
    } finally {
      settle();
    }
  };

  const resolve = (token: string, context: ResolveContext): MaybePromise<Principal> => {
    const hit = entries.get(token);
    if (hit !== undefined) {
      if (hit.expiresAt > now()) return hit.principal;
      remove(token);
    }
    if (negativeTtlMs > 0) {
      const refusal = negatives.get(token);
      if (refusal !== undefined) {
        if (refusal.expiresAt > now()) throw refusal.failure;
        negatives.delete(token);
      }
    }
    // Single flight: concurrent misses for the same token share one resolution.
    const pending = pendingByToken.get(token);
    if (pending !== undefined) return pending;
    const start = epoch;
    let result: MaybePromise<Principal> | PromiseLike<Principal>;
    try {
      result = inner.resolve(token, context);
    } catch (err) {
      return refuse(token, err, start);
    }
    if (!isPromiseLike<Principal>(result)) {
      insert(token, result);
      return result;
    }
    inflight++;
    const shared = resolveAsync(token, context, result, start).finally(() => { pendingByToken.delete(token); });
    pendingByToken.set(token, shared);
    return shared;
  };

  const unsubscribe: Array<() => void> = [];
  if (hooks !== undefined) {
    const first = { first: true };
    const onToken = ({ tokenId }: { tokenId: string }) => { evictToken(tokenId); forgetRefusals(); };
    const onUser = ({ userId }: { userId: string }) => { evictUser(userId); forgetRefusals(); };
    unsubscribe.push(
      hooks.on('token.created', () => forgetRefusals(), first),
      hooks.on('token.revoked', onToken, first),
      hooks.on('token.disabled', onToken, first),
      hooks.on('token.enabled', onToken, first),
      hooks.on('token.rotated', onToken, first),
      hooks.on('user.deactivated', onUser, first),
      hooks.on('user.activated', onUser, first),
      hooks.on('user.roles_changed', onUser, first),
      hooks.on('session.revoked', ({ sessionId }) => evictSession(sessionId), first),
      hooks.on('config.changed', () => clear(), first),
      hooks.on('cache.reset', ({ userId }) => { if (userId === undefined) clear(); else onUser({ userId }); }, first),
    );
  }

  return {
    resolve,
    clear,
    evictToken,
    evictUser,
    evictSession,
    get size() { return entries.size; },
    close() { for (const off of unsubscribe.splice(0)) off(); },
  };
}
