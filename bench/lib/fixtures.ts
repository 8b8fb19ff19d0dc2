/**
 * Deterministic benchmark data: token secrets, a synchronous in-memory {@link TokenStore} holding
 * any number of tokens (SHA-256 digests only, as the middleware expects), and HS256 JWTs for the
 * JWT-based comparison points. The runner and the server processes derive the same secrets from
 * the same indexes, so no secret list crosses a process boundary.
 *
 * @example
 * ```ts
 * const store = syncTokenStore(1_000_000);           // 1M tokens, 10k users
 * const secrets = spreadIndexes(1_000_000, 1000).map(secretOf); // 1000 secrets spread over the range
 * ```
 */
import { hash } from 'node:crypto';
import { SignJWT } from 'jose';
import type { StoredToken, StoredUser, TokenStore } from '../../middleware/types.js';

/** The 26-character secret of token number `i` (Mattermost ids and tokens are 26 chars). */
export const secretOf = (i: number): string => `bench${i.toString(36).padStart(21, '0')}`;
export const tokenIdOf = (i: number): string => `t${i.toString(36).padStart(25, '0')}`;
export const userIdOf = (i: number): string => `u${i.toString(36).padStart(25, '0')}`;
export const usernameOf = (i: number): string => `bench-user-${i}`;

/** A secret no store holds (same shape as the real ones). */
export const UNKNOWN_SECRET = `zzzzzz${'0'.repeat(20)}`;

/** HS256 key shared by the JWT comparison points (32 bytes). */
export const JWT_SECRET = 'mattermost-pat-benchmark-hs256-key-32b!';

/** `k` indexes spread evenly over `[0, n)` (the tokens the load presents). */
export function spreadIndexes(n: number, k: number): number[] {
  const count = Math.min(n, k);
  const step = n / count;
  return Array.from({ length: count }, (_, j) => Math.floor(j * step));
}

/** A synchronous TokenStore with its maps exposed (benchmarks and the servers' self-checks). */
export interface BenchTokenStore extends TokenStore {
  readonly byDigest: Map<string, StoredToken>;
  readonly users: Map<string, StoredUser>;
  readonly size: number;
}

/** The row of user number `u`: an active user allowed personal access tokens. */
const userRowOf = (u: number): StoredUser => ({ id: userIdOf(u), username: usernameOf(u), roles: 'system_user system_user_access_token', delete_at: 0, is_bot: false });

/** Rows per `JSON.parse` while loading a store (a page of a database read). */
const LOAD_PAGE = 10_000;

/** `count` rows as a database driver hands them over: parsed from JSON text, a page of {@link LOAD_PAGE} at a time. */
function loadRows<T>(count: number, row: (i: number) => T, put: (row: T) => void): void {
  for (let start = 0; start < count; start += LOAD_PAGE) {
    const page: string[] = [];
    for (let i = start; i < Math.min(count, start + LOAD_PAGE); i++) page.push(JSON.stringify(row(i)));
    for (const parsed of JSON.parse(`[${page.join(',')}]`) as T[]) put(parsed);
  }
}

/**
 * The store docs/middleware.md tells users to write: `findTokenByDigest` and `findUserById` over
 * two `Map`s of rows, everything synchronous (the fastest store `storeResolver()` can have, so the
 * figures measure the middleware and not a database), holding `n` active, non-expiring tokens
 * over `min(n, 10 000)` users, filled the way an app fills it: with rows read from its database.
 * A driver (or `JSON.parse` of a file) hands every row over as one object of flat strings.
 *
 * Why not build the rows in place: ids made by concatenation (`tokenIdOf`) are rope strings, 385
 * instead of 280 B of heap per token at 1M tokens (bench/RESULTS.md, round 7), old space that every
 * young-generation GC walks page by page (docs/middleware.md, "Big in-process stores"). No
 * database hands rows over as ropes.
 */
export function syncTokenStore(n: number): BenchTokenStore {
  const userCount = Math.max(1, Math.min(n, 10_000));
  const users = new Map<string, StoredUser>();
  const byDigest = new Map<string, StoredToken>();
  loadRows(userCount, userRowOf, (user) => users.set(user.id, user));
  loadRows(n, (i): StoredToken => ({
    id: tokenIdOf(i), digest: hash('sha256', secretOf(i), 'hex'), user_id: userIdOf(i % userCount), description: 'benchmark', is_active: true, expires_at: 0,
  }), (token) => byDigest.set(token.digest, token));
  return {
    byDigest,
    users,
    size: byDigest.size,
    findTokenByDigest: (digest) => byDigest.get(digest),
    findUserById: (userId) => users.get(userId),
    userAccessTokensEnabled: () => true,
  };
}

/**
 * The same `n` tokens as {@link syncTokenStore}, kept without one JS object per token: the raw
 * digests in one `Uint8Array` and an open-addressing index in an `Int32Array`; a row object is
 * made only when a lookup finds one (a cache miss). The GC never walks a million objects, so
 * this isolates the middleware's per-request cost from the heap size of an in-process store.
 */
export function compactTokenStore(n: number): TokenStore & { readonly size: number } {
  const userCount = Math.max(1, Math.min(n, 10_000));
  const users = new Map<string, StoredUser>();
  for (let u = 0; u < userCount; u++) users.set(userIdOf(u), userRowOf(u));
  const digests = new Uint8Array(n * 32);
  let capacity = 1;
  while (capacity < n * 2) capacity *= 2;
  const mask = capacity - 1;
  const slots = new Int32Array(capacity).fill(-1);
  for (let i = 0; i < n; i++) {
    const digest = hash('sha256', secretOf(i), 'buffer');
    digests.set(digest, i * 32);
    let slot = digest.readUInt32BE(0) & mask;
    while (slots[slot] !== -1) slot = (slot + 1) & mask;
    slots[slot] = i;
  }
  const find = (hex: string): number => {
    if (hex.length !== 64) return -1;
    const wanted = Buffer.from(hex, 'hex');
    if (wanted.length !== 32) return -1;
    for (let slot = wanted.readUInt32BE(0) & mask; ; slot = (slot + 1) & mask) {
      const i = slots[slot] as number;
      if (i === -1) return -1;
      if (wanted.equals(digests.subarray(i * 32, i * 32 + 32))) return i;
    }
  };
  return {
    size: n,
    findTokenByDigest(digest) {
      const i = find(digest);
      if (i < 0) return undefined;
      return { id: tokenIdOf(i), digest, user_id: userIdOf(i % userCount), description: 'benchmark', is_active: true, expires_at: 0 };
    },
    findUserById: (userId) => users.get(userId),
    userAccessTokensEnabled: () => true,
  };
}

/** An HS256 JWT for token number `i` (`sub` = its user, far-future `exp`), as koa-jwt or jose verify it. */
export function jwtOf(i: number): Promise<string> {
  return new SignJWT({ username: usernameOf(i % 10_000) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userIdOf(i % 10_000))
    .setIssuedAt(1_700_000_000)
    .setExpirationTime(4_000_000_000)
    .sign(new TextEncoder().encode(JWT_SECRET));
}
