/**
 * Group-message channels (Mattermost `api4/channel.go` `createGroupChannel` +
 * `app/channel.go` `CreateGroupChannel`): 3 to 8 distinct users (the caller is added when missing),
 * named by `GetGroupNameFromUserIds` (SHA-1 hex of the sorted ids, concatenated), displayed as the
 * sorted usernames joined with `, `. Creating an existing group answers it (idempotent); a new
 * one publishes `group_added` to its members.
 *
 * @example
 * ```ts
 * const { channel, created } = await createGroupChannel(server, caller, [aliceId, bobId]); // + the caller
 * channel.name; // 40 hex chars
 * ```
 */
import { createHash } from 'node:crypto';
import { AppError, invalidBodyParam, permissionError } from '../errors.js';
import { isValidId } from '../../middleware/util/ids.js';
import { hasPermission } from '../../middleware/permissions/permissions.js';
import type { ChannelRecord, Mutation } from '../db/schema.js';
import type { Caller } from './channel-permissions.js';
import { newChannelMember, newChannelRecord } from './channels.js';
import { commitThenEmit } from './commit.js';
import type { ServiceContext } from './context.js';

/** `model.GroupChannelMinUsers` / `GroupChannelMaxUsers`. */
const MIN_USERS = 3;
const MAX_USERS = 8;

/** `model.GetGroupNameFromUserIds`: SHA-1 hex of the sorted user ids concatenated. */
export function groupChannelName(userIds: readonly string[]): string {
  return createHash('sha1').update([...userIds].sort().join('')).digest('hex');
}

/**
 * Decode `POST /channels/group` like `createGroupChannel`: an empty list (or not a JSON array of
 * strings) → 400 naming `user_ids`; an invalid id → 400 naming `user_id`.
 */
export function parseGroupUserIds(body: unknown): string[] {
  const ids = Array.isArray(body) && body.every((v): v is string => typeof v === 'string') ? body : [];
  if (ids.length === 0) throw invalidBodyParam('user_ids');
  if (!ids.every(isValidId)) throw invalidBodyParam('user_id');
  return ids;
}

/**
 * `POST /channels/group` with the decoded user ids: `create_group_channel` (403); every other
 * user must be visible to the caller (`UserCanSeeOtherUser`: `view_members`, 403); 3–8 distinct
 * users after adding the caller (400 `api.channel.create_group.bad_size.app_error`); every user
 * must exist (400 `api.channel.create_group.bad_user.app_error`).
 */
export async function createGroupChannel(deps: ServiceContext, caller: Caller, userIds: readonly string[]): Promise<{ channel: ChannelRecord; created: boolean }> {
  const { store } = deps;
  const ids = [...new Set(userIds.includes(caller.userId) ? userIds : [...userIds, caller.userId])];
  if (!hasPermission(caller.roles, 'create_group_channel')) throw permissionError(caller.userId, 'create_group_channel');
  if (!hasPermission(caller.roles, 'view_members')) throw permissionError(caller.userId, 'view_members');
  if (ids.length < MIN_USERS || ids.length > MAX_USERS) throw new AppError('api.channel.create_group.bad_size.app_error');
  const users = ids.map((id) => store.get('users', id));
  if (users.some((u) => u === undefined)) throw new AppError('api.channel.create_group.bad_user.app_error');
  const name = groupChannelName(ids);
  const existing = store.findOne('channels', 'team_name', `:${name}`);
  if (existing !== undefined) return { channel: existing, created: false };
  const now = deps.now();
  const displayName = users.map((u) => u?.username ?? '').sort().join(', ').slice(0, 64);
  const channel = newChannelRecord({ team_id: '', type: 'G', name, display_name: displayName, creator_id: caller.userId }, now);
  const mutations: Mutation[] = [{ op: 'put', collection: 'channels', record: channel }];
  for (const id of ids) mutations.push({ op: 'put', collection: 'channelMembers', record: newChannelMember(channel.id, id, 'channel_user', now) });
  await commitThenEmit(deps, mutations, { ws: [{ event: 'group_added', data: { teammate_ids: JSON.stringify(ids) }, broadcast: { channel_id: channel.id } }] });
  return { channel, created: true };
}
