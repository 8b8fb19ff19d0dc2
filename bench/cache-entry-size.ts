/**
 * Bytes of heap per cached principal in `cachedResolver(storeResolver(store))`: the heap after a
 * full GC with 100 000 tokens cached, minus the heap after a full GC with the same store and an
 * empty cache, divided by 100 000. Printed for two shapes of data: the benchmark fixture (10 tokens
 * per user, so the by-user index holds several tokens per key) and one token per user (every index
 * key holds one token: the worst case for index bookkeeping).
 *
 * Each token is presented as `authenticate()` extracts it, a slice of a flat `Bearer …` header
 * string, so the key the cache keeps alive is counted as it is in a server. Two figures: the
 * whole per token through `storeResolver()` (the principal object and its derived session id
 * included; names and roles are shared with the store), and the cache's own entry (key, entry,
 * index slots) with principals built beforehand, so that only the cache's bookkeeping is counted,
 * also with `revalidateMs` set (the entry then carries its re-check schedule, and sits in a queue).
 *
 * @example
 * ```sh
 * npx tsx bench/cache-entry-size.ts              # re-runs itself with --expose-gc
 * node --expose-gc --import tsx bench/cache-entry-size.ts --entries 100000
 * ```
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cachedResolver, type CachedResolverOptions } from '../middleware/cache/session-cache.js';
import { storeResolver } from '../middleware/auth/store-resolver.js';
import { sha256Hex } from '../middleware/util/digest.js';
import type { Principal, StoredToken, StoredUser, TokenResolver, TokenStore } from '../middleware/types.js';
import { secretOf, syncTokenStore, tokenIdOf, userIdOf, usernameOf } from './lib/fixtures.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  // Re-run with the flag rather than asking every caller to remember it.
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

const at = process.argv.indexOf('--entries');
const N = at >= 0 ? Number(process.argv[at + 1]) : 100_000;
const ctx = { source: 'header-bearer' } as const;

/** `n` tokens, each owned by its own user. */
function onePerUserStore(n: number): TokenStore {
  const users = new Map<string, StoredUser>();
  const tokens = new Map<string, StoredToken>();
  for (let i = 0; i < n; i++) {
    const id = userIdOf(i);
    users.set(id, { id, username: usernameOf(i), roles: 'system_user system_user_access_token', delete_at: 0, is_bot: false });
    const digest = sha256Hex(secretOf(i));
    tokens.set(digest, { id: tokenIdOf(i), digest, user_id: id, description: 'bench', is_active: true, expires_at: 0 });
  }
  return {
    findTokenByDigest: (digest) => tokens.get(digest),
    findUserById: (userId) => users.get(userId),
    userAccessTokensEnabled: () => true,
  };
}

/** The token as `authenticate()` hands it to the resolver: a slice of a flat header string. */
const presented = (i: number) => Buffer.from(`Bearer ${secretOf(i)}`, 'latin1').toString('latin1').slice(7);

function heap(): number {
  for (let i = 0; i < 4; i++) gc?.();
  return process.memoryUsage().heapUsed;
}

/** Heap retained per entry once `N` tokens went through `cachedResolver(inner)`. */
function perEntry(inner: TokenResolver, options: CachedResolverOptions = {}): number {
  const empty = heap();
  const cache = cachedResolver(inner, { maxEntries: N, ...options });
  for (let i = 0; i < N; i++) cache.resolve(presented(i), ctx);
  if (cache.size !== N) throw new Error(`expected ${N} cached principals, got ${cache.size}`);
  const bytes = (heap() - empty) / N;
  cache.close();
  cache.clear();
  return bytes;
}

/**
 * What the cache itself keeps per entry: the same tokens through a resolver that hands out
 * principals built beforehand (and alive before and after), so only the key, the entry and the
 * index slots are counted.
 */
function bookkeeping(store: TokenStore, options: CachedResolverOptions = {}): number {
  const inner = storeResolver(store);
  const prebuilt = new Map<string, Principal>();
  for (let i = 0; i < N; i++) {
    const p = inner.resolve(secretOf(i), ctx) as Principal;
    prebuilt.set(secretOf(i), Object.freeze({ ...p, sessionId: flat(p.sessionId) }));
  }
  return perEntry({ resolve: (token) => prebuilt.get(token) as Principal }, options);
}

/** A flat copy of a string (ids built by concatenation are ropes). */
const flat = (s: string) => Buffer.from(s, 'latin1').toString('latin1');

function measure(label: string, store: TokenStore) {
  const total = perEntry(storeResolver(store));
  const own = bookkeeping(store);
  const revalidated = bookkeeping(store, { revalidateMs: 3_600_000 });
  console.log(`${label}: ${Math.round(total)} B per cached principal through storeResolver(); `
    + `the cache's own entry (key, entry, index slots) ${Math.round(own)} B, ${Math.round(revalidated)} B with revalidateMs`);
}

console.log(`node ${process.version}, ${N} entries, heapUsed after full GC`);
measure(`${N / 1000}k tokens over 10k users (bench fixture)`, syncTokenStore(N));
measure(`${N / 1000}k tokens, one per user`, onePerUserStore(N));
