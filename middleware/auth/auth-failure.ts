/**
 * The refusal of a token: the reasons a token is refused and the error resolvers throw for them.
 * Every reason answers the same 401 to the client; only the log line tells them apart.
 */

/** Why a token was refused. All of them answer the same 401 to the client. */
export type AuthFailureReason =
  | 'missing'
  | 'unknown_token'
  | 'token_revoked'
  | 'token_disabled'
  | 'token_expired'
  | 'user_missing'
  | 'user_deactivated'
  | 'feature_disabled'
  | 'session_expired'
  | 'query_token_forbidden'
  | 'csrf'
  | 'upstream_rejected';

/**
 * Thrown by resolvers when a token is refused. `authenticate()` logs the reason (with the token
 * id when known, never the secret) and answers 401 `api.context.session_expired.app_error`.
 */
export class AuthFailure extends Error {
  readonly reason: AuthFailureReason;
  readonly tokenId: string | undefined;
  readonly userId: string | undefined;
  constructor(reason: AuthFailureReason, details: { tokenId?: string; userId?: string; message?: string } = {}) {
    super(details.message ?? `token refused: ${reason}`);
    this.name = 'AuthFailure';
    this.reason = reason;
    this.tokenId = details.tokenId;
    this.userId = details.userId;
  }
}
