/**
 * Personal access tokens: create, read, list, search, revoke, disable, enable and the
 * rotate / non-compliant endpoints (newest servers), each in Mattermost's check order (`api4/user.go`). The
 * secret exists only in the create/rotate response; the store keeps its SHA-256 digest. Every
 * change is committed (durable) first, then emitted on the hook bus (the session cache evicts),
 * then answered, so the very next request sees it. Reads return token records and create/rotate
 * an {@link IssuedToken}; the route renders them with `sanitizedToken` / `issuedTokenJson`
 * (./views.ts).
 *
 * @example
 * ```ts
 * const { record } = await createToken(server, caller, 'me', { description: 'ci' });
 * await revokeToken(server, caller, record.id); // next use: 401
 * ```
 */
import { sha256Hex } from '../../middleware/util/digest.js';
import { AppError, invalidBodyParam, invalidUrlParam, permissionError } from '../errors.js';
import { isValidId, newId } from '../../middleware/util/ids.js';
import type { Principal } from '../../middleware/types.js';
import type { Mutation, TokenRecord, UserRecord } from '../db/schema.js';
import type { ServiceContext } from './context.js';
import { can, sessionHasPermissionToUserOrBot, isSystemAdminRoles, requirePerm } from './access.js';
import { commitThenEmit, type HookEvent, type LogLine } from './commit.js';
import { requireId } from './input.js';
import { decodeBody, goBool, goInt, goString, goStruct } from '../schemas/json.js';

/** A token just made or rotated, with its secret: the one time the secret leaves the service. */
export interface IssuedToken {
  record: TokenRecord;
  secret: string;
}

const DAY_MS = 86_400_000;

const userMissing = (status?: number) => new AppError('app.user.missing_account.const', status === undefined ? {} : { status });
const tokenMissing = () => new AppError('app.user_access_token.get_by_user.app_error');

/**
 * `me` → the caller; anything else must be a valid id (400 invalid_url_param `user_id`).
 *
 * @example
 * ```ts
 * resolveUserParam(caller, 'me'); // caller.userId; '123' → 400 invalid_url_param user_id
 * ```
 */
export function resolveUserParam(caller: Principal, param: string): string {
  return requireId(param, 'user_id', caller.userId);
}

function policyDays(server: ServiceContext): number {
  return Math.max(0, server.store.config.ServiceSettings.MaximumPersonalAccessTokenLifetimeDays);
}

/** The expiry policy (newest servers) (create and rotate). Bots are users here: only plugin bots are exempt, and the mock has none. */
function checkExpiry(server: ServiceContext, expiresAt: number): void {
  const now = server.now();
  if (expiresAt !== 0 && expiresAt <= now) throw new AppError('app.user_access_token.expires_at_in_past.app_error');
  const days = policyDays(server);
  if (days > 0 && expiresAt === 0) throw new AppError('app.user_access_token.expires_at_required.app_error');
  if (days > 0 && expiresAt > now + days * DAY_MS) {
    throw new AppError('app.user_access_token.expires_at_too_far.app_error', { params: { Days: days } });
  }
}

function featureOn(server: ServiceContext): boolean {
  return server.store.config.ServiceSettings.EnableUserAccessTokens;
}

/** Delete mutations for every session minted from a token (the `token_id` index). */
function sessionDeletes(server: ServiceContext, tokenId: string): Mutation[] {
  return server.store.findMany('sessions', 'token_id', tokenId).map((s) => ({ op: 'delete', collection: 'sessions', key: s.id }));
}

/**
 * Go's typed decode of a token body: known fields must have their JSON types (a JSON `null`
 * leaves the zero value, as Go does), unknown fields are ignored. 400 `invalid_body_param` naming
 * `name` otherwise.
 */
function decodeTokenBody(body: Record<string, unknown>, name: string): { description: string; tokenId: string; expiresAt: number } {
  const decoded = decodeBody(TOKEN_BODY, body, name);
  return { description: decoded.description, tokenId: decoded.token_id, expiresAt: decoded.expires_at };
}

/** `model.UserAccessToken` as `json.Decode` reads it: every field typed, `null` its zero value. */
const TOKEN_BODY = goStruct({
  id: goString, token: goString, token_id: goString, user_id: goString, description: goString, is_active: goBool, expires_at: goInt,
});

/** `model.UserAccessTokenSearch`. */
const TOKEN_SEARCH_BODY = goStruct({ term: goString });

/**
 * POST /users/{user_id}/tokens. `body` is the decoded JSON (undefined when it is not an object).
 *
 * @example
 * ```ts
 * const { record, secret } = await createToken(server, caller, 'me', { description: 'ci' });
 * ```
 */
export async function createToken(server: ServiceContext, caller: Principal, userParam: string, body: Record<string, unknown> | undefined): Promise<IssuedToken> {
  const userId = resolveUserParam(caller, userParam);
  if (server.store.get('users', userId) === undefined) throw userMissing();
  if (caller.isOAuth === true) throw permissionError(caller.userId, 'create_user_access_token', ', attempted access by oauth app');
  if (body === undefined) throw invalidBodyParam('user_access_token');
  const { description, expiresAt } = decodeTokenBody(body, 'user_access_token');
  if (description === '') throw invalidBodyParam('description');
  requirePerm(caller, 'create_user_access_token');
  if (!sessionHasPermissionToUserOrBot(server.store, caller, userId)) throw permissionError(caller.userId, 'edit_other_users');
  const target = server.store.get('users', userId);
  if (target === undefined) throw userMissing();
  if (isSystemAdminRoles(target.roles) && !can(caller, 'manage_system')) throw permissionError(caller.userId, 'manage_system');
  if (!featureOn(server) && !target.is_bot) throw new AppError('app.user_access_token.disabled');
  checkExpiry(server, expiresAt);
  if ([...description].length > 255) throw new AppError('model.user_access_token.is_valid.description.app_error');
  const secret = newId();
  const record: TokenRecord = {
    id: newId(), digest: sha256Hex(secret), user_id: userId, description, is_active: true, expires_at: expiresAt, create_at: server.now(),
  };
  await commitThenEmit(server, [{ op: 'put', collection: 'tokens', record }], {
    hooks: [['token.created', { tokenId: record.id, userId }]],
    log: [['personal access token created', { token_id: record.id, user_id: userId, by: caller.userId }]],
  });
  return { record, secret };
}

/**
 * GET /users/tokens/{token_id}.
 *
 * @example
 * ```ts
 * const token = getToken(server, caller, tokenId); // 404 app.user_access_token.get_by_user.app_error when unknown
 * ```
 */
export function getToken(server: ServiceContext, caller: Principal, tokenId: string): TokenRecord {
  if (!isValidId(tokenId)) throw invalidUrlParam('token_id');
  requirePerm(caller, 'read_user_access_token');
  const token = server.store.get('tokens', tokenId);
  if (token === undefined) throw tokenMissing();
  if (!sessionHasPermissionToUserOrBot(server.store, caller, token.user_id)) throw permissionError(caller.userId, 'edit_other_users');
  return token;
}

/**
 * GET /users/{user_id}/tokens: one user's tokens in creation order, `page` is a page index.
 *
 * @example
 * ```ts
 * listUserTokens(server, caller, 'me', 0, 60);
 * ```
 */
export function listUserTokens(server: ServiceContext, caller: Principal, userParam: string, page: number, perPage: number): TokenRecord[] {
  const userId = resolveUserParam(caller, userParam);
  requirePerm(caller, 'read_user_access_token');
  if (!sessionHasPermissionToUserOrBot(server.store, caller, userId)) throw permissionError(caller.userId, 'edit_other_users');
  const start = page * perPage;
  return server.store.findMany('tokens', 'user_id', userId).slice(start, start + perPage);
}

/**
 * GET /users/tokens: every token on the server, in creation order.
 *
 * @example
 * ```ts
 * listAllTokens(server, admin, 1, 100); // second page of 100
 * ```
 */
export function listAllTokens(server: ServiceContext, caller: Principal, page: number, perPage: number): TokenRecord[] {
  requirePerm(caller, 'manage_system');
  const start = page * perPage;
  const out: TokenRecord[] = [];
  if (perPage <= 0) return out;
  let i = 0;
  for (const token of server.store.all('tokens')) {
    if (i++ < start) continue;
    out.push(token);
    if (out.length >= perPage) break;
  }
  return out;
}

/**
 * POST /users/tokens/search: exact match on token id, user id or username; creation order.
 *
 * @example
 * ```ts
 * searchTokens(server, admin, { term: 'user-1' }); // that user's tokens
 * ```
 */
export function searchTokens(server: ServiceContext, caller: Principal, body: Record<string, unknown> | undefined): TokenRecord[] {
  requirePerm(caller, 'manage_system');
  if (body === undefined) throw invalidBodyParam('user_access_token_search');
  const { term } = decodeBody(TOKEN_SEARCH_BODY, body, 'user_access_token_search');
  if (term === '') throw invalidBodyParam('term');
  const found = new Map<string, TokenRecord>();
  const byId = server.store.get('tokens', term);
  if (byId !== undefined) found.set(byId.id, byId);
  for (const t of server.store.findMany('tokens', 'user_id', term)) found.set(t.id, t);
  const user = server.store.findOne('users', 'username', term.toLowerCase());
  if (user !== undefined && user.username === term) {
    for (const t of server.store.findMany('tokens', 'user_id', user.id)) found.set(t.id, t);
  }
  return [...found.values()].sort((a, b) => a.create_at - b.create_at);
}

/** Shared prelude of revoke/disable/enable: permission, lookup, owner check. */
function tokenForChange(server: ServiceContext, caller: Principal, tokenId: string, permission: 'revoke_user_access_token' | 'create_user_access_token'): TokenRecord {
  if (caller.isOAuth === true) throw permissionError(caller.userId, permission, ', attempted access by oauth app');
  requirePerm(caller, permission);
  const token = tokenId === '' ? undefined : server.store.get('tokens', tokenId);
  if (token === undefined) throw tokenMissing();
  if (!sessionHasPermissionToUserOrBot(server.store, caller, token.user_id)) throw permissionError(caller.userId, 'edit_other_users');
  return token;
}

/**
 * POST /users/tokens/revoke: token and its sessions deleted in one commit.
 *
 * @example
 * ```ts
 * await revokeToken(server, caller, tokenId); // the next request with it: 401
 * ```
 */
export async function revokeToken(server: ServiceContext, caller: Principal, tokenId: string): Promise<void> {
  const token = tokenForChange(server, caller, tokenId, 'revoke_user_access_token');
  await commitThenEmit(server, [...sessionDeletes(server, token.id), { op: 'delete', collection: 'tokens', key: token.id }], {
    hooks: [['token.revoked', { tokenId: token.id, userId: token.user_id }]],
    log: [['personal access token revoked', { token_id: token.id, user_id: token.user_id, by: caller.userId }]],
  });
}

/**
 * POST /users/tokens/disable: `is_active=false`, its sessions deleted; idempotent.
 *
 * @example
 * ```ts
 * await disableToken(server, caller, tokenId);
 * ```
 */
export async function disableToken(server: ServiceContext, caller: Principal, tokenId: string): Promise<void> {
  const token = tokenForChange(server, caller, tokenId, 'revoke_user_access_token');
  await commitThenEmit(server, [...sessionDeletes(server, token.id), { op: 'put', collection: 'tokens', record: { ...token, is_active: false } }], {
    hooks: [['token.disabled', { tokenId: token.id, userId: token.user_id }]],
    log: [['personal access token disabled', { token_id: token.id, user_id: token.user_id, by: caller.userId }]],
  });
}

/**
 * POST /users/tokens/enable: `is_active=true` (gated on `create_user_access_token`); idempotent.
 *
 * @example
 * ```ts
 * await enableToken(server, caller, tokenId); // the same secret works again
 * ```
 */
export async function enableToken(server: ServiceContext, caller: Principal, tokenId: string): Promise<void> {
  const token = tokenForChange(server, caller, tokenId, 'create_user_access_token');
  await commitThenEmit(server, [{ op: 'put', collection: 'tokens', record: { ...token, is_active: true } }], {
    hooks: [['token.enabled', { tokenId: token.id, userId: token.user_id }]],
    log: [['personal access token enabled', { token_id: token.id, user_id: token.user_id, by: caller.userId }]],
  });
}

/**
 * POST /users/tokens/rotate (newest servers): new secret (and expiry), same id; old secret dead at once.
 *
 * @example
 * ```ts
 * const { secret } = await rotateToken(server, caller, { token_id: tokenId, expires_at: Date.now() + 864e5 });
 * ```
 */
export async function rotateToken(server: ServiceContext, caller: Principal, body: Record<string, unknown> | undefined): Promise<IssuedToken> {
  if (body === undefined) throw invalidBodyParam('rotate_user_access_token');
  const { tokenId, expiresAt } = decodeTokenBody(body, 'rotate_user_access_token');
  if (tokenId === '') throw invalidBodyParam('token_id');
  if (caller.isOAuth === true) throw permissionError(caller.userId, 'create_user_access_token', ', attempted access by oauth app');
  requirePerm(caller, 'create_user_access_token');
  const token = server.store.get('tokens', tokenId);
  if (token === undefined) throw tokenMissing();
  const owner: UserRecord | undefined = server.store.get('users', token.user_id);
  if (owner === undefined) throw userMissing();
  if (!sessionHasPermissionToUserOrBot(server.store, caller, owner.id)) throw permissionError(caller.userId, 'edit_other_users');
  if (isSystemAdminRoles(owner.roles) && !can(caller, 'manage_system')) throw permissionError(caller.userId, 'manage_system');
  if (!token.is_active) throw new AppError('api.user.rotate_user_access_token.disabled_token.app_error');
  if (!featureOn(server) && !owner.is_bot) throw new AppError('app.user_access_token.disabled');
  checkExpiry(server, expiresAt);
  const secret = newId();
  const record: TokenRecord = { ...token, digest: sha256Hex(secret), expires_at: expiresAt };
  await commitThenEmit(server, [...sessionDeletes(server, token.id), { op: 'put', collection: 'tokens', record }], {
    hooks: [['token.rotated', { tokenId: token.id, userId: token.user_id }]],
    log: [['personal access token rotated', { token_id: token.id, user_id: token.user_id, by: caller.userId }]],
  });
  return { record, secret };
}

/** Active tokens breaking the lifetime policy (no expiry, or beyond the cap). Scans the tokens: admin-only, like Mattermost's query. */
function nonCompliant(server: ServiceContext, days: number): TokenRecord[] {
  const cap = server.now() + days * DAY_MS;
  const out: TokenRecord[] = [];
  for (const t of server.store.all('tokens')) {
    if (t.is_active && (t.expires_at === 0 || t.expires_at > cap)) out.push(t);
  }
  return out;
}

/**
 * GET /users/tokens/non_compliant/count (newest servers).
 *
 * @example
 * ```ts
 * countNonCompliant(server, admin); // { count: 0 } without a lifetime policy
 * ```
 */
export function countNonCompliant(server: ServiceContext, caller: Principal): { count: number } {
  requirePerm(caller, 'manage_system');
  const days = policyDays(server);
  return { count: days > 0 ? nonCompliant(server, days).length : 0 };
}

/**
 * POST /users/tokens/non_compliant/revoke (newest servers): hard-deletes them and their sessions.
 *
 * @example
 * ```ts
 * await revokeNonCompliant(server, admin); // { count: 3 }
 * ```
 */
export async function revokeNonCompliant(server: ServiceContext, caller: Principal): Promise<{ count: number }> {
  requirePerm(caller, 'manage_system');
  const days = policyDays(server);
  if (days <= 0) throw new AppError('app.user_access_token.revoke_non_compliant.no_policy.app_error');
  const tokens = nonCompliant(server, days);
  for (let i = 0; i < tokens.length; i += 1000) {
    const batch = tokens.slice(i, i + 1000);
    await commitThenEmit(server, batch.flatMap((t) => [...sessionDeletes(server, t.id), { op: 'delete', collection: 'tokens', key: t.id } as Mutation]), {
      hooks: batch.map((t): HookEvent => ['token.revoked', { tokenId: t.id, userId: t.user_id }]),
      log: batch.map((t): LogLine => ['personal access token revoked (non-compliant)', { token_id: t.id, user_id: t.user_id, by: caller.userId }]),
    });
  }
  return { count: tokens.length };
}
