/**
 * The principal cache's secondary indexes: which cached tokens belong to a user, a token id, a
 * session. Lean on purpose (one cache entry costs well under 400 B): the value of a key is the one
 * token string while it is the only one, upgraded to a `Set` when a second token shares the key
 * and downgraded again when only one is left.
 *
 * A principal whose token id is not known (`GET /users/me` does not reveal it) is indexed under
 * "unknown token of its user", and one with `sessionId: ''` under "unknown session of its user",
 * so an event naming a token id or a session of that user still finds it.
 *
 * @example
 * ```ts
 * const index = new PrincipalIndex();
 * index.add(token, principal);
 * index.tokens('user', principal.userId); // [token]
 * index.tokens('token', unknownOf(principal.userId)); // a remote principal's token
 * ```
 */
import type { Principal } from '../types.js';

/** Which index. */
export type IndexName = 'user' | 'token' | 'session';

/** The tokens of one key: the token itself while it is the only one. */
type Slot = string | Set<string>;

/** Ids never contain NUL: no real id collides with an "unknown of this user" key. */
const UNKNOWN = '\u0000';

/** The key of a user's principals whose token id (or session id) is not known. */
export const unknownOf = (userId: string): string => UNKNOWN + userId;

/** The token-id key of a principal; undefined for a login session, which has no token. */
export const tokenKeyOf = (p: Principal): string | undefined =>
  p.tokenId ?? (p.kind === 'user_access_token' ? unknownOf(p.userId) : undefined);

/** The session key of a principal. */
export const sessionKeyOf = (p: Principal): string => (p.sessionId !== '' ? p.sessionId : unknownOf(p.userId));

/** True when two principals sit under the same keys of every index. */
export const sameKeys = (a: Principal, b: Principal): boolean =>
  a.userId === b.userId && tokenKeyOf(a) === tokenKeyOf(b) && sessionKeyOf(a) === sessionKeyOf(b);

// `member` is a cache key (the presented token) already held by the cache, compared with another
// key held by the cache: a bookkeeping identity test, never an authentication decision, so it
// needs no constant-time compare.
function addTo(index: Map<string, Slot>, key: string, member: string): void {
  const slot = index.get(key);
  if (slot === undefined) index.set(key, member);
  else if (typeof slot !== 'string') slot.add(member);
  else if (slot !== member) index.set(key, new Set([slot, member]));
}

function removeFrom(index: Map<string, Slot>, key: string, member: string): void {
  const slot = index.get(key);
  if (slot === undefined) return;
  if (typeof slot === 'string') {
    if (slot === member) index.delete(key);
    return;
  }
  slot.delete(member);
  if (slot.size === 1) index.set(key, slot.values().next().value as string);
}

/** The by-user, by-token-id and by-session indexes of cached tokens. */
export class PrincipalIndex {
  readonly #maps: Record<IndexName, Map<string, Slot>> = { user: new Map(), token: new Map(), session: new Map() };

  /** Index `token`, cached for `p`. */
  add(token: string, p: Principal): void {
    addTo(this.#maps.user, p.userId, token);
    const tokenKey = tokenKeyOf(p);
    if (tokenKey !== undefined) addTo(this.#maps.token, tokenKey, token);
    addTo(this.#maps.session, sessionKeyOf(p), token);
  }

  /** Forget `token`, which was cached for `p`. */
  remove(token: string, p: Principal): void {
    removeFrom(this.#maps.user, p.userId, token);
    const tokenKey = tokenKeyOf(p);
    if (tokenKey !== undefined) removeFrom(this.#maps.token, tokenKey, token);
    removeFrom(this.#maps.session, sessionKeyOf(p), token);
  }

  /** The tokens under `key` (a copy: the caller may remove them while iterating). */
  tokens(name: IndexName, key: string): readonly string[] {
    const slot = this.#maps[name].get(key);
    if (slot === undefined) return [];
    return typeof slot === 'string' ? [slot] : [...slot];
  }

  clear(): void {
    for (const map of Object.values(this.#maps)) map.clear();
  }
}
