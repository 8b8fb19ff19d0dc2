/**
 * `storeResolver(store)`: a {@link TokenResolver} over your database. The presented secret is
 * hashed (SHA-256 hex) and looked up by digest; the row is then checked in Mattermost's order
 * (`createSessionForUserAccessToken`):
 *
 * | check | refusal reason |
 * | --- | --- |
 * | no token row | `unknown_token` |
 * | `is_active` false | `token_disabled` |
 * | owner row missing | `user_missing` |
 * | `EnableUserAccessTokens` off and owner not a bot | `feature_disabled` |
 * | `expires_at > 0` and now > `expires_at` | `token_expired` |
 * | owner `delete_at != 0` | `user_deactivated` |
 *
 * With a synchronous store the whole resolution is synchronous (no promise, no microtask).
 *
 * @example
 * ```ts
 * import { storeResolver, cachedResolver, authenticate } from 'mattermost-pat';
 * const resolver = cachedResolver(storeResolver(store), { hooks });
 * app.use(authenticate({ resolver }));
 * ```
 */
import { deriveId, safeEqual, sha256Hex } from '../util/digest.js';
import { chain, type MaybePromise } from '../util/maybe-promise.js';
import { rolesOf } from '../permissions/permissions.js';
import { AuthFailure } from './auth-failure.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Principal, ResolveContext, StoredToken, StoredUser, TokenResolver, TokenStore } from '../types.js';

export interface StoreResolverOptions {
  /** Warnings about store inconsistencies (never secrets). Default: silent. */
  logger?: Logger;
  /** Clock for expiry checks (ms since epoch). Default `Date.now`. */
  now?: () => number;
}

/**
 * Build a resolver that authenticates personal access tokens against `store`.
 * @example
 * ```ts
 * const principal = await storeResolver(store).resolve(secret, { source: 'header-bearer' });
 * ```
 */
export function storeResolver(store: TokenStore, options: StoreResolverOptions = {}): TokenResolver {
  const { now = Date.now, logger = silentLogger } = options;

  const principalOf = (row: StoredToken, user: StoredUser, sessionId: string): Principal => ({
    userId: user.id,
    username: user.username,
    roles: rolesOf(user.roles),
    sessionId,
    tokenId: row.id,
    isBot: user.is_bot,
    kind: 'user_access_token',
    isOAuth: false,
    csrf: '',
    expiresAt: row.expires_at > 0 ? row.expires_at : undefined,
  });

  const checkUser = (row: StoredToken, user: StoredUser | undefined): MaybePromise<Principal> => {
    const ids = { tokenId: row.id, userId: row.user_id };
    if (user === undefined) throw new AuthFailure('user_missing', ids);
    const enabled: MaybePromise<boolean> = user.is_bot ? true : store.userAccessTokensEnabled();
    return chain(enabled, (on) => {
      if (!on && !user.is_bot) throw new AuthFailure('feature_disabled', ids);
      if (row.expires_at > 0 && now() > row.expires_at) throw new AuthFailure('token_expired', ids);
      if (user.delete_at !== 0) throw new AuthFailure('user_deactivated', ids);
      if (store.sessionIdForToken === undefined) return principalOf(row, user, deriveId(`session:${row.id}`));
      return chain(store.sessionIdForToken(row, user), (sessionId) => principalOf(row, user, sessionId));
    });
  };

  const checkToken = (digest: string, row: StoredToken | undefined): MaybePromise<Principal> => {
    if (row === undefined) throw new AuthFailure('unknown_token');
    // Guards against stores whose lookup is looser than equality (a store bug, worth a warning).
    if (!safeEqual(row.digest, digest)) {
      logger.warn('store returned a token row whose digest does not match the lookup', { token_id: row.id });
      throw new AuthFailure('unknown_token');
    }
    if (!row.is_active) throw new AuthFailure('token_disabled', { tokenId: row.id, userId: row.user_id });
    return chain(store.findUserById(row.user_id), (user) => checkUser(row, user));
  };

  return {
    resolve(token: string, _context: ResolveContext): MaybePromise<Principal> {
      const digest = sha256Hex(token);
      return chain(store.findTokenByDigest(digest), (row) => checkToken(digest, row));
    },
  };
}
