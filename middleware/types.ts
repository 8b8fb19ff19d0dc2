/**
 * The shared vocabulary of the middleware, types only: the authenticated principal and the store
 * and resolver interfaces an application implements (the mock server implements them on lowdb).
 * Runtime code lives in files named for it (`auth/auth-failure.ts`, `logger.ts`).
 */
import type { MaybePromise } from './util/maybe-promise.js';

/** How the request presented its token. */
export type TokenSource = 'cookie' | 'header-bearer' | 'header-token' | 'query';

/** What kind of credential resolved to the principal. */
export type PrincipalKind = 'user_access_token' | 'session';

/**
 * The authenticated caller, put on `ctx.state.auth` by `authenticate()`.
 * Typed app-wide by declaration merging (see `principal.ts`).
 */
export interface Principal {
  /** Mattermost user id (26 chars). */
  readonly userId: string;
  readonly username: string;
  /** Roles parsed from Mattermost's space-separated string, e.g. `['system_user', 'system_user_access_token']`. */
  readonly roles: readonly string[];
  /** Session id: the PAT's session (minted at first use) or the login session. */
  readonly sessionId: string;
  /** Token id when the credential is a personal access token, otherwise undefined. */
  readonly tokenId?: string;
  readonly isBot: boolean;
  readonly kind: PrincipalKind;
  /** True for OAuth-app sessions (PATs never are). */
  readonly isOAuth?: boolean;
  /** The session's CSRF token (login sessions only; PAT sessions have none). */
  readonly csrf?: string;
  /**
   * ms since epoch after which the credential is dead (a PAT's `expires_at`); undefined or 0 =
   * no expiry. Caches never keep a principal past it.
   */
  readonly expiresAt?: number;
}

/** A personal access token as a store holds it: the secret only as its SHA-256 digest. */
export interface StoredToken {
  readonly id: string;
  /** Lowercase hex SHA-256 of the secret. */
  readonly digest: string;
  readonly user_id: string;
  readonly description: string;
  readonly is_active: boolean;
  /** ms since epoch, 0 = never expires. */
  readonly expires_at: number;
}

/** The token owner, as far as authentication needs it. */
export interface StoredUser {
  readonly id: string;
  readonly username: string;
  /** Mattermost's space-separated roles string. */
  readonly roles: string;
  /** 0 when active, deactivation time (ms) otherwise. */
  readonly delete_at: number;
  readonly is_bot: boolean;
}

/**
 * What `storeResolver()` needs from your database. Methods may be sync (fastest) or async.
 * The mock server implements it on lowdb with in-memory indexes.
 */
export interface TokenStore {
  /** Token by the SHA-256 hex digest of its secret. */
  findTokenByDigest(digest: string): MaybePromise<StoredToken | undefined>;
  /** User by id. */
  findUserById(userId: string): MaybePromise<StoredUser | undefined>;
  /** `ServiceSettings.EnableUserAccessTokens`. */
  userAccessTokensEnabled(): MaybePromise<boolean>;
  /**
   * Optional: the session id for a token's use (Mattermost mints a session row at first use and
   * reuses it). Without it, the session id is derived from the token id.
   */
  sessionIdForToken?(token: StoredToken, user: StoredUser): MaybePromise<string>;
}

/** Information about the request a resolver may use. */
export interface ResolveContext {
  readonly source: TokenSource;
  readonly requestId?: string;
}

/**
 * Turns a presented token into a principal, or throws `AuthFailure` (refused) or any other
 * error (infrastructure failure, e.g. `AppError` 503 when an upstream is down).
 */
export interface TokenResolver {
  resolve(token: string, context: ResolveContext): MaybePromise<Principal>;
}
