/**
 * The principal cache: the one engine behind `cachedResolver()` (over any {@link TokenResolver})
 * and `remoteResolver()` (over `GET /users/me`). Keyed by the presented token, so a hit is a `Map`
 * lookup and one expiry compare: no hashing, no promise, no call.
 *
 * - **Indexes** by user, token id and session id (`principal-index.ts`), so a hook event evicts
 *   exactly what it names (the table is in `eviction-table.ts`).
 * - **Bound**: at most `maxEntries` principals and `maxEntries` refusals, the oldest inserted go
 *   first. Principals are frozen (every request of a token shares one).
 * - **Refusals** (`AuthFailure`) are cached `negativeTtlMs` (0 = never); other errors never are.
 * - **Single flight**: concurrent misses of one token share one resolution.
 * - **Epoch guard**: a resolution in flight while an eviction touching its user, token or session
 *   happens is not cached; it is resolved again (3 attempts; then answered uncached), so a stale
 *   principal is never re-inserted after the eviction.
 * - **Revalidation** (`revalidateMs` > 0): each principal is re-checked with `inner.resolve` in
 *   the background before `revalidateMs` has passed since it was inserted or last checked (at
 *   70–90 % of it, jittered), with at most `revalidateConcurrency` checks at once. The hit path
 *   never waits for one. Refused: evicted (the next request is refused). Failed otherwise (503,
 *   network): kept at most `degradedTtlMs` more, and re-checked once before then (restored if
 *   that succeeds, left to lapse if not). An entry is never
 *   served past `revalidateMs` since its last successful check, so a revoked token the cache was
 *   told nothing about is refused within `revalidateMs` (plus `degradedTtlMs` while the upstream
 *   fails). `ttlMs` still bounds an entry's life: an idle token stops costing checks when it
 *   expires.
 * - **Fail safe**: `degrade(reason)` is for transports that may have missed events (a lost
 *   websocket, a Redis gap): everything is dropped and, until `recover()`, entries and refusals
 *   live at most `degradedTtlMs`. `recover()` drops what was cached during the gap. Several
 *   transports can degrade with their own reasons; the cache recovers when all have recovered.
 *
 * @example
 * ```ts
 * const cache = createPrincipalCache(storeResolver(store), { hooks, ttlMs: 60_000, revalidateMs: 30_000 });
 * app.use(authenticate({ resolver: cache }));
 * watcher.on('disconnected', () => cache.degrade('websocket'));
 * watcher.on('resumed', () => cache.recover('websocket'));
 * ```
 */
import type { HookBus } from '../hooks/hook-bus.js';
import { AuthFailure } from '../auth/auth-failure.js';
import { silentLogger, type Logger } from '../logger.js';
import { isPromiseLike, type MaybePromise } from '../util/maybe-promise.js';
import type { Principal, ResolveContext, TokenResolver, TokenSource } from '../types.js';
import { subscribeEvictions } from './eviction-table.js';
import { PrincipalIndex, sameKeys, sessionKeyOf, tokenKeyOf, unknownOf, type IndexName } from './principal-index.js';
import { createRevalidator, unrefTimer, type SetTimer } from './revalidator.js';

export type { SetTimer } from './revalidator.js';

export interface PrincipalCacheOptions {
  /** Hook bus whose events evict (subscribed with `{ first: true }`). Without it only time evicts. */
  hooks?: HookBus;
  /** How long a principal is reused. Default 60 000 ms (Mattermost's `SessionCacheInMinutes` is 10). */
  ttlMs?: number;
  /** Principals kept at most, and refusals kept at most; the oldest inserted go first. Default 100 000. */
  maxEntries?: number;
  /** Cache refusals this long (0 = never, the default). Forgotten on any event that could revive a token. */
  negativeTtlMs?: number;
  /** Re-check every principal upstream within this many ms, in the background (0 = off, the default). */
  revalidateMs?: number;
  /** Background re-checks running at once, at most. Default 4. */
  revalidateConcurrency?: number;
  /** Longest life of an entry while degraded, or after a re-check failed for infrastructure. Default 5 000 ms. */
  degradedTtlMs?: number;
  /** Clock (ms since epoch). Default `Date.now`. */
  now?: () => number;
  /** Timer for revalidation (tests inject one that follows `now`). Default: `setTimeout`, unref'd. */
  setTimer?: SetTimer;
  /** Degrade/recover and failed re-checks (never secrets). Default: silent. */
  logger?: Logger;
}

/** A caching {@link TokenResolver} with explicit eviction, revalidation and a fail-safe mode. */
export interface PrincipalCache extends TokenResolver {
  /** Drop every principal and refusal. */
  clear(): void;
  /** Drop the entries of a token id (and, given its user, that user's entries whose token id is unknown). */
  evictToken(tokenId: string, userId?: string): void;
  /** Drop every entry of a user. */
  evictUser(userId: string): void;
  /** Drop the entries of a session (and, given its user, that user's entries whose session is unknown). */
  evictSession(sessionId: string, userId?: string): void;
  /** Drop every cached refusal. */
  forgetRefusals(): void;
  /** Events may have been missed: drop everything; entries live at most `degradedTtlMs` until `recover(reason)`. */
  degrade(reason: string): void;
  /** End the gap named `reason` (all gaps without one); when none is left, drop what was cached during it. */
  recover(reason?: string): void;
  /** True between `degrade()` and the matching `recover()`. */
  readonly degraded: boolean;
  /** Start the re-checks due by `now()` and resolve once they (and those they queue) have settled. */
  revalidateDue(): Promise<void>;
  /** Cached principals (refusals not counted). */
  readonly size: number;
  /** Cached refusals. */
  readonly refusals: number;
  /** Unsubscribe from the hook bus and stop revalidating (cached entries still serve until they expire). */
  close(): void;
}

/** One cached principal: the hit path reads `expiresAt` and returns `principal`. */
class Entry {
  constructor(public principal: Principal, public expiresAt: number) {}
}

/** An entry under revalidation: also what a background re-check needs. */
class CheckedEntry extends Entry {
  dueAt = 0;
  /** The last check failed for infrastructure; the entry lapses unless the one retry succeeds. */
  retrying = false;
  constructor(principal: Principal, expiresAt: number, readonly token: string, readonly source: TokenSource, readonly limit: number) {
    super(principal, expiresAt);
  }
}

interface Refusal {
  readonly failure: AuthFailure;
  readonly expiresAt: number;
}

const MAX_ATTEMPTS = 3;
/** Eviction marks kept while resolutions are in flight; past it, treated as a full clear. */
const MAX_MARKS = 10_000;
/** Refusals of longer keys are not cached (no resolver issues such tokens; memory stays bounded). */
const MAX_REFUSAL_KEY = 256;

/**
 * Put the principal cache in front of `inner`.
 * @example
 * ```ts
 * const cache = createPrincipalCache(inner, { hooks, negativeTtlMs: 5_000 });
 * ```
 */
export function createPrincipalCache(inner: TokenResolver, options: PrincipalCacheOptions = {}): PrincipalCache {
  const {
    hooks, ttlMs = 60_000, maxEntries = 100_000, negativeTtlMs = 0, revalidateMs = 0, revalidateConcurrency = 4,
    degradedTtlMs = 5_000, now = Date.now, setTimer = unrefTimer, logger = silentLogger,
  } = options;
  const entries = new Map<string, Entry>();
  const refusals = new Map<string, Refusal>();
  const pending = new Map<string, Promise<Principal>>();
  const index = new PrincipalIndex();
  const degradedBy = new Set<string>();

  // Epoch guard: `epoch` counts evictions; while resolutions are in flight, every eviction
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
    index.remove(token, entry.principal);
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
  const drop = (name: IndexName, key: string) => { for (const token of index.tokens(name, key)) remove(token); };
  const isStale = (start: number, p: Principal) => {
    if (clearedAt > start || (userEvictedAt.get(p.userId) ?? -1) > start) return true;
    const tokenKey = tokenKeyOf(p);
    return (tokenKey !== undefined && (tokenEvictedAt.get(tokenKey) ?? -1) > start)
      || (sessionEvictedAt.get(sessionKeyOf(p)) ?? -1) > start;
  };

  const clear = () => {
    epoch++;
    if (inflight > 0) clearedAt = refusalsForgottenAt = epoch;
    entries.clear();
    refusals.clear();
    index.clear();
  };
  const evictUser = (userId: string) => { note(userEvictedAt, userId); drop('user', userId); };
  const evictToken = (tokenId: string, userId?: string) => {
    note(tokenEvictedAt, tokenId);
    drop('token', tokenId);
    if (userId === undefined) return;
    note(tokenEvictedAt, unknownOf(userId));
    drop('token', unknownOf(userId));
  };
  const evictSession = (sessionId: string, userId?: string) => {
    note(sessionEvictedAt, sessionId);
    drop('session', sessionId);
    if (userId === undefined) return;
    note(sessionEvictedAt, unknownOf(userId));
    drop('session', unknownOf(userId));
  };
  const forgetRefusals = () => {
    epoch++;
    if (inflight > 0) refusalsForgottenAt = epoch;
    refusals.clear();
  };

  /** When an entry checked (or inserted) at `t` stops being served. */
  const expiryOf = (t: number, p: Principal, limit: number) => {
    let at = limit;
    if (p.expiresAt !== undefined && p.expiresAt > 0) at = Math.min(at, p.expiresAt + 1);
    if (revalidateMs > 0) at = Math.min(at, t + revalidateMs);
    if (degradedBy.size > 0) at = Math.min(at, t + degradedTtlMs);
    return at;
  };
  /** Refresh-ahead with jitter: at 70–90 % of `windowMs`, so the check ends before the entry does. */
  const dueAfter = (t: number, windowMs: number) => t + windowMs * (0.7 + 0.2 * Math.random());

  const insert = (token: string, principal: Principal, source: TokenSource) => {
    if (ttlMs <= 0) return;
    const t = now();
    const limit = t + ttlMs;
    const expiresAt = expiryOf(t, principal, limit);
    if (expiresAt <= t) return;
    remove(token);
    while (entries.size >= maxEntries && entries.size > 0) remove(entries.keys().next().value as string);
    // Shared by every request of this token: make sure no handler can change it for the others.
    const frozen = Object.isFrozen(principal) ? principal : Object.freeze(principal);
    if (revalidator === undefined) {
      entries.set(token, new Entry(frozen, expiresAt));
    } else {
      const entry = new CheckedEntry(frozen, expiresAt, token, source, limit);
      entries.set(token, entry);
      scheduleCheck(entry, dueAfter(t, revalidateMs));
    }
    index.add(token, frozen);
  };

  const remember = (token: string, failure: AuthFailure, start: number) => {
    if (negativeTtlMs <= 0 || refusalsForgottenAt > start || token.length > MAX_REFUSAL_KEY) return;
    const ttl = degradedBy.size > 0 ? Math.min(negativeTtlMs, degradedTtlMs) : negativeTtlMs;
    refusals.delete(token);
    if (refusals.size >= maxEntries) refusals.delete(refusals.keys().next().value as string);
    refusals.set(token, { failure, expiresAt: now() + ttl });
  };
  const refuse = (token: string, err: unknown, start: number): never => {
    if (err instanceof AuthFailure) remember(token, err, start);
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
    let answer: MaybePromise<Principal> | PromiseLike<Principal> = first;
    let began = start;
    try {
      for (let attempt = 1; ; attempt++) {
        const principal = await answer;
        if (!isStale(began, principal)) {
          insert(token, principal, context.source);
          return principal;
        }
        if (attempt >= MAX_ATTEMPTS) return principal; // still changing under us: answer, don't cache
        began = epoch;
        answer = inner.resolve(token, context);
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
      const refusal = refusals.get(token);
      if (refusal !== undefined) {
        if (refusal.expiresAt > now()) throw refusal.failure;
        refusals.delete(token);
      }
    }
    // Single flight: concurrent misses for the same token share one resolution.
    const shared = pending.get(token);
    if (shared !== undefined) return shared;
    const start = epoch;
    let result: MaybePromise<Principal> | PromiseLike<Principal>;
    try {
      result = inner.resolve(token, context);
    } catch (err) {
      return refuse(token, err, start);
    }
    if (!isPromiseLike<Principal>(result)) {
      insert(token, result, context.source);
      return result;
    }
    inflight++;
    const flight = resolveAsync(token, context, result, start).finally(() => { pending.delete(token); });
    pending.set(token, flight);
    return flight;
  };

  /** An entry that ends (its TTL) before its next check simply lapses: idle tokens cost nothing. */
  const scheduleCheck = (entry: CheckedEntry, dueAt: number) => {
    if (dueAt < entry.expiresAt) revalidator?.schedule(entry, dueAt);
  };
  const isLive = (entry: CheckedEntry) => entries.get(entry.token) === entry && entry.expiresAt > now();

  // Background re-checks (refresh-ahead). Each outcome applies only if the entry checked is still
  // the one cached: an eviction, a clear or a newer resolution during the check wins.
  const confirmed = (entry: CheckedEntry, start: number, t: number, p: Principal) => {
    if (entries.get(entry.token) !== entry) return;
    // A principal now under other ids is not patched in place; the next request resolves it anew.
    if (isStale(start, p) || !sameKeys(entry.principal, p)) { remove(entry.token); return; }
    entry.principal = Object.isFrozen(p) ? p : Object.freeze(p);
    entry.expiresAt = expiryOf(t, p, entry.limit);
    entry.retrying = false;
    if (entry.expiresAt <= now()) remove(entry.token);
    else scheduleCheck(entry, dueAfter(t, revalidateMs));
  };
  const failed = (entry: CheckedEntry, start: number, err: unknown) => {
    if (entries.get(entry.token) !== entry) return;
    if (err instanceof AuthFailure) {
      remove(entry.token);
      remember(entry.token, err, start);
      return;
    }
    const t = now();
    entry.expiresAt = Math.min(entry.expiresAt, t + degradedTtlMs);
    logger.warn('principal cache: re-check failed, entry kept at most degradedTtlMs', {
      userId: entry.principal.userId, tokenId: entry.principal.tokenId, degradedTtlMs,
      error: err instanceof Error ? err.message : String(err),
    });
    if (entry.expiresAt <= t) remove(entry.token);
    else if (!entry.retrying) {
      entry.retrying = true;
      scheduleCheck(entry, dueAfter(t, entry.expiresAt - t));
    }
  };
  const recheck = (entry: CheckedEntry): MaybePromise<void> => {
    const start = epoch;
    const t = now();
    let result: MaybePromise<Principal> | PromiseLike<Principal>;
    try {
      result = inner.resolve(entry.token, { source: entry.source });
    } catch (err) {
      failed(entry, start, err);
      return;
    }
    if (!isPromiseLike<Principal>(result)) {
      confirmed(entry, start, t, result);
      return;
    }
    inflight++;
    return Promise.resolve(result).then(
      (p) => confirmed(entry, start, t, p),
      (err: unknown) => failed(entry, start, err),
    ).finally(settle);
  };
  const revalidator = revalidateMs > 0
    ? createRevalidator<CheckedEntry>({
      now, setTimer, concurrency: Math.max(1, revalidateConcurrency), check: recheck,
      isLive, live: () => entries.size,
    })
    : undefined;

  const degrade = (reason: string) => {
    degradedBy.add(reason);
    clear();
    logger.warn('principal cache degraded: everything dropped, entries live at most degradedTtlMs until recover()', { reason, degradedTtlMs });
  };
  const recover = (reason?: string) => {
    if (degradedBy.size === 0) return;
    if (reason === undefined) degradedBy.clear();
    else degradedBy.delete(reason);
    if (degradedBy.size > 0) return;
    clear();
    logger.info('principal cache recovered: what was cached during the gap is dropped', { reason: reason ?? 'all' });
  };

  const unsubscribe = hooks === undefined ? undefined : subscribeEvictions(hooks, { clear, evictToken, evictUser, evictSession, forgetRefusals });

  return {
    resolve,
    clear,
    evictToken,
    evictUser,
    evictSession,
    forgetRefusals,
    degrade,
    recover,
    get degraded() { return degradedBy.size > 0; },
    revalidateDue: () => revalidator?.runDue() ?? Promise.resolve(),
    get size() { return entries.size; },
    get refusals() { return refusals.size; },
    close() {
      unsubscribe?.();
      revalidator?.close();
    },
  };
}
