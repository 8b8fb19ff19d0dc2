/**
 * Archiving, restoring and patching channels (Mattermost `api4/channel.go` `deleteChannel`,
 * `restoreChannel`, `patchChannel` + `app/channel.go`), and `GET /teams/name/{team}/channels/name/{channel}`.
 * Archiving is soft (`delete_at`); each change publishes its WebSocket event after the commit:
 * `channel_deleted` / `channel_restored` to the team, `channel_updated` to the channel.
 *
 * @example
 * ```ts
 * await deleteChannel(server, caller, channelId);   // delete_at = now, channel_deleted
 * await restoreChannel(server, admin, channelId);   // delete_at = 0, channel_restored
 * await patchChannel(server, caller, channelId, parseChannelPatch({ header: 'builds' }));
 * ```
 */
import * as v from 'valibot';
import { decodeBody, goPatch } from '../schemas/json.js';
import { AppError, permissionError } from '../errors.js';
import { PRIMARY_KEY, type ChannelRecord, type Mutation } from '../db/schema.js';
import { channelGrants, channelReadDenied, sessionHasPermissionToTeam, type Caller } from './channel-permissions.js';
import { channelJson, findChannel, isValidChannelName } from './channels.js';
import { commitThenEmit } from './commit.js';
import type { ServiceContext } from './context.js';
import { blobsFor } from './file-blobs.js';
import { runes } from './input.js';
import { channelMemberKey, channelNameKey } from '../db/keys.js';

/** Mattermost's `DefaultChannelName`: it can be neither archived nor renamed, nor left. */
export const DEFAULT_CHANNEL_NAME = 'town-square';

/** `model.IsValidTeamName`: 2–64 lowercase letters, digits and `-`, starting and ending alphanumeric. */
export function isValidTeamName(name: string): boolean {
  return name.length >= 2 && name.length <= 64 && /^[a-z0-9]+([a-z0-9-]+|(__)?)[a-z0-9]+$/.test(name);
}

/**
 * `GET /teams/name/{team_name}/channels/name/{channel_name}`: unknown team → 404
 * `app.team.get_by_name.missing.app_error`; unknown or archived (without `include_deleted`)
 * channel → 404 `app.channel.get_by_name.missing.app_error`; a public channel the caller may not
 * read → 403 naming `read_public_channel`; a private one → the same 404 (its existence is not revealed).
 */
export function getChannelByTeamAndChannelName(deps: ServiceContext, caller: Caller, teamName: string, channelName: string, includeDeleted: boolean): ChannelRecord {
  const { store } = deps;
  const team = store.findOne('teams', 'name', teamName);
  if (team === undefined || team.delete_at !== 0) throw new AppError('app.team.get_by_name.missing.app_error', { detailed: `name=${teamName}` });
  const channel = store.findOne('channels', 'team_name', channelNameKey(team.id, channelName));
  const missing = () => new AppError('app.channel.get_by_name.missing.app_error', { detailed: `teamId=${team.id}, name=${channelName}` });
  if (channel === undefined || (!includeDeleted && channel.delete_at !== 0)) throw missing();
  const denied = channelReadDenied(store, caller, channel);
  if (denied !== undefined) {
    if (channel.type === 'O') throw permissionError(caller.userId, denied);
    throw missing();
  }
  return channel;
}

/**
 * `DELETE /channels/{id}` (archive): 404 when unknown; DMs/GMs → 400
 * `api.channel.delete_channel.type.invalid`; `delete_public_channel` / `delete_private_channel` on
 * the channel (403); already archived → 400; `town-square` → 400. Sets `delete_at`. With
 * `permanent` (needs `ServiceSettings.EnableAPIChannelDeletion`, else 401
 * `api.user.delete_channel.not_enabled.app_error`) everything of the channel is deleted.
 */
export async function deleteChannel(deps: ServiceContext, caller: Caller, channelId: string, permanent = false): Promise<ChannelRecord> {
  const { store } = deps;
  const channel = findChannel(store, channelId);
  if (channel.type === 'D' || channel.type === 'G') throw new AppError('api.channel.delete_channel.type.invalid');
  const permission = channel.type === 'O' ? 'delete_public_channel' : 'delete_private_channel';
  if (!channelGrants(store, caller, channel, permission)) throw permissionError(caller.userId, permission);
  if (permanent) {
    if (store.config.ServiceSettings.EnableAPIChannelDeletion !== true) {
      throw new AppError('api.user.delete_channel.not_enabled.app_error', { detailed: `channelId=${channel.id}` });
    }
    await permanentDeleteChannel(deps, channel);
    return channel;
  }
  if (channel.delete_at !== 0) throw new AppError('api.channel.delete_channel.deleted.app_error');
  if (channel.name === DEFAULT_CHANNEL_NAME) throw new AppError('api.channel.delete_channel.cannot.app_error', { params: { Channel: DEFAULT_CHANNEL_NAME } });
  const now = deps.now();
  const archived: ChannelRecord = { ...channel, delete_at: now, update_at: now };
  await commitThenEmit(deps, [{ op: 'put', collection: 'channels', record: archived }], {
    ws: [{ event: 'channel_deleted', data: { channel_id: channel.id, delete_at: now }, broadcast: { team_id: channel.team_id } }],
  });
  return archived;
}

/**
 * `PermanentDeleteChannel`: the channel, its memberships, posts, their reactions and file infos
 * (and the files' bytes) are gone; `channel_deleted` goes to the team as for an archive.
 */
async function permanentDeleteChannel(deps: ServiceContext, channel: ChannelRecord): Promise<void> {
  const { store } = deps;
  const mutations: Mutation[] = [];
  for (const m of store.findMany('channelMembers', 'channel_id', channel.id)) mutations.push({ op: 'delete', collection: 'channelMembers', key: PRIMARY_KEY.channelMembers(m) });
  for (const p of store.findMany('posts', 'channel_id', channel.id)) {
    mutations.push({ op: 'delete', collection: 'posts', key: p.id });
    for (const r of store.findMany('reactions', 'post_id', p.id)) mutations.push({ op: 'delete', collection: 'reactions', key: PRIMARY_KEY.reactions(r) });
  }
  const files = store.findMany('fileInfos', 'channel_id', channel.id);
  for (const f of files) mutations.push({ op: 'delete', collection: 'fileInfos', key: f.id });
  mutations.push({ op: 'delete', collection: 'channels', key: channel.id });
  // The rows go first (durable), then the bytes: a crash in between leaves orphaned blobs, never
  // file infos pointing at missing bytes.
  await commitThenEmit(deps, mutations);
  const blobs = blobsFor(store);
  for (const f of files) await blobs.delete(f.id);
  await commitThenEmit(deps, [], {
    ws: [{ event: 'channel_deleted', data: { channel_id: channel.id, delete_at: deps.now() }, broadcast: { team_id: channel.team_id } }],
  });
}

/**
 * `POST /channels/{id}/restore`: 404 when unknown; `manage_team` on the channel's team (403);
 * not archived → 400 `api.channel.restore_channel.restored.app_error`. Answers the restored channel.
 */
export async function restoreChannel(deps: ServiceContext, caller: Caller, channelId: string): Promise<ChannelRecord> {
  const { store } = deps;
  const channel = findChannel(store, channelId);
  if (!sessionHasPermissionToTeam(store, caller, channel.team_id, 'manage_team')) throw permissionError(caller.userId, 'manage_team');
  if (channel.delete_at === 0) throw new AppError('api.channel.restore_channel.restored.app_error');
  const restored: ChannelRecord = { ...channel, delete_at: 0, update_at: deps.now() };
  await commitThenEmit(deps, [{ op: 'put', collection: 'channels', record: restored }], {
    ws: [{ event: 'channel_restored', data: { channel_id: channel.id }, broadcast: { team_id: channel.team_id } }],
  });
  return restored;
}

/** `model.ChannelPatch`: the fields given (absent = unchanged). */
export interface ChannelPatchInput {
  name?: string;
  display_name?: string;
  header?: string;
  purpose?: string;
}

/** Decode a `ChannelPatch` body: not an object or a mistyped field → 400 `invalid_body_param` naming `channel`. */
export function parseChannelPatch(body: unknown): ChannelPatchInput {
  return decodeBody(CHANNEL_PATCH, body, 'channel');
}

const CHANNEL_PATCH = goPatch({ name: v.string(), display_name: v.string(), header: v.string(), purpose: v.string() });

/**
 * `PUT /channels/{id}/patch`: 404 when unknown; `manage_public_channel_properties` /
 * `manage_private_channel_properties` (403); for DMs/GMs only members may patch (403
 * `api.channel.patch_update_channel.forbidden.app_error`); archived → 400;
 * renaming `town-square` → 400; `Channel.IsValid`; a taken name → 400. Publishes `channel_updated`.
 */
export async function patchChannel(deps: ServiceContext, caller: Caller, channelId: string, patch: ChannelPatchInput): Promise<ChannelRecord> {
  const { store } = deps;
  const channel = findChannel(store, channelId);
  if (channel.type === 'O' || channel.type === 'P') {
    const permission = channel.type === 'O' ? 'manage_public_channel_properties' : 'manage_private_channel_properties';
    if (!channelGrants(store, caller, channel, permission)) throw permissionError(caller.userId, permission);
  } else if (store.get('channelMembers', channelMemberKey(channel.id, caller.userId)) === undefined) {
    // DMs and GMs: no permission is linked to their header, only membership (as Mattermost).
    throw new AppError('api.channel.patch_update_channel.forbidden.app_error');
  }
  if (channel.delete_at !== 0) throw new AppError('api.channel.update_channel.deleted.app_error');
  if (channel.name === DEFAULT_CHANNEL_NAME && patch.name !== undefined && patch.name !== channel.name) {
    throw new AppError('api.channel.update_channel.tried.app_error', { params: { Channel: DEFAULT_CHANNEL_NAME } });
  }
  const next: ChannelRecord = { ...channel, ...patch, update_at: deps.now() };
  if (next.type === 'O' || next.type === 'P') {
    if (next.display_name === '' || runes(next.display_name) > 64) throw new AppError('model.channel.is_valid.display_name.app_error');
    if (!isValidChannelName(next.name)) throw new AppError('model.channel.is_valid.1_or_more.app_error');
  }
  if (runes(next.header) > 1024) throw new AppError('model.channel.is_valid.header.app_error');
  if (runes(next.purpose) > 250) throw new AppError('model.channel.is_valid.purpose.app_error');
  const holder = store.findOne('channels', 'team_name', channelNameKey(next.team_id, next.name));
  if (holder !== undefined && holder.id !== channel.id) throw new AppError('store.sql_channel.update.exists.app_error');
  await commitThenEmit(deps, [{ op: 'put', collection: 'channels', record: next }], {
    ws: [{ event: 'channel_updated', data: { channel: JSON.stringify(channelJson(next)) }, broadcast: { channel_id: next.id } }],
  });
  return next;
}
