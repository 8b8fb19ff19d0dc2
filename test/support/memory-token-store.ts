/**
 * An in-memory {@link TokenStore} for middleware tests: sync by default, async on request, with
 * helpers to create users and tokens the way the mock server does (secret shown once, digest stored).
 */
import { sha256Hex } from '../../middleware/util/digest.js';
import { newId } from '../../middleware/util/ids.js';
import type { StoredToken, StoredUser, TokenStore } from '../../middleware/types.js';

export interface MemoryTokenStore extends TokenStore {
  users: Map<string, StoredUser>;
  tokens: Map<string, StoredToken>;
  featureEnabled: boolean;
  addUser(fields?: Partial<StoredUser>): StoredUser;
  /** Returns the token row and its secret. */
  addToken(userId: string, fields?: Partial<StoredToken>): { row: StoredToken; secret: string };
  updateToken(tokenId: string, fields: Partial<StoredToken>): StoredToken;
  updateUser(userId: string, fields: Partial<StoredUser>): StoredUser;
  deleteToken(tokenId: string): void;
  /** Number of findTokenByDigest calls. */
  lookups: number;
}

export function memoryTokenStore(options: { async?: boolean; featureEnabled?: boolean } = {}): MemoryTokenStore {
  const wrap = <T>(value: T): T | Promise<T> => (options.async ? Promise.resolve(value) : value);
  const byDigest = new Map<string, string>();
  const store: MemoryTokenStore = {
    users: new Map(),
    tokens: new Map(),
    featureEnabled: options.featureEnabled ?? true,
    lookups: 0,
    findTokenByDigest(digest) {
      store.lookups++;
      const id = byDigest.get(digest);
      return wrap(id === undefined ? undefined : store.tokens.get(id));
    },
    findUserById(userId) {
      return wrap(store.users.get(userId));
    },
    userAccessTokensEnabled() {
      return wrap(store.featureEnabled);
    },
    addUser(fields = {}) {
      const id = fields.id ?? newId();
      const user: StoredUser = {
        id, username: `user-${id.slice(0, 6)}`, roles: 'system_user system_user_access_token', delete_at: 0, is_bot: false, ...fields,
      };
      store.users.set(id, user);
      return user;
    },
    addToken(userId, fields = {}) {
      const secret = newId();
      const row: StoredToken = {
        id: newId(), digest: sha256Hex(secret), user_id: userId, description: 'test', is_active: true, expires_at: 0, ...fields,
      };
      store.tokens.set(row.id, row);
      byDigest.set(row.digest, row.id);
      return { row, secret };
    },
    updateToken(tokenId, fields) {
      const old = store.tokens.get(tokenId);
      if (old === undefined) throw new Error(`no token ${tokenId}`);
      const row = { ...old, ...fields };
      if (row.digest !== old.digest) { byDigest.delete(old.digest); byDigest.set(row.digest, row.id); }
      store.tokens.set(tokenId, row);
      return row;
    },
    updateUser(userId, fields) {
      const old = store.users.get(userId);
      if (old === undefined) throw new Error(`no user ${userId}`);
      const user = { ...old, ...fields };
      store.users.set(userId, user);
      return user;
    },
    deleteToken(tokenId) {
      const row = store.tokens.get(tokenId);
      if (row === undefined) return;
      byDigest.delete(row.digest);
      store.tokens.delete(tokenId);
    },
  };
  return store;
}
