/**
 * Channel membership beyond joining (Mattermost `api4/channel.go` `getChannelMembers`,
 * `getChannelMembersByIds`, `removeChannelMember`, `getChannelStats`, `viewChannel` +
 * `app/channel.go`): pages of members, members by ids, removal (publishing `user_removed` to the
 * channel and to the removed user), channel stats, and marking channels viewed (publishing
 * `multiple_channels_viewed` to the viewer).
 *
 * @example
 * ```ts
 * channelMembersPage(server, caller, channelId, { page: 0, perPage: 60 });
 * await removeChannelMember(server, caller, channelId, userId);
 * await viewChannel(server, caller, caller.userId, parseChannelView({ channel_id: channelId }));
 * ```
 */
import * as v from 'valibot';
import { decodeBody, goString, goStruct } from '../schemas/json.js';
import { AppError, invalidBodyParam, invalidUrlParam, permissionError } from '../errors.js';
import { isValidId } from '../../middleware/util/ids.js';
import type { ChannelMemberRecord, Mutation } from '../db/schema.js';
import { sessionHasPermissionToUser } from './access.js';
import { channelGrants, sessionHasPermissionToChannel, type Caller } from './channel-permissions.js';
import { DEFAULT_CHANNEL_NAME } from './channel-lifecycle.js';
import { findChannel } from './channels.js';
import { commitThenEmit } from './commit.js';
import type { ServiceContext } from './context.js';
import { channelMemberKey } from '../db/keys.js';

function requireReadChannel(deps: ServiceContext, caller: Caller, channelId: string): void {
  if (!sessionHasPermissionToChannel(deps.store, caller, channelId, 'read_channel')) throw permissionError(caller.userId, 'read_channel');
}

/** `GET /channels/{id}/members`: `read_channel` (403, also for an unknown channel); one page, in join order. */
export function channelMembersPage(deps: ServiceContext, caller: Caller, channelId: string, paging: { page: number; perPage: number }): ChannelMemberRecord[] {
  requireReadChannel(deps, caller, channelId);
  const start = paging.page * paging.perPage;
  return deps.store.findMany('channelMembers', 'channel_id', channelId).slice(start, start + paging.perPage);
}

/** Decode a JSON array of strings like `ArrayFromJSON` (anything else decodes as empty): empty → 400 naming `name`. */
export function parseStringArray(body: unknown, name: string): string[] {
  return [...new Set(decodeBody(STRING_ARRAY, body, name))];
}

/** A non-empty JSON array of strings. */
const STRING_ARRAY = v.pipe(v.array(v.string()), v.minLength(1));

/** A non-empty JSON array of valid ids. */
const ID_ARRAY = v.pipe(v.array(v.pipe(v.string(), v.check((id: string) => isValidId(id)))), v.minLength(1));

/** Decode an array of user ids like `ArrayFromJSON`: empty, not an array of strings, or an invalid id → 400 naming `name`. */
export function parseUserIds(body: unknown, name = 'user_ids'): string[] {
  return [...new Set(decodeBody(ID_ARRAY, body, name))];
}

/** `POST /channels/{id}/members/ids`: `read_channel` (403); the memberships of those users that exist. */
export function channelMembersByIds(deps: ServiceContext, caller: Caller, channelId: string, userIds: readonly string[]): ChannelMemberRecord[] {
  requireReadChannel(deps, caller, channelId);
  const out: ChannelMemberRecord[] = [];
  for (const userId of userIds) {
    const member = deps.store.get('channelMembers', channelMemberKey(channelId, userId));
    if (member !== undefined) out.push(member);
  }
  return out;
}

/**
 * `DELETE /channels/{id}/members/{user_id}`: unknown channel or user → 404; DMs/GMs → 400;
 * removing someone else needs `manage_public_channel_members` / `manage_private_channel_members`
 * (403); nobody leaves `town-square` (400); not a member → 404. Publishes `user_removed` to the
 * channel (`user_id`, `remover_id`) and to the removed user (`channel_id`, `remover_id`).
 */
export async function removeChannelMember(deps: ServiceContext, caller: Caller, channelId: string, userId: string): Promise<void> {
  const { store } = deps;
  const channel = findChannel(store, channelId);
  if (store.get('users', userId) === undefined) throw new AppError('app.user.missing_account.const');
  if (channel.type !== 'O' && channel.type !== 'P') throw new AppError('api.channel.remove_channel_member.type.app_error');
  if (userId !== caller.userId) {
    const permission = channel.type === 'O' ? 'manage_public_channel_members' : 'manage_private_channel_members';
    if (!channelGrants(store, caller, channel, permission)) throw permissionError(caller.userId, permission);
  }
  if (channel.name === DEFAULT_CHANNEL_NAME) throw new AppError('api.channel.remove.default.app_error', { params: { Channel: DEFAULT_CHANNEL_NAME } });
  const key = channelMemberKey(channel.id, userId);
  if (store.get('channelMembers', key) === undefined) {
    throw new AppError('app.channel.get_member.missing.app_error', { detailed: `channel_id=${channel.id}, user_id=${userId}` });
  }
  await commitThenEmit(deps, [{ op: 'delete', collection: 'channelMembers', key }], {
    ws: [
      { event: 'user_removed', data: { user_id: userId, remover_id: caller.userId }, broadcast: { channel_id: channel.id } },
      { event: 'user_removed', data: { channel_id: channel.id, remover_id: caller.userId }, broadcast: { user_id: userId } },
    ],
  });
}

/** `model.ChannelStats`. */
export interface ChannelStatsJson {
  channel_id: string;
  member_count: number;
  guest_count: number;
  pinnedpost_count: number;
  files_count: number;
}

/**
 * `GET /channels/{id}/stats`: `read_channel` (403). Members whose account is active, guests among
 * them, live pinned posts, live files of live posts (`-1` with `exclude_files_count`).
 */
export function channelStats(deps: ServiceContext, caller: Caller, channelId: string, excludeFilesCount: boolean): ChannelStatsJson {
  const { store } = deps;
  requireReadChannel(deps, caller, channelId);
  let members = 0;
  let guests = 0;
  for (const m of store.findMany('channelMembers', 'channel_id', channelId)) {
    const user = store.get('users', m.user_id);
    if (user === undefined || user.delete_at !== 0) continue;
    members++;
    if (user.roles.split(/\s+/).includes('system_guest')) guests++;
  }
  const posts = store.findMany('posts', 'channel_id', channelId).filter((p) => p.delete_at === 0);
  const pinned = posts.filter((p) => p.is_pinned).length;
  const files = excludeFilesCount ? -1 : store.findMany('fileInfos', 'channel_id', channelId)
    .filter((f) => f.delete_at === 0 && f.post_id !== '' && store.get('posts', f.post_id)?.delete_at === 0).length;
  return { channel_id: channelId, member_count: members, guest_count: guests, pinnedpost_count: pinned, files_count: files };
}

/** `model.ChannelView`. */
export interface ChannelViewInput {
  channel_id: string;
  prev_channel_id: string;
}

const CHANNEL_VIEW = goStruct({ channel_id: goString, prev_channel_id: goString });

/** Decode a `ChannelView` body: not an object → 400 naming `channel_view`; ids must be valid or empty (400 naming the field). */
export function parseChannelView(body: unknown): ChannelViewInput {
  const view = decodeBody(CHANNEL_VIEW, body, 'channel_view');
  for (const key of ['channel_id', 'prev_channel_id'] as const) {
    if (view[key] !== '' && !isValidId(view[key])) throw invalidBodyParam(`channel_view.${key}`);
  }
  return view;
}

/**
 * `POST /channels/members/{user_id}/view` (`ViewChannel` → `MarkChannelsAsViewed`): acting for
 * another user needs `SessionHasPermissionToUser` (403 naming `edit_other_users`). For each named
 * channel the user is a member of: `last_viewed_at` up to the channel's `last_post_at`,
 * `msg_count` = the channel's total, `mention_count` 0. Answers `{channel id: last_post_at}` and
 * publishes `multiple_channels_viewed` to the user (Mattermost no longer sends `channel_viewed`).
 */
export async function viewChannel(deps: ServiceContext, caller: Caller, userId: string, view: ChannelViewInput): Promise<Record<string, number>> {
  const { store } = deps;
  if (!isValidId(userId)) throw invalidUrlParam('user_id');
  if (!sessionHasPermissionToUser(store, caller, userId)) throw permissionError(caller.userId, 'edit_other_users');
  const times: Record<string, number> = {};
  const mutations: Mutation[] = [];
  const now = deps.now();
  for (const channelId of new Set([view.channel_id, view.prev_channel_id])) {
    if (channelId === '') continue;
    const channel = store.get('channels', channelId);
    const member = store.get('channelMembers', channelMemberKey(channelId, userId));
    if (channel === undefined || member === undefined) continue;
    times[channelId] = channel.last_post_at;
    mutations.push({
      op: 'put', collection: 'channelMembers',
      record: { ...member, last_viewed_at: Math.max(member.last_viewed_at, channel.last_post_at), msg_count: channel.total_msg_count, mention_count: 0, last_update_at: now },
    });
  }
  if (mutations.length === 0) return times;
  await commitThenEmit(deps, mutations, {
    ws: [{ event: 'multiple_channels_viewed', data: { channel_times: times }, broadcast: { user_id: userId } }],
  });
  return times;
}
