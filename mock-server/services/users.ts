/**
 * Users: the User JSON Mattermost sends (self/admin view vs. profile view), reading, creating and
 * patching users, `PUT /users/{id}/active` (deactivation deletes every session and keeps tokens)
 * and `PUT /users/{id}/roles` (rewrites the roles of every session, PAT sessions included). Each
 * change is committed first, then emitted on the hook bus, so the session cache evicts before the
 * response.
 *
 * @example
 * ```ts
 * await updateActive(server, admin, userId, false); // hook 'user.deactivated'; the user's PATs now 401
 * await updateRoles(server, admin, userId, 'system_user system_user_access_token');
 * ```
 */
import * as v from 'valibot';
import { anyObject, decodeBody, goPatch, goString, goStruct } from '../schemas/json.js';
import {
  AppError, invalidBodyParam, invalidUrlParam, permissionError,
} from '../errors.js';
import { rolesOf, ROLE_PERMISSIONS } from '../../middleware/permissions/permissions.js';
import type { Principal } from '../../middleware/types.js';
import { PRIMARY_KEY, type Mutation, type UserRecord } from '../db/schema.js';
import { channelMemberKey, teamMemberKey } from '../db/keys.js';
import { UniqueViolationError } from '../db/errors.js';
import type { ServiceContext, WebSocketEvent } from './context.js';
import { hashPassword } from '../passwords.js';
import { newUserRecord } from './user-record.js';
import { can, sessionHasPermissionToUser, isSystemAdminRoles, requirePerm } from './access.js';
import { commitThenEmit, type HookEvent, type LogLine } from './commit.js';
import { requireId } from './input.js';
import {
  newUserEvent, userActivationStatusChangeEvent, userRoleUpdatedEvent, userUpdatedEvents,
} from '../websocket/events.js';
import { userCopies } from './views.js';

/** `App.sendUpdatedUserEvent`'s events: `user_updated` to admins, everyone else, and the user. */
function updatedUserEvents(server: ServiceContext, u: UserRecord): WebSocketEvent[] {
  return [...userUpdatedEvents(u.id, userCopies(server.store.config, u))];
}

const missing = (status?: number) => new AppError('app.user.missing_account.const', status === undefined ? {} : { status });

/** `me` → caller; else a valid id (400 invalid_url_param `user_id`). */
function userIdParam(caller: Principal | undefined, param: string): string {
  return requireId(param, 'user_id', caller?.userId);
}

/**
 * GET /users/{user_id} (and /users/me).
 *
 * @example
 * ```ts
 * const me = getUser(server, caller, 'me');
 * ```
 */
export function getUser(server: ServiceContext, caller: Principal, param: string): UserRecord {
  const id = userIdParam(caller, param);
  const user = server.store.get('users', id);
  if (user === undefined) throw missing();
  return user;
}

const USERNAME = /^[a-z][a-z0-9.\-_]{2,21}$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

/**
 * GET /users/username/{username}.
 *
 * @example
 * ```ts
 * const admin = getUserByUsername(server, caller, 'sysadmin');
 * ```
 */
export function getUserByUsername(server: ServiceContext, caller: Principal, username: string): UserRecord {
  if (!USERNAME.test(username)) throw invalidUrlParam('username');
  const user = server.store.findOne('users', 'username', username.toLowerCase());
  if (user === undefined) throw new AppError('app.user.get_by_username.app_error');
  return user;
}

/** A Go `map[string]string` (`StringMap`): a JSON object of strings. */
const stringMapSchema = v.pipe(anyObject, v.record(v.string(), v.string()));

/** The `model.User` fields `POST /users` reads; `roles` and `props` stay absent when not given. */
const USER_INPUT = goStruct({
  username: goString, email: goString, password: goString, roles: v.nullish(v.string()),
  first_name: goString, last_name: goString, nickname: goString, position: goString,
  locale: v.optional(v.pipe(v.nullable(v.string()), v.transform((s) => s ?? 'en')), 'en'),
  props: v.nullish(stringMapSchema),
});

/** `model.UserPatch`: the fields given (absent or null = unchanged). */
const USER_PATCH = goPatch({
  username: v.string(), email: v.string(), first_name: v.string(), last_name: v.string(), nickname: v.string(),
  position: v.string(), locale: v.string(), props: stringMapSchema, notify_props: stringMapSchema, timezone: stringMapSchema,
});

function mapUnique(err: unknown): never {
  if (err instanceof UniqueViolationError && err.collection === 'users') {
    if (err.index === 'username') throw new AppError('app.user.save.username_exists.app_error');
    if (err.index === 'email') throw new AppError('app.user.save.email_exists.app_error');
  }
  throw err;
}

/**
 * POST /users: anyone may sign up while `TeamSettings.EnableUserCreation` is on (anonymous or
 * not; `EnableOpenServer` and invites are not modelled); only callers with `manage_system` may
 * set `roles` (and may create users while sign-up is off). 201 with the new user.
 *
 * @example
 * ```ts
 * const user = await createUser(server, undefined, { username: 'alice', email: 'a@example.com', password: 'Alice-pass1' });
 * ```
 */
export async function createUser(server: ServiceContext, caller: Principal | undefined, body: Record<string, unknown> | undefined): Promise<UserRecord> {
  const { username, email, password, roles, props, ...fields } = decodeBody(USER_INPUT, body, 'user');
  const isAdmin = caller !== undefined && can(caller, 'manage_system');
  if (!isAdmin && !server.store.config.TeamSettings.EnableUserCreation) {
    throw new AppError('api.user.create_user.signup_email_disabled.app_error');
  }
  const name = username.toLowerCase();
  if (!USERNAME.test(name)) throw new AppError('model.user.is_valid.username.app_error');
  if (email.length > 128 || !EMAIL.test(email)) throw new AppError('model.user.is_valid.email.app_error');
  if (password.length < 5 || Buffer.byteLength(password) > 72) throw new AppError('model.user.is_valid.pwd.app_error');
  let finalRoles = 'system_user';
  if (isAdmin && roles !== undefined && roles !== null && roles.trim() !== '') {
    if (!validRoles(roles)) throw invalidBodyParam('roles');
    checkRolesExist(roles);
    finalRoles = rolesOf(roles).join(' ');
  }
  if (server.store.findOne('users', 'username', name) !== undefined) throw new AppError('app.user.save.username_exists.app_error');
  if (server.store.findOne('users', 'email', email.toLowerCase()) !== undefined) throw new AppError('app.user.save.email_exists.app_error');
  const now = server.now();
  const record = newUserRecord({
    username: name, email: email.toLowerCase(), roles: finalRoles, password_hash: await hashPassword(password),
    email_verified: isAdmin, ...fields, props: props ?? {},
  }, now);
  await commitThenEmit(server, [{ op: 'put', collection: 'users', record }], {
    ws: [newUserEvent(record.id)],
    log: [['user created', { user_id: record.id, username: record.username, by: caller?.userId ?? '' }]],
  }).catch(mapUnique);
  return record;
}

/**
 * PUT /users/{user_id}/patch: username, email, names, position, nickname, locale, props, notify_props, timezone.
 *
 * @example
 * ```ts
 * await patchUser(server, caller, 'me', { nickname: 'al' });
 * ```
 */
export async function patchUser(server: ServiceContext, caller: Principal, param: string, body: Record<string, unknown> | undefined): Promise<UserRecord> {
  const id = userIdParam(caller, param);
  const patch = decodeBody(USER_PATCH, body, 'user');
  if (!sessionHasPermissionToUser(server.store, caller, id)) throw permissionError(caller.userId, 'edit_other_users');
  const user = server.store.get('users', id);
  if (user === undefined) throw missing();
  const next: UserRecord = { ...user, update_at: server.now() };
  for (const [key, value] of Object.entries(patch)) {
    if (value !== undefined) (next as unknown as Record<string, unknown>)[key] = value;
  }
  next.username = next.username.toLowerCase();
  next.email = next.email.toLowerCase();
  if (!USERNAME.test(next.username)) throw new AppError('model.user.is_valid.username.app_error');
  if (next.email.length > 128 || !EMAIL.test(next.email)) throw new AppError('model.user.is_valid.email.app_error');
  await commitThenEmit(server, [{ op: 'put', collection: 'users', record: next }], { ws: () => updatedUserEvents(server, next) }).catch(mapUnique);
  return next;
}

/**
 * PUT /users/{user_id}/active.
 *
 * @example
 * ```ts
 * await updateActive(server, admin, userId, { active: false }); // sessions gone, tokens kept
 * ```
 */
export async function updateActive(server: ServiceContext, caller: Principal, param: string, body: Record<string, unknown> | undefined): Promise<void> {
  const id = userIdParam(caller, param);
  const active = body?.active;
  if (typeof active !== 'boolean') throw invalidBodyParam('active');
  const isSelfDeactivate = !active && id === caller.userId;
  if (!isSelfDeactivate && !can(caller, 'sysconsole_write_user_management_users')) {
    throw new AppError('api.user.update_active.permissions.app_error', { detailed: `userId=${id}` });
  }
  if (isSelfDeactivate && !server.store.config.TeamSettings.EnableUserDeactivation) {
    throw new AppError('api.user.update_active.not_enable.app_error', { detailed: `userId=${id}` });
  }
  const user = server.store.get('users', id);
  if (user === undefined) throw missing();
  if (isSystemAdminRoles(user.roles) && !can(caller, 'manage_system')) throw permissionError(caller.userId, 'manage_system');
  await setActive(server, user, active, caller.userId);
  server.publish(userActivationStatusChangeEvent());
}

/**
 * Activate or deactivate a user. Deactivation: `delete_at = now`, every session deleted (tokens
 * kept), and, with `DisableBotsWhenOwnerIsDeactivated`, the bots the user owns deactivated too.
 *
 * @example
 * ```ts
 * await setActive(server, user, true, admin.userId); // 'user.activated'
 * ```
 */
export async function setActive(server: ServiceContext, user: UserRecord, active: boolean, by: string): Promise<void> {
  const now = server.now();
  const mutations: Mutation[] = [{ op: 'put', collection: 'users', record: { ...user, delete_at: active ? 0 : now, update_at: now } }];
  const affected: string[] = [user.id];
  const sessions = active ? [] : server.store.findMany('sessions', 'user_id', user.id);
  if (!active && server.store.config.ServiceSettings.DisableBotsWhenOwnerIsDeactivated) {
    for (const bot of server.store.findMany('bots', 'owner_id', user.id)) {
      if (bot.delete_at !== 0) continue;
      mutations.push({ op: 'put', collection: 'bots', record: { ...bot, delete_at: now, update_at: now } });
      const botUser = server.store.get('users', bot.user_id);
      if (botUser !== undefined) {
        mutations.push({ op: 'put', collection: 'users', record: { ...botUser, delete_at: now, update_at: now } });
        sessions.push(...server.store.findMany('sessions', 'user_id', botUser.id));
        affected.push(botUser.id);
      }
    }
  }
  for (const s of sessions) mutations.push({ op: 'delete', collection: 'sessions', key: s.id });
  await commitThenEmit(server, mutations, {
    hooks: affected.map((userId): HookEvent => [active ? 'user.activated' : 'user.deactivated', { userId }]),
    log: affected.map((userId): LogLine => [active ? 'user activated' : 'user deactivated', { user_id: userId, by }]),
    // After the hooks (the helper's order): the deactivated user's sockets have lost their session and receive nothing.
    ws: () => affected.flatMap((userId) => {
      const updated = server.store.get('users', userId);
      return updated === undefined ? [] : updatedUserEvents(server, updated);
    }),
  });
}

/** Roles that need a license Mattermost's mock does not have. */
const LICENSED_ROLES = new Set(['system_user_manager', 'system_read_only_admin', 'system_manager', 'system_shared_channel_manager']);
/** Roles the mock knows (built-in roles, plus the licensed ones for the existence check). */
const KNOWN_ROLES = new Set([...Object.keys(ROLE_PERMISSIONS), ...LICENSED_ROLES, 'system_custom_group_admin', 'team_guest', 'channel_guest']);

/**
 * `model.IsValidUserRoles`: `[a-z0-9_]` names of at most 64 chars, and not `system_admin` alone.
 *
 * @example
 * ```ts
 * validRoles('system_user system_user_access_token'); // true
 * validRoles('system_admin'); // false
 * ```
 */
export function validRoles(roles: string): boolean {
  const list = rolesOf(roles.trim());
  if (!list.every((r) => r.length <= 64 && /^[a-z0-9_]+$/.test(r))) return false;
  return !(list.length === 1 && list[0] === 'system_admin');
}

function checkRolesExist(roles: string): void {
  for (const role of rolesOf(roles)) {
    if (!KNOWN_ROLES.has(role)) throw new AppError('app.role.check_roles_exist.role_not_found', { detailed: `role=${role}` });
  }
}

/**
 * PUT /users/{user_id}/roles.
 *
 * @example
 * ```ts
 * await updateRoles(server, admin, userId, 'system_user system_user_access_token');
 * ```
 */
export async function updateRoles(server: ServiceContext, caller: Principal, param: string, roles: string | undefined): Promise<void> {
  const id = userIdParam(caller, param);
  // No `roles` string (bad JSON, not an object, a non-string value): 400, not "strip every role"
  // (Go's MapFromJSON would yield "" here and wipe the user's roles).
  if (roles === undefined) throw invalidBodyParam('roles');
  const newRoles = roles;
  if (!validRoles(newRoles)) throw invalidBodyParam('roles');
  for (const role of rolesOf(newRoles)) {
    if (LICENSED_ROLES.has(role)) throw new AppError('api.user.update_user_roles.license.app_error');
  }
  requirePerm(caller, 'manage_roles');
  const user = server.store.get('users', id);
  if (user === undefined) throw missing(400);
  checkRolesExist(newRoles);
  const normalized = rolesOf(newRoles).join(' ');
  if (isSystemAdminRoles(user.roles) && !isSystemAdminRoles(normalized) && user.delete_at === 0) {
    const admins = server.store.findMany('users', 'system_admin', 'true').filter((u) => u.delete_at === 0);
    if (admins.length <= 1) throw new AppError('app.user.update.lastAdmin.app_error');
  }
  const mutations: Mutation[] = [{ op: 'put', collection: 'users', record: { ...user, roles: normalized, update_at: server.now() } }];
  for (const s of server.store.findMany('sessions', 'user_id', id)) {
    mutations.push({ op: 'put', collection: 'sessions', record: { ...s, roles: normalized } });
  }
  await commitThenEmit(server, mutations, {
    hooks: [['user.roles_changed', { userId: id, roles: normalized }]],
    ws: [userRoleUpdatedEvent(id, normalized)],
    log: [['user roles changed', { user_id: id, roles: normalized, by: caller.userId }]],
  });
}

/**
 * DELETE /users/{user_id}: without `permanent` the same deactivation as `PUT /users/{id}/active`;
 * with `permanent=true` (needs `ServiceSettings.EnableAPIUserDeletion`) the user, its tokens, its
 * sessions, its memberships and its bot record are deleted (its posts are kept).
 *
 * @example
 * ```ts
 * await deleteUser(server, admin, userId, true); // needs EnableAPIUserDeletion
 * ```
 */
export async function deleteUser(server: ServiceContext, caller: Principal, param: string, permanent: boolean): Promise<void> {
  const id = userIdParam(caller, param);
  if (!sessionHasPermissionToUser(server.store, caller, id)) throw permissionError(caller.userId, 'edit_other_users');
  if (id === caller.userId && !server.store.config.TeamSettings.EnableUserDeactivation && !can(caller, 'manage_system')) {
    throw new AppError('api.user.update_active.not_enable.app_error', { detailed: `userId=${id}` });
  }
  const user = server.store.get('users', id);
  if (user === undefined) throw missing();
  if (isSystemAdminRoles(user.roles) && !can(caller, 'manage_system')) throw permissionError(caller.userId, 'manage_system');
  if (!permanent) {
    await setActive(server, user, false, caller.userId);
    return;
  }
  if (!server.store.config.ServiceSettings.EnableAPIUserDeletion) {
    throw new AppError('api.user.delete_user.not_enabled.app_error', { detailed: `userId=${id}` });
  }
  const { store } = server;
  const tokens = store.findMany('tokens', 'user_id', id);
  const mutations: Mutation[] = [
    ...store.findMany('sessions', 'user_id', id).map((s): Mutation => ({ op: 'delete', collection: 'sessions', key: s.id })),
    ...tokens.map((t): Mutation => ({ op: 'delete', collection: 'tokens', key: t.id })),
    ...store.findMany('teamMembers', 'user_id', id).map((m): Mutation => ({ op: 'delete', collection: 'teamMembers', key: teamMemberKey(m.team_id, m.user_id) })),
    ...store.findMany('channelMembers', 'user_id', id).map((m): Mutation => ({ op: 'delete', collection: 'channelMembers', key: channelMemberKey(m.channel_id, m.user_id) })),
    // PermanentDeleteUser also drops the user's preferences, status and reactions.
    ...store.findMany('preferences', 'user_id', id).map((p): Mutation => ({ op: 'delete', collection: 'preferences', key: PRIMARY_KEY.preferences(p) })),
    ...store.findMany('reactions', 'user_id', id).map((r): Mutation => ({ op: 'delete', collection: 'reactions', key: PRIMARY_KEY.reactions(r) })),
  ];
  if (store.get('statuses', id) !== undefined) mutations.push({ op: 'delete', collection: 'statuses', key: id });
  // Posts left without reactions lose has_reactions, so the post stays consistent with its reactions.
  for (const postId of new Set(store.findMany('reactions', 'user_id', id).map((r) => r.post_id))) {
    const post = store.get('posts', postId);
    const others = store.findMany('reactions', 'post_id', postId).some((r) => r.user_id !== id);
    if (post !== undefined && !others) mutations.push({ op: 'put', collection: 'posts', record: { ...post, has_reactions: false } });
  }
  if (store.get('bots', id) !== undefined) mutations.push({ op: 'delete', collection: 'bots', key: id });
  mutations.push({ op: 'delete', collection: 'users', key: id });
  await commitThenEmit(server, mutations, {
    hooks: [...tokens.map((t): HookEvent => ['token.revoked', { tokenId: t.id, userId: id }]), ['user.deactivated', { userId: id }]],
    log: [['user permanently deleted', { user_id: id, tokens: tokens.length, by: caller.userId }]],
  });
}
