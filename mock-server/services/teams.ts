/**
 * Teams and team memberships (Mattermost `api4/team.go` + `app/team.go` rules): creating a team
 * (`create_team`) also creates its default channels Town Square and Off-Topic and makes the
 * creator a `team_user team_admin` member; joining a team (yourself on an open team, or added by
 * someone with `add_user_to_team`) also joins its default channels. Team JSON is sanitized
 * (`email`, `invite_id` blanked) for callers without `manage_team` on the team.
 *
 * @example
 * ```ts
 * const team = await createTeam(server, principal, parseTeamInput({ name: 'eng', display_name: 'Eng', type: 'O' }));
 * await addTeamMember(server, principal, team.id, parseTeamMemberInput({ team_id: team.id, user_id }, team.id));
 * teamJson(team, !canManageTeam(server.store, principal, team.id));
 * ```
 */
import { decodeBody, goBool, goString, goStruct } from '../schemas/json.js';
import { AppError, invalidBodyParam, permissionError } from '../errors.js';
import { isValidId, newId } from '../../middleware/util/ids.js';
import { hasPermission } from '../../middleware/permissions/permissions.js';
import { commitThenEmit } from './commit.js';
import type { ServiceContext, WebSocketEvent } from './context.js';
import type { Mutation, Store, TeamMemberRecord, TeamRecord } from '../db/schema.js';
import { channelMemberKey, channelNameKey, teamMemberKey } from '../db/keys.js';
import { sessionHasPermissionToTeam, type Caller } from './channel-permissions.js';
import { newChannelMember, newChannelRecord } from './channels.js';
import { schemeRolesJson, type SchemeRolesJson } from './scheme-roles.js';
import { isObject, runes } from './input.js';
import { addedToTeamEvent, userAddedEvent } from '../websocket/events.js';

/** What the team service needs from the server. */
export type TeamDeps = Pick<ServiceContext, 'store' | 'hooks' | 'now' | 'publish'>;

/** Team JSON as Mattermost serialises `model.Team`. */
export interface TeamJson extends Required<TeamRecord> {
  scheme_id: null;
  group_constrained: null;
  policy_id: null;
  cloud_limits_archived: boolean;
}

/** Team member JSON as Mattermost serialises `model.TeamMember`. */
export interface TeamMemberJson extends TeamMemberRecord, SchemeRolesJson {}

/** The fields of a `POST /teams` body. */
export interface TeamInput {
  name: string;
  display_name: string;
  description: string;
  type: string;
  company_name: string;
  allowed_domains: string;
  allow_open_invite: boolean;
}

/** Mattermost's reserved team-name prefixes (`model.reservedName`). */
const RESERVED_PREFIXES = ['admin', 'api', 'channel', 'claim', 'error', 'files', 'help', 'landing', 'login', 'mfa', 'oauth', 'plug', 'plugins', 'post', 'signup', 'boards', 'playbooks'];
const TEAM_NAME = /^[a-z0-9]+([a-z\-0-9]+|(__)?)[a-z0-9]+$/;
/** The channels every team gets and every new member joins. */
export const DEFAULT_CHANNELS: ReadonlyArray<{ name: string; display_name: string }> = [
  { name: 'town-square', display_name: 'Town Square' },
  { name: 'off-topic', display_name: 'Off-Topic' },
];

/** Mattermost's `IsValidTeamName` (2+ lowercase letters, digits and `-`). */
export function isValidTeamName(name: string): boolean {
  return name.length >= 2 && TEAM_NAME.test(name);
}

/** Mattermost's `IsReservedTeamName` (prefix match, case-insensitive). */
export function isReservedTeamName(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/** Serialise a team row; `sanitize` blanks `email` and `invite_id` (`Team.Sanitize`). */
export function teamJson(team: TeamRecord, sanitize: boolean): TeamJson {
  return {
    id: team.id, create_at: team.create_at, update_at: team.update_at, delete_at: team.delete_at,
    display_name: team.display_name, name: team.name, description: team.description,
    email: sanitize ? '' : team.email, type: team.type, company_name: team.company_name ?? '',
    allowed_domains: team.allowed_domains ?? '', invite_id: sanitize ? '' : team.invite_id ?? '',
    allow_open_invite: team.allow_open_invite, scheme_id: null, group_constrained: null, policy_id: null,
    cloud_limits_archived: false,
  };
}

/** Serialise a team member row (scheme flags derived from the roles string). */
export function teamMemberJson(m: TeamMemberRecord): TeamMemberJson {
  return { team_id: m.team_id, user_id: m.user_id, roles: m.roles, delete_at: m.delete_at, ...schemeRolesJson(m.roles, 'team') };
}

/** `SanitizeTeam`: false when the caller has `manage_team` on the team (then nothing is blanked). */
export function shouldSanitizeTeam(store: Store, caller: Caller, teamId: string): boolean {
  return !sessionHasPermissionToTeam(store, caller, teamId, 'manage_team');
}

/** Decode a `POST /teams` body (not an object or a mistyped field → 400 invalid_body_param `team`). */
export function parseTeamInput(body: unknown): TeamInput {
  return decodeBody(TEAM_INPUT, body, 'team');
}

/** The `model.Team` fields `POST /teams` reads. */
const TEAM_INPUT = goStruct({
  name: goString, display_name: goString, description: goString, type: goString, company_name: goString,
  allowed_domains: goString, allow_open_invite: goBool,
});

function validateTeam(input: TeamInput): 'O' | 'I' {
  const displayRunes = runes(input.display_name);
  if (displayRunes === 0 || displayRunes > 64) throw new AppError('model.team.is_valid.name.app_error');
  if (input.name.length > 64) throw new AppError('model.team.is_valid.url.app_error');
  if (runes(input.description) > 255) throw new AppError('model.team.is_valid.description.app_error');
  if (isReservedTeamName(input.name)) throw new AppError('model.team.is_valid.reserved.app_error');
  if (!isValidTeamName(input.name)) throw new AppError('model.team.is_valid.characters.app_error');
  if (input.type !== 'O' && input.type !== 'I') throw new AppError('model.team.is_valid.type.app_error');
  if (runes(input.company_name) > 64) throw new AppError('model.team.is_valid.company.app_error');
  if (input.allowed_domains.length > 1000) throw new AppError('model.team.is_valid.domains.app_error');
  return input.type;
}

/**
 * The mutations that make `userId` an active member of `team` with `roles` (re-activating a left
 * membership) and join the team's default channels.
 */
export function joinTeamMutations(store: Store, team: TeamRecord, userId: string, roles: string, now: number): Mutation[] {
  const mutations: Mutation[] = [{ op: 'put', collection: 'teamMembers', record: { team_id: team.id, user_id: userId, roles, delete_at: 0 } }];
  for (const { name } of DEFAULT_CHANNELS) {
    const channel = store.findOne('channels', 'team_name', channelNameKey(team.id, name));
    if (channel === undefined || channel.delete_at !== 0) continue;
    if (store.get('channelMembers', channelMemberKey(channel.id, userId)) !== undefined) continue;
    mutations.push({ op: 'put', collection: 'channelMembers', record: newChannelMember(channel.id, userId, 'channel_user', now) });
  }
  return mutations;
}

/**
 * `POST /teams` (`CreateTeamWithUser`): `create_team` (403
 * `api.team.is_team_creation_allowed.disabled.app_error`); the team's email is the creator's;
 * model validation (400); a taken name → 400 `store.sql_team.save_team.existing.app_error`.
 */
export async function createTeam(deps: TeamDeps, caller: Caller, input: TeamInput): Promise<TeamRecord> {
  const { store } = deps;
  if (!hasPermission(caller.roles, 'create_team')) throw new AppError('api.team.is_team_creation_allowed.disabled.app_error');
  const user = store.get('users', caller.userId);
  if (user === undefined) throw new AppError('app.user.missing_account.const');
  const type = validateTeam(input);
  if (store.findOne('teams', 'name', input.name) !== undefined) throw new AppError('store.sql_team.save_team.existing.app_error');
  const now = deps.now();
  const team: TeamRecord = {
    id: newId(), create_at: now, update_at: now, delete_at: 0, display_name: input.display_name, name: input.name,
    description: input.description, email: user.email, type, allow_open_invite: input.allow_open_invite,
    invite_id: newId(), company_name: input.company_name, allowed_domains: input.allowed_domains,
  };
  const mutations: Mutation[] = [{ op: 'put', collection: 'teams', record: team }];
  for (const { name, display_name } of DEFAULT_CHANNELS) {
    const channel = newChannelRecord({ team_id: team.id, type: 'O', name, display_name }, now);
    mutations.push({ op: 'put', collection: 'channels', record: channel });
    mutations.push({ op: 'put', collection: 'channelMembers', record: newChannelMember(channel.id, user.id, 'channel_user', now) });
  }
  mutations.push({ op: 'put', collection: 'teamMembers', record: { team_id: team.id, user_id: user.id, roles: 'team_user team_admin', delete_at: 0 } });
  await commitThenEmit(deps, mutations, { ws: joinedTeamEvents(team.id, user.id, mutations) });
  return team;
}

/**
 * `JoinUserToTeam` + `JoinDefaultChannels`, the events to publish once committed: `added_to_team` to the user, `user_added` to each
 * channel the user was just made a member of.
 */
function joinedTeamEvents(teamId: string, userId: string, mutations: readonly Mutation[]): WebSocketEvent[] {
  const events = [addedToTeamEvent(teamId, userId)];
  for (const m of mutations) {
    if (m.op === 'put' && m.collection === 'channelMembers') events.push(userAddedEvent(m.record.channel_id, teamId, m.record.user_id));
  }
  return events;
}

function teamNotFound(detail: string): AppError {
  return new AppError('app.team.get.find.app_error', { detailed: detail });
}

/** `GetTeam`: the team row or 404 `app.team.get.find.app_error`. */
export function findTeam(store: Store, teamId: string): TeamRecord {
  const team = store.get('teams', teamId);
  if (team === undefined) throw teamNotFound(`id=${teamId}`);
  return team;
}

function requireViewTeam(store: Store, caller: Caller, team: TeamRecord): void {
  if ((!team.allow_open_invite || team.type !== 'O') && !sessionHasPermissionToTeam(store, caller, team.id, 'view_team')) {
    throw permissionError(caller.userId, 'view_team');
  }
}

/** `GET /teams/{id}`: 404 when unknown; invite-only teams need `view_team` (403). */
export function getTeam(deps: TeamDeps, caller: Caller, teamId: string): TeamRecord {
  const team = findTeam(deps.store, teamId);
  requireViewTeam(deps.store, caller, team);
  return team;
}

/** `GET /teams/name/{name}`: 404 `app.team.get_by_name.missing.app_error` when unknown; then as {@link getTeam}. */
export function getTeamByName(deps: TeamDeps, caller: Caller, name: string): TeamRecord {
  const team = deps.store.findOne('teams', 'name', name);
  if (team === undefined) throw new AppError('app.team.get_by_name.missing.app_error', { detailed: `name=${name}` });
  requireViewTeam(deps.store, caller, team);
  return team;
}

/**
 * `GET /teams`: all teams with `list_private_teams` + `list_public_teams`, open-invite ones with
 * `list_public_teams`, invite-only ones with `list_private_teams`; neither → 403
 * `api.team.get_all_teams.insufficient_permissions`. Not deleted, by display name, paged.
 */
export function listTeams(deps: TeamDeps, caller: Caller, page: number, perPage: number): { teams: TeamRecord[]; total: number } {
  const listPrivate = hasPermission(caller.roles, 'list_private_teams');
  const listPublic = hasPermission(caller.roles, 'list_public_teams');
  if (!listPrivate && !listPublic) throw new AppError('api.team.get_all_teams.insufficient_permissions');
  const teams = [...deps.store.all('teams')].filter((t) => t.delete_at === 0
    && (listPrivate && listPublic ? true : listPublic ? t.allow_open_invite : !t.allow_open_invite));
  teams.sort((a, b) => (a.display_name < b.display_name ? -1 : a.display_name > b.display_name ? 1 : 0));
  return { teams: teams.slice(page * perPage, page * perPage + perPage), total: teams.length };
}

/** Decode a `POST /teams/{id}/members` body: not an object → 400 `api.team.add_team_member.invalid_body.app_error`; `team_id` must match the URL, `user_id` must be valid (400). */
export function parseTeamMemberInput(body: unknown, teamId: string): { user_id: string } {
  if (!isObject(body)) throw new AppError('api.team.add_team_member.invalid_body.app_error');
  for (const key of ['team_id', 'user_id', 'roles']) {
    const value = body[key];
    if (value !== undefined && value !== null && typeof value !== 'string') throw new AppError('api.team.add_team_member.invalid_body.app_error');
  }
  const bodyTeam = typeof body.team_id === 'string' ? body.team_id : '';
  const userId = typeof body.user_id === 'string' ? body.user_id : '';
  if (bodyTeam !== teamId) throw invalidBodyParam('team_id');
  if (!isValidId(userId)) throw invalidBodyParam('user_id');
  return { user_id: userId };
}

/**
 * `POST /teams/{id}/members`: joining yourself needs `join_public_teams` (open-invite team) or
 * `join_private_teams`; adding someone else needs `add_user_to_team` on the team (team admins and
 * members have it). The user must exist (404). Adding an active member returns the membership.
 */
export async function addTeamMember(deps: TeamDeps, caller: Caller, teamId: string, input: { user_id: string }): Promise<TeamMemberRecord> {
  const { store } = deps;
  if (input.user_id === caller.userId) {
    const team = findTeam(store, teamId);
    const permission = team.allow_open_invite ? 'join_public_teams' : 'join_private_teams';
    if (!hasPermission(caller.roles, permission)) throw permissionError(caller.userId, permission);
  } else if (!sessionHasPermissionToTeam(store, caller, teamId, 'add_user_to_team')) {
    throw permissionError(caller.userId, 'add_user_to_team');
  }
  const team = findTeam(store, teamId);
  const user = store.get('users', input.user_id);
  if (user === undefined) throw new AppError('app.user.missing_account.const');
  const existing = store.get('teamMembers', teamMemberKey(team.id, user.id));
  if (existing !== undefined && existing.delete_at === 0) return existing;
  const mutations = joinTeamMutations(store, team, user.id, 'team_user', deps.now());
  await commitThenEmit(deps, mutations, { ws: joinedTeamEvents(team.id, user.id, mutations) });
  return store.get('teamMembers', teamMemberKey(team.id, user.id)) ?? { team_id: team.id, user_id: user.id, roles: 'team_user', delete_at: 0 };
}

/** `GET /teams/{id}/members/{user_id}`: `view_team` on the team (403), then 404 when not a member. */
export function getTeamMember(deps: TeamDeps, caller: Caller, teamId: string, userId: string): TeamMemberRecord {
  const { store } = deps;
  if (!sessionHasPermissionToTeam(store, caller, teamId, 'view_team')) throw permissionError(caller.userId, 'view_team');
  const member = store.get('teamMembers', teamMemberKey(teamId, userId));
  if (member === undefined) throw new AppError('app.team.get_member.missing.app_error', { detailed: `team_id=${teamId}, user_id=${userId}` });
  return member;
}

/**
 * `GET /users/{user_id}/teams`: yourself, or with `sysconsole_read_user_management_users` (403
 * naming it). The user's active memberships of undeleted teams.
 */
export function teamsForUser(deps: TeamDeps, caller: Caller, userId: string): TeamRecord[] {
  const { store } = deps;
  if (caller.userId !== userId && !hasPermission(caller.roles, 'sysconsole_read_user_management_users')) {
    throw permissionError(caller.userId, 'sysconsole_read_user_management_users');
  }
  const teams: TeamRecord[] = [];
  for (const member of store.findMany('teamMembers', 'user_id', userId)) {
    if (member.delete_at !== 0) continue;
    const team = store.get('teams', member.team_id);
    if (team !== undefined && team.delete_at === 0) teams.push(team);
  }
  return teams;
}
