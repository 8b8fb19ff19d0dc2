/**
 * `sharedPrincipalCache(inner)`: a second-level principal cache in Redis, shared by a fleet, so
 * that N instances make one upstream call per token per TTL instead of N. It is a
 * {@link TokenResolver} meant to sit *behind* each instance's in-process principal cache (a hit
 * there costs no network round trip; this one is asked only on a miss).
 *
 * - **Keys**: `{prefix}:p:{gen}:{sha256(token)}` holds the principal's JSON with a TTL (`PX`).
 *   The token itself never reaches Redis. `{prefix}:u:{gen}:{userId}` is the set of a user's keys
 *   (for eviction); `{prefix}:gen` the generation: bumping it drops every entry at once.
 * - **Single flight across instances**: on a miss, `SET {prefix}:l:{gen}:{digest} NX PX leaseMs`.
 *   The instance that gets the lease asks `inner` and writes the entry; the others poll the entry
 *   every `pollMs` for at most `waitMs`, and ask `inner` themselves once the lease is gone without
 *   an entry (a refusal is not shared) or the wait is over.
 * - **Evictions**: subscribed to the hook bus (local events and those the Redis bridge brings):
 *   a token, session or user event deletes every entry of that user (a `/users/me` principal has
 *   no token id); `config.changed` and a `cache.reset` without user bump the generation. Every
 *   instance does it on every event it sees (idempotent). A resolution in flight while its user
 *   was evicted (or everything was) is answered but not written, and a write whose generation is
 *   no longer current is refused by the script, so a stale principal is never stored after the
 *   eviction that should have removed it.
 * - **Failures**: every Redis command has a deadline (`commandTimeoutMs`) and the connection no
 *   offline queue (until `ready()`, and while disconnected, a miss goes straight to `inner`), so
 *   a slow or absent Redis costs a miss at most that much, then `inner` answers
 *   (never a 5xx because Redis is down). `degradedTtlMs` is used instead of `ttlMs` while
 *   `isDegraded()` says the fleet may be missing events.
 *
 * @example
 * ```ts
 * const shared = sharedPrincipalCache(usersMe, { redis: 'redis://127.0.0.1:6379', hooks, ttlMs: 60_000 });
 * const resolver = cachedResolver(shared, { hooks, ttlMs: 60_000 }); // L1 in front
 * ```
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { HookBus } from '../hooks/hook-bus.js';
import { silentLogger, type Logger } from '../logger.js';
import { isPromiseLike } from '../util/maybe-promise.js';
import { sha256Hex } from '../util/digest.js';
import { newId } from '../util/ids.js';
import type { Principal, ResolveContext, TokenResolver } from '../types.js';

export interface SharedPrincipalCacheOptions {
  redis: string;
  redisOptions?: RedisOptions;
  /** Hook bus whose events delete entries. */
  hooks?: HookBus;
  /** Key prefix. Default `mattermost-pat:l2`. */
  prefix?: string;
  /** Life of an entry. Default 60 000 ms. */
  ttlMs?: number;
  /** Life of an entry written while `isDegraded()`. Default 5 000 ms. */
  degradedTtlMs?: number;
  isDegraded?: () => boolean;
  /** Lease of the instance resolving a token for the fleet. Default 3 000 ms. */
  leaseMs?: number;
  /** How long an instance without the lease waits for the entry (an upstream call under load can take seconds). Default 3 000 ms. */
  waitMs?: number;
  /** Poll interval while waiting. Default 10 ms. */
  pollMs?: number;
  /** Deadline of each Redis command. Default 250 ms. */
  commandTimeoutMs?: number;
  logger?: Logger;
}

export interface SharedPrincipalCache extends TokenResolver {
  /** Resolves once connected (before it, every resolve goes upstream: the connection has no offline queue). */
  ready(): Promise<void>;
  /** Drop every entry of the fleet (bump the generation). */
  clearAll(): Promise<void>;
  /** Drop the entries of a user. */
  evictUser(userId: string): Promise<void>;
  readonly stats: { readonly hits: number; readonly misses: number; readonly leases: number; readonly waited: number; readonly upstream: number; readonly redisErrors: number; readonly staleSkipped: number };
  close(): Promise<void>;
}

/** [gen, entry or false, lease held (0/1)] in one round trip. */
const GET_SCRIPT = `
local gen = redis.call('GET', KEYS[1]) or '0'
local entry = redis.call('GET', ARGV[1] .. ':p:' .. gen .. ':' .. ARGV[2])
return { gen, entry, redis.call('EXISTS', ARGV[1] .. ':l:' .. gen .. ':' .. ARGV[2]) }
`;
/** Write only if the generation is still the one read before resolving. */
const PUT_SCRIPT = `
local gen = redis.call('GET', KEYS[1]) or '0'
if gen ~= ARGV[3] then return 0 end
local key = ARGV[1] .. ':p:' .. gen .. ':' .. ARGV[2]
local idx = ARGV[1] .. ':u:' .. gen .. ':' .. ARGV[6]
redis.call('SET', key, ARGV[4], 'PX', ARGV[5])
redis.call('SADD', idx, key)
if redis.call('PTTL', idx) < tonumber(ARGV[5]) then redis.call('PEXPIRE', idx, ARGV[5]) end
return 1
`;
/**
 * Take the lease unless the entry appeared meanwhile (another instance wrote it between our read
 * and now): returns the entry, 'OK' (lease taken) or false (someone else holds it). Atomic, so
 * a token is never resolved twice because a lease was released just before we asked.
 */
const LEASE_SCRIPT = `
local entry = redis.call('GET', ARGV[1] .. ':p:' .. ARGV[3] .. ':' .. ARGV[2])
if entry then return { 'entry', entry } end
local ok = redis.call('SET', ARGV[1] .. ':l:' .. ARGV[3] .. ':' .. ARGV[2], ARGV[4], 'PX', ARGV[5], 'NX')
if ok then return { 'lease', '' } end
return { 'busy', '' }
`;
/** Delete a user's entries (of the current generation). */
const EVICT_SCRIPT = `
local gen = redis.call('GET', KEYS[1]) or '0'
local idx = ARGV[1] .. ':u:' .. gen .. ':' .. ARGV[2]
local keys = redis.call('SMEMBERS', idx)
for _, k in ipairs(keys) do redis.call('DEL', k) end
redis.call('DEL', idx)
return #keys
`;

const isPrincipal = (v: unknown): v is Principal => typeof v === 'object' && v !== null
  && typeof (v as Principal).userId === 'string' && typeof (v as Principal).sessionId === 'string' && Array.isArray((v as Principal).roles);

/** Create the shared cache over `inner`. */
export function sharedPrincipalCache(inner: TokenResolver, options: SharedPrincipalCacheOptions): SharedPrincipalCache {
  const {
    redis: url, redisOptions = {}, hooks, prefix = 'mattermost-pat:l2', ttlMs = 60_000, degradedTtlMs = 5_000,
    isDegraded = () => false, leaseMs = 3_000, waitMs = 3_000, pollMs = 10, commandTimeoutMs = 250, logger = silentLogger,
  } = options;
  const client = new Redis(url, {
    enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: commandTimeoutMs,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), 1_000), ...redisOptions,
  });
  client.on('error', () => { /* every failed command falls back to `inner`; counted in stats */ });
  const genKey = `${prefix}:gen`;
  const owner = newId();
  const stats = { hits: 0, misses: 0, leases: 0, waited: 0, upstream: 0, redisErrors: 0, staleSkipped: 0 };

  // Local epoch guard (as in the principal cache): evictions seen while resolutions are in flight.
  let epoch = 0;
  let inflight = 0;
  let clearedAt = -1;
  const userEvictedAt = new Map<string, number>();
  const noteUser = (userId: string) => { epoch++; if (inflight > 0 && userEvictedAt.size < 10_000) userEvictedAt.set(userId, epoch); else if (inflight > 0) clearedAt = epoch; };
  const noteAll = () => { epoch++; if (inflight > 0) clearedAt = epoch; };
  const isStale = (start: number, p: Principal) => clearedAt > start || (userEvictedAt.get(p.userId) ?? -1) > start;

  const failed = (what: string) => (err: unknown) => {
    stats.redisErrors++;
    logger.warn('shared principal cache: redis unavailable, asking upstream', { what, error: err instanceof Error ? err.message : String(err) });
    return undefined;
  };

  /** A stored principal, or undefined when corrupt or past its own expiry (a miss). */
  const parse = (json: string): Principal | undefined => {
    try {
      const p: unknown = JSON.parse(json);
      if (isPrincipal(p) && (p.expiresAt === undefined || p.expiresAt <= 0 || p.expiresAt > Date.now())) return Object.freeze(p);
    } catch { /* a corrupt entry is a miss */ }
    return undefined;
  };

  const read = async (digest: string): Promise<{ gen: string; principal?: Principal; leased: boolean } | undefined> => {
    const reply = await (client.eval(GET_SCRIPT, 1, genKey, prefix, digest) as Promise<[string, string | null, number]>).catch(failed('get'));
    if (reply === undefined) return undefined;
    const [gen, json, lease] = reply;
    const leased = lease === 1;
    if (json === null) return { gen, leased };
    return { gen, principal: parse(json), leased };
  };

  const ask = async (token: string, context: ResolveContext): Promise<Principal> => {
    stats.upstream++;
    const r = inner.resolve(token, context);
    return isPromiseLike<Principal>(r) ? await r : r;
  };

  const sleep = (ms: number) => new Promise<void>((r) => { setTimeout(r, ms); });

  const resolveAsync = async (token: string, context: ResolveContext): Promise<Principal> => {
    const digest = sha256Hex(token);
    const first = await read(digest);
    if (first?.principal !== undefined) { stats.hits++; return first.principal; }
    stats.misses++;
    if (first === undefined) return ask(token, context); // Redis unreachable: upstream only
    const { gen } = first;
    const leaseKey = `${prefix}:l:${gen}:${digest}`;
    const reply = await (client.eval(LEASE_SCRIPT, 0, prefix, digest, gen, owner, String(leaseMs)) as Promise<[string, string]>).catch(failed('lease'));
    if (reply === undefined) return ask(token, context);
    if (reply[0] === 'entry') {
      const p = parse(reply[1]);
      if (p !== undefined) { stats.hits++; return p; }
    }
    if (reply[0] !== 'lease') {
      // Another instance is resolving this token: wait for its entry, then fall back.
      stats.waited++;
      const deadline = Date.now() + waitMs;
      while (Date.now() < deadline) {
        await sleep(pollMs);
        const again = await read(digest);
        if (again === undefined) break;
        if (again.principal !== undefined) { stats.hits++; return again.principal; }
        // The lease went without an entry (a refusal, an eviction, a failure): ask ourselves.
        if (again.gen !== gen || !again.leased) break;
      }
      return ask(token, context);
    }
    stats.leases++;
    const start = epoch;
    inflight++;
    try {
      const principal = await ask(token, context);
      if (isStale(start, principal)) { stats.staleSkipped++; return principal; }
      const ttl = isDegraded() ? Math.min(ttlMs, degradedTtlMs) : ttlMs;
      let life = ttl;
      if (principal.expiresAt !== undefined && principal.expiresAt > 0) life = Math.min(life, principal.expiresAt - Date.now());
      if (life > 0) {
        await client.eval(PUT_SCRIPT, 1, genKey, prefix, digest, gen, JSON.stringify(principal), String(Math.floor(life)), principal.userId).catch(failed('put'));
      }
      return principal;
    } finally {
      inflight--;
      if (inflight === 0) { userEvictedAt.clear(); clearedAt = -1; }
      void client.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, leaseKey, owner).catch(() => undefined);
    }
  };

  const evictUser = async (userId: string) => {
    noteUser(userId);
    await client.eval(EVICT_SCRIPT, 1, genKey, prefix, userId).catch(failed('evict'));
  };
  const clearAll = async () => {
    noteAll();
    await client.incr(genKey).catch(failed('clear'));
  };

  const offs: Array<() => void> = [];
  if (hooks !== undefined) {
    offs.push(hooks.onAny((event, payload) => {
      switch (event) {
        case 'token.created': return; // a new token invalidates nothing
        case 'config.changed': void clearAll(); return;
        default: {
          const userId = (payload as { userId?: string }).userId;
          if (userId === undefined) void clearAll(); else void evictUser(userId);
        }
      }
    }, { first: true }));
  }

  return {
    resolve: (token, context) => resolveAsync(token, context),
    ready() {
      if (client.status === 'ready') return Promise.resolve();
      return new Promise<void>((resolve) => { client.once('ready', () => resolve()); });
    },
    clearAll,
    evictUser,
    stats,
    async close() {
      for (const off of offs.splice(0)) off();
      client.disconnect();
    },
  };
}
