/**
 * Channels and channel memberships (Mattermost `api4/channel.go` + `app/channel.go` rules):
 * public (`O`) and private (`P`) team channels, direct-message channels (`D`, named by the two
 * sorted user ids joined with `__`, idempotent), members with `channel_user` / `channel_admin`
 * roles. Every lookup goes through a store index (`channels.team_name`, `channelMembers` keys and
 * `channelMembers.user_id`).
 *
 * @example
 * ```ts
 * const channel = await createChannel(server, principal, { team_id, name: 'builds', display_name: 'Builds', type: 'O' });
 * const { channel: dm } = await createDirectChannel(server, principal, [principal.userId, otherId]);
 * channelJson(channel); // Mattermost's Channel JSON
 * ```
 */
import { decodeBody, goString, goStruct } from '../schemas/json.js';
import { AppError, invalidBodyParam, permissionError } from '../errors.js';
import { isValidId, newId } from '../../middleware/util/ids.js';
import { hasPermission } from '../../middleware/permissions/permissions.js';
import { commitThenEmit } from './commit.js';
import type { ServiceContext } from './context.js';
import type { ChannelMemberRecord, ChannelRecord, ChannelType, Mutation, Store } from '../db/schema.js';
import { channelMemberKey, channelNameKey, teamMemberKey } from '../db/keys.js';
import {
  channelGrants, channelReadDenied, sessionHasPermissionToChannel, sessionHasPermissionToTeam,
  type Caller,
} from './channel-permissions.js';
import { sessionHasPermissionToUser } from './access.js';
import { schemeRolesJson, type SchemeRolesJson } from './scheme-roles.js';
import { isObject, runes } from './input.js';
import { directAddedEvent, userAddedEvent } from '../websocket/events.js';

/** What the channel service needs from the server. */
export type ChannelDeps = Pick<ServiceContext, 'store' | 'hooks' | 'now' | 'publish'>;

/** Channel JSON as Mattermost serialises `model.Channel`. */
export interface ChannelJson extends Required<ChannelRecord> {
  extra_update_at: number;
  scheme_id: null;
  props: null;
  group_constrained: null;
  shared: null;
  policy_id: null;
}

/** Channel member JSON as Mattermost serialises `model.ChannelMember`. */
export interface ChannelMemberJson extends ChannelMemberRecord, SchemeRolesJson {
  mention_count_root: number;
  urgent_mention_count: number;
  msg_count_root: number;
}

/** `model.GetDefaultChannelNotifyProps`. */
export const DEFAULT_CHANNEL_NOTIFY_PROPS: Readonly<Record<string, string>> = Object.freeze({
  desktop: 'default', desktop_threads: 'all', email: 'default', mark_unread: 'all', push: 'default',
  push_threads: 'all', ignore_channel_mentions: 'default', channel_auto_follow_threads: 'off',
});

const CHANNEL_NAME = /^[a-z0-9]+([a-z\-_0-9]+|(__)?)[a-z0-9]*$/;

/** Mattermost's `IsValidChannelIdentifier` (1–64 lowercase letters, digits, `-`, `_`). */
export function isValidChannelName(name: string): boolean {
  return name.length >= 1 && name.length <= 64 && CHANNEL_NAME.test(name);
}

/** The name of the DM channel between two users: the sorted ids joined with `__`. */
export function directChannelName(userA: string, userB: string): string {
  return userA < userB ? `${userA}__${userB}` : `${userB}__${userA}`;
}

/** Serialise a channel row. */
export function channelJson(c: ChannelRecord): ChannelJson {
  return {
    id: c.id, create_at: c.create_at, update_at: c.update_at, delete_at: c.delete_at, team_id: c.team_id, type: c.type,
    display_name: c.display_name, name: c.name, header: c.header, purpose: c.purpose, last_post_at: c.last_post_at,
    total_msg_count: c.total_msg_count, extra_update_at: 0, creator_id: c.creator_id, scheme_id: null, props: null,
    group_constrained: null, shared: null, total_msg_count_root: c.total_msg_count_root ?? c.total_msg_count,
    policy_id: null, last_root_post_at: c.last_root_post_at ?? c.last_post_at,
  };
}

/** Serialise a channel member row (scheme flags derived from the roles string). */
export function channelMemberJson(m: ChannelMemberRecord): ChannelMemberJson {
  return {
    channel_id: m.channel_id, user_id: m.user_id, roles: m.roles, last_viewed_at: m.last_viewed_at, msg_count: m.msg_count,
    mention_count: m.mention_count, mention_count_root: 0, urgent_mention_count: 0, msg_count_root: m.msg_count,
    notify_props: m.notify_props, last_update_at: m.last_update_at, ...schemeRolesJson(m.roles, 'channel'),
  };
}

/** A new channel row with Mattermost's defaults. */
export function newChannelRecord(fields: Pick<ChannelRecord, 'team_id' | 'type' | 'name' | 'display_name'> & Partial<ChannelRecord>, now: number): ChannelRecord {
  return {
    id: newId(), create_at: now, update_at: now, delete_at: 0, header: '', purpose: '', last_post_at: 0,
    total_msg_count: 0, creator_id: '', last_root_post_at: 0, total_msg_count_root: 0, ...fields,
  };
}

/** A new channel member row (`channel_user`, default notify props). */
export function newChannelMember(channelId: string, userId: string, roles: string, now: number): ChannelMemberRecord {
  return {
    channel_id: channelId, user_id: userId, roles, last_viewed_at: 0, msg_count: 0, mention_count: 0,
    notify_props: { ...DEFAULT_CHANNEL_NOTIFY_PROPS }, last_update_at: now,
  };
}

function channelNotFound(channelId: string): AppError {
  return new AppError('app.channel.get.existing.app_error', { detailed: `channel_id=${channelId}` });
}

/** `GetChannel`: the channel row or 404 `app.channel.get.existing.app_error`. */
export function findChannel(store: Store, channelId: string): ChannelRecord {
  const channel = store.get('channels', channelId);
  if (channel === undefined) throw channelNotFound(channelId);
  return channel;
}

/** The fields of a `POST /channels` body. */
export interface ChannelInput {
  team_id: string;
  name: string;
  display_name: string;
  type: string;
  header: string;
  purpose: string;
}

/** Decode a `POST /channels` body (not an object or a mistyped field → 400 invalid_body_param `channel`). */
export function parseChannelInput(body: unknown): ChannelInput {
  return decodeBody(CHANNEL_INPUT, body, 'channel');
}

/** The `model.Channel` fields `POST /channels` reads. */
const CHANNEL_INPUT = goStruct({ team_id: goString, name: goString, display_name: goString, type: goString, header: goString, purpose: goString });

function validateChannel(input: ChannelInput): ChannelType {
  if (runes(input.display_name) > 64) throw new AppError('model.channel.is_valid.display_name.app_error');
  if (!isValidChannelName(input.name)) throw new AppError('model.channel.is_valid.1_or_more.app_error');
  if (runes(input.header) > 1024) throw new AppError('model.channel.is_valid.header.app_error');
  if (runes(input.purpose) > 250) throw new AppError('model.channel.is_valid.purpose.app_error');
  if (input.type !== 'O' && input.type !== 'P') throw new AppError('model.channel.is_valid.type.app_error');
  return input.type;
}

/**
 * `POST /channels`: `team_id` and `display_name` required (400 naming them); `create_public_channel`
 * / `create_private_channel` on the team (403); DM/GM types refused (400); model validation; a
 * duplicate name in the team → 400 `store.sql_channel.save_channel.exists.app_error`. The creator
 * becomes a member with `channel_user channel_admin`.
 */
export async function createChannel(deps: ChannelDeps, caller: Caller, input: ChannelInput): Promise<ChannelRecord> {
  const { store } = deps;
  if (input.team_id === '') throw invalidBodyParam('team_id');
  if (input.display_name === '') throw invalidBodyParam('display_name');
  if (input.type === 'O' && !sessionHasPermissionToTeam(store, caller, input.team_id, 'create_public_channel')) {
    throw permissionError(caller.userId, 'create_public_channel');
  }
  if (input.type === 'P' && !sessionHasPermissionToTeam(store, caller, input.team_id, 'create_private_channel')) {
    throw permissionError(caller.userId, 'create_private_channel');
  }
  if (input.type === 'D' || input.type === 'G') throw new AppError('api.channel.create_channel.direct_channel.app_error');
  const team = store.get('teams', input.team_id);
  if (team === undefined) throw new AppError('app.team.get.find.app_error', { detailed: `team_id=${input.team_id}` });
  const type = validateChannel(input);
  if (store.findOne('channels', 'team_name', channelNameKey(team.id, input.name)) !== undefined) {
    throw new AppError('store.sql_channel.save_channel.exists.app_error');
  }
  const now = deps.now();
  const channel = newChannelRecord({
    team_id: team.id, type, name: input.name, display_name: input.display_name, header: input.header, purpose: input.purpose, creator_id: caller.userId,
  }, now);
  await commitThenEmit(deps, [
    { op: 'put', collection: 'channels', record: channel },
    { op: 'put', collection: 'channelMembers', record: newChannelMember(channel.id, caller.userId, 'channel_user channel_admin', now) },
  ]);
  return channel;
}

/** `GET /channels/{id}`: 404 when unknown; 403 naming `read_public_channel` / `read_channel`. */
export function getChannel(deps: ChannelDeps, caller: Caller, channelId: string): ChannelRecord {
  const channel = findChannel(deps.store, channelId);
  const denied = channelReadDenied(deps.store, caller, channel);
  if (denied !== undefined) throw permissionError(caller.userId, denied);
  return channel;
}

/**
 * `GET /teams/{team_id}/channels/name/{name}`: 404 `app.channel.get_by_name.missing.app_error` when
 * unknown (or archived without `includeDeleted`); a public channel the caller may not read → 403
 * naming `read_public_channel`; a private one → the same 404 (its existence is not revealed).
 */
export function getChannelByName(deps: ChannelDeps, caller: Caller, teamId: string, name: string, includeDeleted: boolean): ChannelRecord {
  const missing = () => new AppError('app.channel.get_by_name.missing.app_error', { detailed: `teamId=${teamId}, name=${name}` });
  const channel = deps.store.findOne('channels', 'team_name', channelNameKey(teamId, name));
  if (channel === undefined || (!includeDeleted && channel.delete_at !== 0)) throw missing();
  const denied = channelReadDenied(deps.store, caller, channel);
  if (denied !== undefined) {
    if (channel.type === 'O') throw permissionError(caller.userId, denied);
    throw missing();
  }
  return channel;
}

/** The fields of a `POST /channels/{id}/members` body. */
export interface ChannelMemberInput {
  user_id: string;
  post_root_id?: string;
}

/** Decode an add-member body like `StringInterfaceFromJSON` (invalid JSON → {}): `user_id` must be a valid id. */
export function parseChannelMemberInput(body: unknown): ChannelMemberInput {
  const props = isObject(body) ? body : {};
  const userId = props.user_id;
  if (typeof userId !== 'string' || !isValidId(userId)) throw invalidBodyParam('user_id');
  const root = props.post_root_id;
  if (typeof root === 'string' && root !== '' && !isValidId(root)) throw invalidBodyParam('post_root_id');
  return typeof root === 'string' && root !== '' ? { user_id: userId, post_root_id: root } : { user_id: userId };
}

/**
 * `POST /channels/{id}/members`: DMs/GMs refused (400). Joining a public channel yourself needs
 * `join_public_channels` on the team; adding someone else needs `manage_public_channel_members` /
 * `manage_private_channel_members` on the channel. The user must exist (404) and be an active
 * member of the channel's team (404 / 400). Adding an existing member returns the membership.
 */
export async function addChannelMember(deps: ChannelDeps, caller: Caller, channelId: string, input: ChannelMemberInput): Promise<ChannelMemberRecord> {
  const { store } = deps;
  if (input.post_root_id !== undefined) {
    const root = store.get('posts', input.post_root_id);
    if (root === undefined || root.delete_at !== 0) throw new AppError('app.post.get.app_error');
    if (root.channel_id !== channelId) throw invalidBodyParam('post_root_id');
  }
  const channel = findChannel(store, channelId);
  if (channel.type === 'D' || channel.type === 'G') throw new AppError('api.channel.add_user_to_channel.type.app_error');
  const existing = store.get('channelMembers', channelMemberKey(channel.id, input.user_id));
  const self = input.user_id === caller.userId;
  if (!(self && existing !== undefined)) {
    if (channel.type === 'O' && self) {
      if (!sessionHasPermissionToTeam(store, caller, channel.team_id, 'join_public_channels')) throw permissionError(caller.userId, 'join_public_channels');
    } else {
      const permission = channel.type === 'O' ? 'manage_public_channel_members' : 'manage_private_channel_members';
      if (!channelGrants(store, caller, channel, permission)) throw permissionError(caller.userId, permission);
    }
  }
  const user = store.get('users', input.user_id);
  if (user === undefined) throw new AppError('app.user.missing_account.const');
  const teamMember = store.get('teamMembers', teamMemberKey(channel.team_id, user.id));
  if (teamMember === undefined) throw new AppError('app.team.get_member.missing.app_error');
  if (teamMember.delete_at !== 0) throw new AppError('api.channel.add_user.to.channel.failed.deleted.app_error');
  if (existing !== undefined) return existing;
  const member = newChannelMember(channel.id, user.id, 'channel_user', deps.now());
  await commitThenEmit(deps, [{ op: 'put', collection: 'channelMembers', record: member }], { ws: [userAddedEvent(channel.id, channel.team_id, user.id)] });
  return member;
}

/** `GET /channels/{id}/members/{user_id}`: `read_channel` on the channel (403), then 404 when not a member. */
export function getChannelMember(deps: ChannelDeps, caller: Caller, channelId: string, userId: string): ChannelMemberRecord {
  const { store } = deps;
  if (!sessionHasPermissionToChannel(store, caller, channelId, 'read_channel')) throw permissionError(caller.userId, 'read_channel');
  const member = store.get('channelMembers', channelMemberKey(channelId, userId));
  if (member === undefined) throw new AppError('app.channel.get_member.missing.app_error', { detailed: `channel_id=${channelId}, user_id=${userId}` });
  return member;
}

/**
 * The DM channel between two users: the existing one (no mutations), or a new `D` channel with
 * both users as `channel_user` members (one member for a self-DM).
 */
export function directChannelMutations(store: Store, userA: string, userB: string, creatorId: string, now: number): { channel: ChannelRecord; mutations: Mutation[]; created: boolean } {
  const name = directChannelName(userA, userB);
  const existing = store.findOne('channels', 'team_name', `:${name}`);
  if (existing !== undefined) return { channel: existing, mutations: [], created: false };
  const channel = newChannelRecord({ team_id: '', type: 'D', name, display_name: '', creator_id: creatorId }, now);
  const mutations: Mutation[] = [{ op: 'put', collection: 'channels', record: channel }];
  for (const userId of new Set([userA, userB])) {
    mutations.push({ op: 'put', collection: 'channelMembers', record: newChannelMember(channel.id, userId, 'channel_user', now) });
  }
  return { channel, mutations, created: true };
}

/** Decode a `POST /channels/direct` body like `ArrayFromJSON`: exactly two valid user ids. */
export function parseDirectChannelInput(body: unknown): [string, string] {
  const ids = Array.isArray(body) && body.every((v) => typeof v === 'string') ? body as string[] : [];
  if (ids.length !== 2) throw invalidBodyParam('user_ids');
  for (const id of ids) if (!isValidId(id)) throw invalidBodyParam('user_id');
  return [ids[0], ids[1]];
}

/**
 * `POST /channels/direct`: `create_direct_channel` (403); a DM between two other users needs
 * `manage_system` (403); both users must exist (400 `api.channel.create_direct_channel.invalid_user.app_error`).
 * Idempotent: the same pair (in either order) always yields the same channel.
 */
export async function createDirectChannel(deps: ChannelDeps, caller: Caller, userIds: [string, string]): Promise<{ channel: ChannelRecord; created: boolean }> {
  const { store } = deps;
  if (!hasPermission(caller.roles, 'create_direct_channel')) throw permissionError(caller.userId, 'create_direct_channel');
  if (!userIds.includes(caller.userId) && !hasPermission(caller.roles, 'manage_system')) throw permissionError(caller.userId, 'manage_system');
  for (const id of userIds) {
    if (store.get('users', id) === undefined) throw new AppError('api.channel.create_direct_channel.invalid_user.app_error', { detailed: `user_id=${id}` });
  }
  const result = directChannelMutations(store, userIds[0], userIds[1], caller.userId, deps.now());
  if (result.mutations.length > 0) {
    // `handleCreationEvent`: the creator is the caller, the teammate the other user.
    const teammate = userIds[0] === caller.userId ? userIds[1] : userIds[0];
    await commitThenEmit(deps, result.mutations, { ws: [directAddedEvent(result.channel.id, caller.userId, teammate)] });
  }
  return { channel: result.channel, created: result.created };
}

/**
 * `GET /users/{user_id}/teams/{team_id}/channels`: the user's channels in the team plus their DMs
 * and GMs, by display name. 403 naming `edit_other_users` / `view_team`; no channel → 404
 * `app.channel.get_channels.not_found.app_error` (as Mattermost answers).
 */
export function channelsForTeamForUser(deps: ChannelDeps, caller: Caller, userId: string, teamId: string, includeDeleted: boolean): ChannelRecord[] {
  const { store } = deps;
  if (!sessionHasPermissionToUser(store, caller, userId)) throw permissionError(caller.userId, 'edit_other_users');
  if (!sessionHasPermissionToTeam(store, caller, teamId, 'view_team')) throw permissionError(caller.userId, 'view_team');
  const channels: ChannelRecord[] = [];
  for (const member of store.findMany('channelMembers', 'user_id', userId)) {
    const channel = store.get('channels', member.channel_id);
    if (channel === undefined || (channel.team_id !== teamId && channel.team_id !== '')) continue;
    if (!includeDeleted && channel.delete_at !== 0) continue;
    channels.push(channel);
  }
  if (channels.length === 0) throw new AppError('app.channel.get_channels.not_found.app_error');
  return channels.sort((a, b) => (a.display_name < b.display_name ? -1 : a.display_name > b.display_name ? 1 : 0));
}
