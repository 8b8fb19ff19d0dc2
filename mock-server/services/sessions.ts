/**
 * Sessions: listing them (`GET /users/{id}/sessions`; the route renders `sessionListJson`, in
 * ./views.ts), minting the session row of a personal access token at its first use, and revoking
 * sessions (one, all of a user, logout). Secrets are stored only as SHA-256 digests
 * (`token_digest`); listings show `"token":""`.
 *
 * @example
 * ```ts
 * const { sessions } = listSessions(server, caller, userId); // PAT sessions: props.type = 'UserAccessToken'
 * await revokeSession(server, caller, userId, sessionId); // hook 'session.revoked'
 * ```
 */
import { AppError, invalidBodyParam, invalidUrlParam, permissionError } from '../errors.js';
import { newId } from '../../middleware/util/ids.js';
import type { Principal } from '../../middleware/types.js';
import type { HookBus } from '../../middleware/hooks/hook-bus.js';
import type { Mutation, SessionRecord, TeamMemberRecord, TokenRecord, UserRecord } from '../db/schema.js';
import { StoreFailedError, UniqueViolationError } from '../db/errors.js';
import type { ServiceContext } from './context.js';
import { sessionHasPermissionToUser } from './access.js';
import { commitThenEmit, type HookEvent, type LogLine } from './commit.js';
import { requireId } from './input.js';

/**
 * Login sessions a user may hold; a new login revokes the least recently used beyond it.
 *
 * @example
 * ```ts
 * store.findMany('sessions', 'user_id', userId).filter((s) => !isPatSession(s)).length <= MAX_SESSIONS_PER_USER; // true
 * ```
 */
export const MAX_SESSIONS_PER_USER = 500;

/**
 * PAT sessions a user may hold, counted apart from login sessions: first uses of many tokens
 * revoke the least recently used PAT session, never a login session (with one shared cap, 500
 * first uses of a user's PATs logged that user out).
 *
 * @example
 * ```ts
 * store.findMany('sessions', 'user_id', userId).filter(isPatSession).length <= MAX_PAT_SESSIONS_PER_USER; // true
 * ```
 */
export const MAX_PAT_SESSIONS_PER_USER = 500;

/**
 * Whether a session row is a personal access token's (`props.type = 'UserAccessToken'`).
 *
 * @example
 * ```ts
 * isPatSession(row); // true for the row minted at a PAT's first use
 * ```
 */
export function isPatSession(session: SessionRecord): boolean {
  return session.props.type === 'UserAccessToken';
}

/**
 * The sessions to delete before saving one more of the same kind for `userId`, so the user keeps
 * at most the cap of that kind (least recently used go first). Login and PAT sessions are
 * capped separately.
 *
 * @example
 * ```ts
 * const evict = sessionsOverCap(server.store, userId, 'login');
 * await store.commit([...evict.map((s) => ({ op: 'delete', collection: 'sessions', key: s.id })), put]);
 * ```
 */
export function sessionsOverCap(store: ServiceContext['store'], userId: string, kind: 'login' | 'pat'): SessionRecord[] {
  const cap = kind === 'pat' ? MAX_PAT_SESSIONS_PER_USER : MAX_SESSIONS_PER_USER;
  const same = store.findMany('sessions', 'user_id', userId).filter((s) => isPatSession(s) === (kind === 'pat'));
  if (same.length < cap) return [];
  return same.sort((a, b) => a.last_activity_at - b.last_activity_at).slice(0, same.length - cap + 1);
}

/**
 * `SessionUserAccessTokenExpiryHours` (876 000 h = 100 years) in ms.
 *
 * @example
 * ```ts
 * session.expires_at === session.create_at + PAT_SESSION_LIFETIME_MS; // for a token without expiry
 * ```
 */
export const PAT_SESSION_LIFETIME_MS = 3_153_600_000_000;

/** A user's sessions, newest activity first, with the team memberships their JSON lists. */
export interface SessionListing {
  sessions: SessionRecord[];
  teamMembers: TeamMemberRecord[];
}

/**
 * The session row of a personal access token: reused when one exists for the token's digest,
 * otherwise minted (`props.type = 'UserAccessToken'`, expiry mint time + 100 years, clamped to the
 * token's own expiry). Two concurrent first uses mint one row (the unique digest index decides).
 *
 * @example
 * ```ts
 * const sessionId = await sessionForToken({ store, now: Date.now }, tokenRow, owner);
 * ```
 */
export async function sessionForToken(server: Pick<ServiceContext, 'store' | 'now'> & { hooks?: HookBus }, token: TokenRecord, user: UserRecord): Promise<string> {
  const existing = server.store.findOne('sessions', 'token_digest', token.digest);
  if (existing !== undefined) return existing.id;
  // Mattermost trims a user's sessions (least recently used go) before saving; PAT sessions are
  // trimmed among themselves, so a burst of first uses never logs the user out.
  const evict = sessionsOverCap(server.store, user.id, 'pat');
  const now = server.now();
  let expiresAt = now + PAT_SESSION_LIFETIME_MS;
  if (token.expires_at > 0 && token.expires_at < expiresAt) expiresAt = token.expires_at;
  const props: Record<string, string> = { type: 'UserAccessToken', user_access_token_id: token.id, is_guest: 'false' };
  if (user.is_bot) props.is_bot = 'true';
  const record: SessionRecord = {
    id: newId(), token_digest: token.digest, user_id: user.id, create_at: now, expires_at: expiresAt, last_activity_at: now,
    device_id: '', roles: user.roles, is_oauth: false, props,
  };
  try {
    await commitThenEmit(server, [
      ...evict.map((s): Mutation => ({ op: 'delete', collection: 'sessions', key: s.id })),
      { op: 'put', collection: 'sessions', record },
    ], { hooks: evict.map((s): HookEvent => ['session.revoked', { userId: s.user_id, sessionId: s.id }]) });
  } catch (err) {
    if (err instanceof UniqueViolationError) {
      const winner = server.store.findOne('sessions', 'token_digest', token.digest);
      if (winner !== undefined) return winner.id;
    }
    // The disk is full (or failing): the token is valid, so serve the request on a session that
    // is not persisted rather than answer 500. Reads keep working; /system/ping reports the store.
    if (err instanceof StoreFailedError) return record.id;
    throw err;
  }
  return record.id;
}

/**
 * GET /users/{user_id}/sessions: newest activity first.
 *
 * @example
 * ```ts
 * sessionListJson(listSessions(server, caller, 'me'));
 * ```
 */
export function listSessions(server: ServiceContext, caller: Principal, userParam: string): SessionListing {
  const userId = requireId(userParam, 'user_id', caller.userId);
  if (!sessionHasPermissionToUser(server.store, caller, userId)) throw permissionError(caller.userId, 'edit_other_users');
  const teamMembers = server.store.findMany('teamMembers', 'user_id', userId).filter((m) => m.delete_at === 0);
  const sessions = server.store.findMany('sessions', 'user_id', userId)
    .sort((a, b) => b.last_activity_at - a.last_activity_at || b.create_at - a.create_at);
  return { sessions, teamMembers };
}

/**
 * Delete sessions (one commit), then emit `session.revoked` for each.
 *
 * @example
 * ```ts
 * await deleteSessions(server, store.findMany('sessions', 'user_id', userId), admin.userId);
 * ```
 */
export async function deleteSessions(server: ServiceContext, sessions: readonly SessionRecord[], by: string): Promise<void> {
  if (sessions.length === 0) return;
  await commitThenEmit(server, sessions.map((s): Mutation => ({ op: 'delete', collection: 'sessions', key: s.id })), {
    hooks: sessions.map((s): HookEvent => ['session.revoked', { userId: s.user_id, sessionId: s.id }]),
    log: sessions.map((s): LogLine => ['session revoked', { session_id: s.id, user_id: s.user_id, token_id: s.props.user_access_token_id, by }]),
  });
}

/**
 * POST /users/{user_id}/sessions/revoke `{session_id}`.
 *
 * @example
 * ```ts
 * await revokeSession(server, caller, 'me', sessionId);
 * ```
 */
export async function revokeSession(server: ServiceContext, caller: Principal, userParam: string, sessionId: string): Promise<void> {
  const userId = requireId(userParam, 'user_id', caller.userId);
  if (!sessionHasPermissionToUser(server.store, caller, userId)) throw permissionError(caller.userId, 'edit_other_users');
  if (sessionId === '') throw invalidBodyParam('session_id');
  const session = server.store.get('sessions', sessionId);
  if (session === undefined) throw new AppError('app.session.get.app_error');
  if (session.user_id !== userId) throw invalidUrlParam('user_id');
  await deleteSessions(server, [session], caller.userId);
}

/**
 * POST /users/{user_id}/sessions/revoke/all.
 *
 * @example
 * ```ts
 * await revokeAllSessions(server, admin, userId);
 * ```
 */
export async function revokeAllSessions(server: ServiceContext, caller: Principal, userParam: string): Promise<void> {
  const userId = requireId(userParam, 'user_id', caller.userId);
  if (!sessionHasPermissionToUser(server.store, caller, userId)) throw permissionError(caller.userId, 'edit_other_users');
  await deleteSessions(server, server.store.findMany('sessions', 'user_id', userId), caller.userId);
}

/**
 * POST /users/logout: delete the calling session (with a PAT: only its session; the token stays).
 *
 * @example
 * ```ts
 * await logout(server, ctx.state.auth);
 * ```
 */
export async function logout(server: ServiceContext, caller: Principal | undefined): Promise<void> {
  if (caller === undefined) return;
  const session = server.store.get('sessions', caller.sessionId);
  if (session !== undefined) await deleteSessions(server, [session], caller.userId);
  else server.hooks.emit('session.revoked', { userId: caller.userId, sessionId: caller.sessionId });
}
