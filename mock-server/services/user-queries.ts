/**
 * Finding users (Mattermost `api4/user.go` `getUserByEmail`, `getUsersByIds`,
 * `getUsersByNames`, `getUsers`, `searchUsers`, `autocompleteUsers`). Lists carry the profile
 * view of every user (`SanitizeProfile`, for admins too, as Mattermost's lists do); single lookups
 * follow `userJsonFor` (self or `manage_system`: the full view).
 *
 * @example
 * ```ts
 * listUsers(server, caller, { inTeam: teamId, page: 0, perPage: 60 });
 * searchUsers(server, caller, parseUserSearch({ term: 'sam' }));
 * autocompleteUsers(server, caller, { name: 'us', inChannel: channelId, inTeam: teamId, limit: 100 });
 * ```
 */
import { AppError, invalidBodyParam, invalidUrlParam, permissionError } from '../errors.js';
import { hasPermission, ROLE_PERMISSIONS } from '../../middleware/permissions/permissions.js';
import type { Principal } from '../../middleware/types.js';
import type { UserRecord } from '../db/schema.js';
import { sessionHasPermissionToChannel, sessionHasPermissionToTeam, type Caller } from './channel-permissions.js';
import type { ServiceContext } from './context.js';
import { isObject } from './input.js';

const EMAIL = /^[^\s@]+@[^\s@]+$/;


/**
 * `GET /users/email/{email}` (`getUserByEmail`): lower-cased, invalid → 400 `invalid_url_param`
 * naming `email`; with `PrivacySettings.ShowEmailAddress` off only admins may look up by email
 * (403 `api.user.get_user_by_email.permissions.app_error`); unknown → 404
 * `app.user.missing_account.const`. The profile view, for the caller too (`SanitizeProfile`).
 */
export function getUserByEmail(deps: ServiceContext, caller: Principal, email: string): UserRecord {
  const lower = email.toLowerCase();
  if (lower.length > 128 || !EMAIL.test(lower)) throw invalidUrlParam('email');
  if (deps.store.config.PrivacySettings?.ShowEmailAddress === false && !hasPermission(caller.roles, 'manage_system')) {
    throw new AppError('api.user.get_user_by_email.permissions.app_error', { detailed: `userId=${caller.userId}` });
  }
  const user = deps.store.findOne('users', 'email', lower);
  if (user === undefined) throw new AppError('app.user.missing_account.const');
  return user;
}


/** `POST /users/ids`: the profiles of the ids that exist (`since`: only those updated after it). */
export function getUsersByIds(deps: ServiceContext, ids: readonly string[], since: number): UserRecord[] {
  const out: UserRecord[] = [];
  for (const id of ids) {
    const user = deps.store.get('users', id);
    if (user !== undefined && user.update_at > since) out.push(user);
  }
  return out;
}

/** Decode `POST /users/usernames`: a non-empty array of strings (400 naming `usernames`). */
export function parseUsernames(body: unknown): string[] {
  if (!Array.isArray(body) || body.length === 0 || !body.every((v): v is string => typeof v === 'string')) throw invalidBodyParam('usernames');
  return [...new Set(body.map((v) => v.toLowerCase()))];
}

/** `POST /users/usernames`: the profiles of the usernames that exist. */
export function getUsersByUsernames(deps: ServiceContext, usernames: readonly string[]): UserRecord[] {
  const out: UserRecord[] = [];
  for (const name of usernames) {
    const user = deps.store.findOne('users', 'username', name);
    if (user !== undefined) out.push(user);
  }
  return out;
}

/** Filters of `GET /users`. */
export interface UserListOptions {
  page: number;
  perPage: number;
  inTeam?: string;
  notInTeam?: string;
  inChannel?: string;
  notInChannel?: string;
  withoutTeam?: boolean;
  active?: boolean;
  inactive?: boolean;
  role?: string;
  sort?: string;
}

/** The user ids of a team's active members / of a channel's members. */
function teamUserIds(deps: ServiceContext, teamId: string): Set<string> {
  return new Set(deps.store.findMany('teamMembers', 'team_id', teamId).filter((m) => m.delete_at === 0).map((m) => m.user_id));
}
function channelUserIds(deps: ServiceContext, channelId: string): Set<string> {
  return new Set(deps.store.findMany('channelMembers', 'channel_id', channelId).map((m) => m.user_id));
}

const SORTS = new Set(['', 'last_activity_at', 'create_at', 'status', 'display_name', 'admin']);

/**
 * `GET /users` (`getUsers`): `not_in_channel` needs `in_team` (400 naming `team_id`); `sort`
 * must be known, `last_activity_at` / `create_at` only with `in_team` alone, `status` / `admin`
 * only with `in_channel`, `display_name` only with a group (400 naming `sort`); `active` with
 * `inactive` → 400 naming `inactive`; `role` must be a known role (400 naming `role`). Then the
 * permission of the branch Mattermost takes: `without_team` → `list_users_without_team`,
 * `not_in_channel` → `read_channel`, `not_in_team` / `in_team` → `view_team`, `in_channel` →
 * `read_channel` (403). Ordered by username (`last_activity_at`, `create_at`: newest first).
 */
export function listUsers(deps: ServiceContext, caller: Caller, options: UserListOptions): UserRecord[] {
  const { store } = deps;
  const sort = options.sort ?? '';
  const { inTeam, notInTeam, inChannel, notInChannel, withoutTeam = false } = options;
  if (notInChannel !== undefined && inTeam === undefined) throw invalidUrlParam('team_id');
  if (!SORTS.has(sort)) throw invalidUrlParam('sort');
  const onlyTeam = inTeam !== undefined && notInTeam === undefined && inChannel === undefined && notInChannel === undefined && !withoutTeam;
  if ((sort === 'last_activity_at' || sort === 'create_at') && !onlyTeam) throw invalidUrlParam('sort');
  if ((sort === 'status' || sort === 'admin') && inChannel === undefined) throw invalidUrlParam('sort');
  if (sort === 'display_name') throw invalidUrlParam('sort'); // needs in_group: groups are not modelled
  if (options.active === true && options.inactive === true) throw invalidUrlParam('inactive');
  if (options.role !== undefined && options.role !== '' && !KNOWN_ROLES.has(options.role)) throw invalidBodyParam('role');
  if (withoutTeam) {
    if (!hasPermission(caller.roles, 'list_users_without_team')) throw permissionError(caller.userId, 'list_users_without_team');
  } else if (notInChannel !== undefined) {
    if (!sessionHasPermissionToChannel(store, caller, notInChannel, 'read_channel')) throw permissionError(caller.userId, 'read_channel');
  } else if (notInTeam !== undefined || inTeam !== undefined) {
    const teamId = notInTeam ?? inTeam ?? '';
    if (!sessionHasPermissionToTeam(store, caller, teamId, 'view_team')) throw permissionError(caller.userId, 'view_team');
  } else if (inChannel !== undefined) {
    if (!sessionHasPermissionToChannel(store, caller, inChannel, 'read_channel')) throw permissionError(caller.userId, 'read_channel');
  }
  let users = filterUsers(deps, options);
  if (options.active === true) users = users.filter((u) => u.delete_at === 0);
  if (options.inactive === true) users = users.filter((u) => u.delete_at !== 0);
  if (options.role !== undefined && options.role !== '') users = users.filter((u) => u.roles.split(/\s+/).includes(options.role ?? ''));
  users.sort(sort === 'last_activity_at' ? (a, b) => b.last_activity_at - a.last_activity_at
    : sort === 'create_at' ? (a, b) => b.create_at - a.create_at
      : byUsername);
  const start = options.page * options.perPage;
  return users.slice(start, start + options.perPage);
}

const byUsername = (a: UserRecord, b: UserRecord): number => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0);

/** Role names `GetAllRoles` knows (the built-in ones). */
const KNOWN_ROLES: ReadonlySet<string> = new Set([...Object.keys(ROLE_PERMISSIONS), 'system_guest', 'team_guest', 'channel_guest']);

/** Users matching the team/channel filters (all users when none). */
function filterUsers(deps: ServiceContext, scope: { inTeam?: string; notInTeam?: string; inChannel?: string; notInChannel?: string; withoutTeam?: boolean }): UserRecord[] {
  const { store } = deps;
  let users = [...store.all('users')];
  if (scope.inTeam !== undefined) { const ids = teamUserIds(deps, scope.inTeam); users = users.filter((u) => ids.has(u.id)); }
  if (scope.notInTeam !== undefined) { const ids = teamUserIds(deps, scope.notInTeam); users = users.filter((u) => !ids.has(u.id)); }
  if (scope.inChannel !== undefined) { const ids = channelUserIds(deps, scope.inChannel); users = users.filter((u) => ids.has(u.id)); }
  if (scope.notInChannel !== undefined) { const ids = channelUserIds(deps, scope.notInChannel); users = users.filter((u) => !ids.has(u.id)); }
  if (scope.withoutTeam === true) users = users.filter((u) => store.findMany('teamMembers', 'user_id', u.id).every((m) => m.delete_at !== 0));
  return users;
}

/** Whether `term` is a prefix of the username, a name, the nickname, the full name or (for admins) the email, ignoring case and a leading `@`. */
function matches(u: UserRecord, term: string, withEmail: boolean): boolean {
  const t = term.toLowerCase().replace(/^@/, '').trim();
  if (t === '') return true;
  const fields = [u.username, u.first_name, u.last_name, u.nickname, `${u.first_name} ${u.last_name}`];
  if (withEmail) fields.push(u.email);
  return fields.some((f) => f.toLowerCase().startsWith(t));
}

/** `model.UserSearch`. */
export interface UserSearchInput {
  term: string;
  team_id?: string;
  not_in_team_id?: string;
  in_channel_id?: string;
  not_in_channel_id?: string;
  allow_inactive: boolean;
  without_team: boolean;
  limit: number;
}

/** `model.UserSearchDefaultLimit` / `UserSearchMaxLimit`. */
const SEARCH_DEFAULT_LIMIT = 100;
const SEARCH_MAX_LIMIT = 1000;

/** Decode `POST /users/search` like the typed decode into `model.UserSearch`: not an object or a mistyped field → 400 naming `props`. */
export function parseUserSearch(body: unknown): UserSearchInput {
  if (!isObject(body)) throw invalidBodyParam('props');
  const str = (key: string): string => {
    const v = body[key] ?? '';
    if (typeof v !== 'string') throw invalidBodyParam('props');
    return v;
  };
  const opt = (key: string): string | undefined => str(key) || undefined;
  const bool = (key: string): boolean => {
    const v = body[key] ?? false;
    if (typeof v !== 'boolean') throw invalidBodyParam('props');
    return v;
  };
  const limit = body.limit ?? 0;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit)) throw invalidBodyParam('props');
  return {
    term: str('term'), team_id: opt('team_id'), not_in_team_id: opt('not_in_team_id'), in_channel_id: opt('in_channel_id'),
    not_in_channel_id: opt('not_in_channel_id'), allow_inactive: bool('allow_inactive'), without_team: bool('without_team'), limit,
  };
}

/**
 * `POST /users/search` (`searchUsers`): an empty `term` → 400 naming `term`; `not_in_channel_id`
 * without `team_id` → 400 naming `team_id`; `read_channel` on the channel filters, `view_team` on
 * the team filters (403); `limit` (0 = 100) above 1000 or negative → 400 naming `limit`. Prefix
 * matches (emails too unless `PrivacySettings.ShowEmailAddress` is off for a non-admin), by
 * username, inactive users only with `allow_inactive`.
 */
export function searchUsers(deps: ServiceContext, caller: Caller, input: UserSearchInput): UserRecord[] {
  const { store } = deps;
  const limit = input.limit === 0 ? SEARCH_DEFAULT_LIMIT : input.limit;
  if (input.term === '') throw invalidBodyParam('term');
  if (input.team_id === undefined && input.not_in_channel_id !== undefined) throw invalidBodyParam('team_id');
  for (const channelId of [input.in_channel_id, input.not_in_channel_id]) {
    if (channelId !== undefined && !sessionHasPermissionToChannel(store, caller, channelId, 'read_channel')) throw permissionError(caller.userId, 'read_channel');
  }
  for (const teamId of [input.team_id, input.not_in_team_id]) {
    if (teamId !== undefined && !sessionHasPermissionToTeam(store, caller, teamId, 'view_team')) throw permissionError(caller.userId, 'view_team');
  }
  if (limit <= 0 || limit > SEARCH_MAX_LIMIT) throw invalidBodyParam('limit');
  const scope = { inTeam: input.team_id, notInTeam: input.not_in_team_id, inChannel: input.in_channel_id, notInChannel: input.not_in_channel_id, withoutTeam: input.without_team };
  const withEmail = hasPermission(caller.roles, 'manage_system') || store.config.PrivacySettings?.ShowEmailAddress !== false;
  return filterUsers(deps, scope)
    .filter((u) => (input.allow_inactive || u.delete_at === 0) && matches(u, input.term, withEmail))
    .sort(byUsername)
    .slice(0, limit);
}

/** `model.UserAutocomplete`'s users: `out_of_channel` only when asked for a channel. */
export interface UserAutocomplete {
  users: UserRecord[];
  out_of_channel?: UserRecord[];
}

/**
 * `GET /users/autocomplete` (`autocompleteUsers`): `in_channel` needs `read_channel`, `in_team`
 * `view_team` (403); `in_channel` without `in_team` → `api.user.autocomplete_users.missing_team_id.app_error`.
 * With a channel: its matching members, and the team's matching non-members as `out_of_channel`;
 * with a team only: its matching members; else every matching user. Never on emails; active
 * users only, by username.
 */
export function autocompleteUsers(deps: ServiceContext, caller: Caller, options: { name: string; inTeam?: string; inChannel?: string; limit: number }): UserAutocomplete {
  const { store } = deps;
  if (options.inChannel !== undefined && !sessionHasPermissionToChannel(store, caller, options.inChannel, 'read_channel')) throw permissionError(caller.userId, 'read_channel');
  if (options.inTeam !== undefined && !sessionHasPermissionToTeam(store, caller, options.inTeam, 'view_team')) throw permissionError(caller.userId, 'view_team');
  const pick = (users: UserRecord[]): UserRecord[] => users
    .filter((u) => u.delete_at === 0 && matches(u, options.name, false))
    .sort(byUsername)
    .slice(0, options.limit);
  if (options.inChannel !== undefined) {
    if (options.inTeam === undefined) throw new AppError('api.user.autocomplete_users.missing_team_id.app_error', { detailed: `channelId=${options.inChannel}` });
    return { users: pick(filterUsers(deps, { inChannel: options.inChannel })), out_of_channel: pick(filterUsers(deps, { inTeam: options.inTeam, notInChannel: options.inChannel })) };
  }
  return { users: pick(filterUsers(deps, { inTeam: options.inTeam })) };
}
