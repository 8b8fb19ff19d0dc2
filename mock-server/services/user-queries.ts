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
import { isValidId } from '../../middleware/util/ids.js';
import { hasPermission } from '../../middleware/permissions/permissions.js';
import type { Principal } from '../../middleware/types.js';
import type { UserRecord } from '../db/schema.js';
import { sessionHasPermissionToChannel, sessionHasPermissionToTeam, type Caller } from './channel-permissions.js';
import type { ServiceContext } from './context.js';
import { isObject } from './input.js';
import { userJson, userJsonFor, type UserJson } from './users.js';

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** `GET /users/email/{email}`: invalid → 400 `invalid_url_param` naming `email`; unknown → 404 `app.user.get_by_email.app_error`. */
export function getUserByEmail(deps: ServiceContext, caller: Principal, email: string): UserJson {
  if (email.length > 128 || !EMAIL.test(email)) throw invalidUrlParam('email');
  const user = deps.store.findOne('users', 'email', email.toLowerCase());
  if (user === undefined) throw new AppError('app.user.get_by_email.app_error', { detailed: `email=${email}` });
  return userJsonFor(caller, user);
}

const profile = (u: UserRecord): UserJson => userJson(u, false);

/** `POST /users/ids`: the profiles of the ids that exist (`since`: only those updated after it). */
export function getUsersByIds(deps: ServiceContext, ids: readonly string[], since: number): UserJson[] {
  const out: UserJson[] = [];
  for (const id of ids) {
    const user = deps.store.get('users', id);
    if (user !== undefined && user.update_at > since) out.push(profile(user));
  }
  return out;
}

/** Decode `POST /users/usernames`: a non-empty array of strings (400 naming `usernames`). */
export function parseUsernames(body: unknown): string[] {
  if (!Array.isArray(body) || body.length === 0 || !body.every((v): v is string => typeof v === 'string')) throw invalidBodyParam('usernames');
  return [...new Set(body.map((v) => v.toLowerCase()))];
}

/** `POST /users/usernames`: the profiles of the usernames that exist. */
export function getUsersByUsernames(deps: ServiceContext, usernames: readonly string[]): UserJson[] {
  const out: UserJson[] = [];
  for (const name of usernames) {
    const user = deps.store.findOne('users', 'username', name);
    if (user !== undefined) out.push(profile(user));
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

/** The permission checks shared by `GET /users`, `POST /users/search` and `GET /users/autocomplete`. */
function checkScope(deps: ServiceContext, caller: Caller, scope: { inTeam?: string; notInTeam?: string; inChannel?: string; notInChannel?: string; withoutTeam?: boolean }): void {
  const { store } = deps;
  if (scope.withoutTeam === true && !hasPermission(caller.roles, 'list_users_without_team')) throw permissionError(caller.userId, 'list_users_without_team');
  for (const teamId of [scope.inTeam, scope.notInTeam]) {
    if (teamId !== undefined && !sessionHasPermissionToTeam(store, caller, teamId, 'view_team')) throw permissionError(caller.userId, 'view_team');
  }
  for (const channelId of [scope.inChannel, scope.notInChannel]) {
    if (channelId !== undefined && !sessionHasPermissionToChannel(store, caller, channelId, 'read_channel')) throw permissionError(caller.userId, 'read_channel');
  }
}

const SORTS = new Set(['', 'last_activity_at', 'create_at', 'status', 'display_name', 'admin']);

/**
 * `GET /users`: `sort` must be a known order (400 naming `sort`; `status` only with `in_channel`,
 * `last_activity_at` / `create_at` only without it); `not_in_channel` needs `in_team` (400
 * naming `team_id`); `active` and `inactive` together → 400 naming `inactive`; `without_team` needs
 * `list_users_without_team`, team filters `view_team`, channel filters `read_channel` (403).
 * Ordered by username unless sorted (`last_activity_at`, `create_at`: newest first).
 */
export function listUsers(deps: ServiceContext, caller: Caller, options: UserListOptions): UserJson[] {
  const sort = options.sort ?? '';
  if (!SORTS.has(sort)) throw invalidUrlParam('sort');
  if (options.inChannel !== undefined ? (sort === 'last_activity_at' || sort === 'create_at') : sort === 'status') throw invalidUrlParam('sort');
  if (options.notInChannel !== undefined && options.inTeam === undefined) throw invalidUrlParam('team_id');
  if (options.active === true && options.inactive === true) throw invalidUrlParam('inactive');
  checkScope(deps, caller, options);
  let users = filterUsers(deps, options);
  if (options.active === true) users = users.filter((u) => u.delete_at === 0);
  if (options.inactive === true) users = users.filter((u) => u.delete_at !== 0);
  if (options.role !== undefined && options.role !== '') users = users.filter((u) => u.roles.split(/\s+/).includes(options.role ?? ''));
  users.sort(sort === 'last_activity_at' ? (a, b) => b.last_activity_at - a.last_activity_at
    : sort === 'create_at' ? (a, b) => b.create_at - a.create_at
      : (a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  const start = options.page * options.perPage;
  return users.slice(start, start + options.perPage).map(profile);
}

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

/**
 * Decode `POST /users/search`: not an object or mistyped → 400 naming `search`; an empty `term`
 * → 400 naming `term`; ids must be valid (400 naming the field); `limit` above 1000 → 400 naming `limit`.
 */
export function parseUserSearch(body: unknown): UserSearchInput {
  if (!isObject(body)) throw invalidBodyParam('search');
  const id = (key: string): string | undefined => {
    const v = body[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string' || !isValidId(v)) throw invalidBodyParam(key);
    return v;
  };
  const term = body.term;
  if (term !== undefined && term !== null && typeof term !== 'string') throw invalidBodyParam('search');
  if (typeof term !== 'string' || term.trim() === '') throw invalidBodyParam('term');
  const limit = body.limit ?? 0;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit)) throw invalidBodyParam('search');
  if (limit > SEARCH_MAX_LIMIT) throw invalidBodyParam('limit');
  return {
    term, team_id: id('team_id'), not_in_team_id: id('not_in_team_id'), in_channel_id: id('in_channel_id'), not_in_channel_id: id('not_in_channel_id'),
    allow_inactive: body.allow_inactive === true, without_team: body.without_team === true, limit: limit <= 0 ? SEARCH_DEFAULT_LIMIT : limit,
  };
}

/** `POST /users/search`: the scope checks of {@link listUsers}; prefix matches ordered by username, inactive users only with `allow_inactive`. */
export function searchUsers(deps: ServiceContext, caller: Caller, input: UserSearchInput): UserJson[] {
  if (input.not_in_channel_id !== undefined && input.team_id === undefined) throw invalidBodyParam('team_id');
  const scope = { inTeam: input.team_id, notInTeam: input.not_in_team_id, inChannel: input.in_channel_id, notInChannel: input.not_in_channel_id, withoutTeam: input.without_team };
  checkScope(deps, caller, scope);
  const withEmail = hasPermission(caller.roles, 'manage_system');
  return filterUsers(deps, scope)
    .filter((u) => (input.allow_inactive || u.delete_at === 0) && matches(u, input.term, withEmail))
    .sort((a, b) => (a.username < b.username ? -1 : 1))
    .slice(0, input.limit)
    .map(profile);
}

/** `model.UserAutocomplete`: `out_of_channel` only when asked for a channel. */
export interface UserAutocompleteJson {
  users: UserJson[];
  out_of_channel?: UserJson[];
}

/**
 * `GET /users/autocomplete`: `in_channel` needs `read_channel`, `in_team` `view_team` (403). With a
 * channel: its matching members, and the team's matching non-members as `out_of_channel`; with a
 * team only: its matching members; else every matching user. Active users only, by username.
 */
export function autocompleteUsers(deps: ServiceContext, caller: Caller, options: { name: string; inTeam?: string; inChannel?: string; limit: number }): UserAutocompleteJson {
  checkScope(deps, caller, { inTeam: options.inTeam, inChannel: options.inChannel });
  const withEmail = hasPermission(caller.roles, 'manage_system');
  const pick = (users: UserRecord[]): UserJson[] => users
    .filter((u) => u.delete_at === 0 && matches(u, options.name, withEmail))
    .sort((a, b) => (a.username < b.username ? -1 : 1))
    .slice(0, options.limit)
    .map(profile);
  if (options.inChannel !== undefined) {
    const inChannel = pick(filterUsers(deps, { inChannel: options.inChannel }));
    const outside = options.inTeam === undefined ? [] : pick(filterUsers(deps, { inTeam: options.inTeam, notInChannel: options.inChannel }));
    return { users: inChannel, out_of_channel: outside };
  }
  return { users: pick(filterUsers(deps, { inTeam: options.inTeam })) };
}
