/**
 * The mock server's {@link TokenResolver}: the one path every request's token takes. A presented
 * secret is hashed and looked up among login sessions (expiry checked); anything else goes to the
 * middleware's `storeResolver()` over a {@link TokenStore} implemented on the mock's store, whose
 * `sessionIdForToken` mints (or reuses) the PAT's session row as Mattermost does. The whole is
 * wrapped in the middleware's `cachedResolver()` on the server's hook bus, so revocation events
 * evict at once.
 *
 * A token from the query string (`?access_token=`) is resolved without the cache and without
 * minting: `authenticate()` refuses it (`api.context.token_provided.app_error`) unless it is an
 * OAuth login session, and a refused request must write nothing. Mattermost's `GetSession`
 * creates the PAT's session row before `ServeHTTP` refuses the query token; the mock does not.
 *
 * @example
 * ```ts
 * const resolver = mockResolver({ store, hooks, now: Date.now });
 * app.use(authenticate({ resolver }));
 * ```
 */
import { sha256Hex } from '../middleware/util/digest.js';
import type { HookBus } from '../middleware/hooks/hook-bus.js';
import { rolesOf } from '../middleware/permissions/permissions.js';
import { cachedResolver, type CachedResolver } from '../middleware/cache/session-cache.js';
import { storeResolver } from '../middleware/auth/store-resolver.js';
import { AuthFailure } from '../middleware/auth/auth-failure.js';
import { silentLogger, type Logger } from '../middleware/logger.js';
import type { Principal, ResolveContext, StoredToken, StoredUser, TokenResolver, TokenStore } from '../middleware/types.js';
import type { SessionRecord, Store } from './db/schema.js';
import { sessionForToken } from './services/sessions.js';

export interface MockResolverOptions {
  store: Store;
  hooks: HookBus;
  now?: () => number;
  logger?: Logger;
  /** Session cache TTL. Default: `ServiceSettings.SessionCacheInMinutes` at start (10 min). */
  ttlMs?: number;
}

/**
 * The mock's token store: O(1) lookups through the store's indexes. With `mint: false` a PAT's
 * first use creates no session row (its principal gets the existing session id, or `''`).
 *
 * @example
 * ```ts
 * const resolver = storeResolver(mockTokenStore(store, Date.now, hooks));
 * ```
 */
export function mockTokenStore(store: Store, now: () => number, hooks?: HookBus, options: { mint?: boolean } = {}): TokenStore {
  const { mint = true } = options;
  return {
    findTokenByDigest: (digest) => store.findOne('tokens', 'digest', digest),
    findUserById: (userId) => store.get('users', userId),
    userAccessTokensEnabled: () => store.config.ServiceSettings.EnableUserAccessTokens,
    sessionIdForToken(token: StoredToken, user: StoredUser) {
      const existing = store.findOne('sessions', 'token_digest', token.digest);
      if (existing !== undefined) return existing.id;
      // Not minting (a query-string token, refused whatever it resolves to): no session id yet.
      if (!mint) return '';
      const row = store.get('tokens', token.id);
      const owner = store.get('users', user.id);
      if (row === undefined || owner === undefined) throw new AuthFailure('token_revoked', { tokenId: token.id, userId: user.id });
      return sessionForToken({ store, now, hooks }, row, owner);
    },
  };
}

function loginPrincipal(store: Store, session: SessionRecord, now: number): Principal {
  const ids = { userId: session.user_id };
  if (session.expires_at > 0 && now > session.expires_at) throw new AuthFailure('session_expired', ids);
  const user = store.get('users', session.user_id);
  if (user === undefined) throw new AuthFailure('user_missing', ids);
  if (user.delete_at !== 0) throw new AuthFailure('user_deactivated', ids);
  return {
    userId: user.id,
    username: user.username,
    roles: rolesOf(session.roles),
    sessionId: session.id,
    isBot: user.is_bot,
    kind: 'session',
    isOAuth: session.is_oauth,
    csrf: session.props.csrf ?? '',
    expiresAt: session.expires_at > 0 ? session.expires_at : undefined,
  };
}

/**
 * Build the mock's cached resolver.
 *
 * @example
 * ```ts
 * const resolver = mockResolver({ store, hooks });
 * app.use(authenticate({ resolver }));
 * hooks.emit('token.revoked', { tokenId, userId }); // evicted at once
 * ```
 */
export function mockResolver(options: MockResolverOptions): CachedResolver {
  const { store, hooks, now = Date.now, logger = silentLogger } = options;
  const minutes = store.config.ServiceSettings.SessionCacheInMinutes;
  const { ttlMs = (typeof minutes === 'number' && minutes > 0 ? minutes : 10) * 60_000 } = options;
  const tokens = storeResolver(mockTokenStore(store, now, hooks), { now, logger });
  const peekTokens = storeResolver(mockTokenStore(store, now, hooks, { mint: false }), { now, logger });
  const resolveWith = (pats: TokenResolver): TokenResolver => ({
    resolve(token: string, context: ResolveContext) {
      const session = store.findOne('sessions', 'token_digest', sha256Hex(token));
      if (session !== undefined && session.props.type !== 'UserAccessToken') return loginPrincipal(store, session, now());
      return pats.resolve(token, context);
    },
  });
  const cached = cachedResolver(resolveWith(tokens), { hooks, ttlMs, now });
  const uncachedQuery = resolveWith(peekTokens);
  // The cache as it is (eviction, revalidation, degrade…), except that query-string tokens go
  // around it: their principal is never cached, and resolving them mints nothing.
  const resolver = Object.create(cached) as CachedResolver;
  return Object.assign(resolver, {
    resolve: (token: string, context: ResolveContext) => (context.source === 'query' ? uncachedQuery.resolve(token, context) : cached.resolve(token, context)),
  });
}
