/**
 * Mattermost's scoped permission checks, evaluated against the store: `SessionHasPermissionTo`
 * (the session's system roles), `SessionHasPermissionToTeam` (team-member roles, then system
 * roles), `SessionHasPermissionToChannel` (channel-member roles, then `manage_system`, then the
 * team check for team channels or the system roles for DMs/GMs), and the `create_post` resolution
 * of `POST /posts` (`userCreatePostPermissionCheck`). Roles map to permissions through the middleware's
 * `ROLE_PERMISSIONS` table; every lookup uses a store index (no scans).
 *
 * @example
 * ```ts
 * import { requireCreatePost, sessionHasPermissionToChannel } from './channel-permissions.js';
 * requireCreatePost(store, principal, channelId); // 403 naming create_post unless allowed
 * sessionHasPermissionToChannel(store, principal, channelId, 'read_channel'); // boolean
 * ```
 */
import { permissionError } from '../errors.js';
import { hasPermission, type Permission } from '../../middleware/permissions/permissions.js';
import type { Principal } from '../../middleware/types.js';
import type { ChannelRecord, Store } from '../db/schema.js';
import { channelMemberKey, teamMemberKey } from '../db/keys.js';

/** What a permission check needs to know about the caller: its id and its session's system roles. */
export type Caller = Pick<Principal, 'userId' | 'roles'>;

/** `SessionHasPermissionTo`: the session's system roles grant `permission`. */
export function sessionHasPermissionTo(caller: Caller, permission: Permission): boolean {
  return hasPermission(caller.roles, permission);
}

/** The caller's active team membership roles, or undefined when not an active member. */
export function teamRolesOf(store: Store, teamId: string, userId: string): string | undefined {
  const member = store.get('teamMembers', teamMemberKey(teamId, userId));
  return member !== undefined && member.delete_at === 0 ? member.roles : undefined;
}

/** The caller's channel membership roles, or undefined when not a member. */
export function channelRolesOf(store: Store, channelId: string, userId: string): string | undefined {
  return store.get('channelMembers', channelMemberKey(channelId, userId))?.roles;
}

/**
 * `SessionHasPermissionToTeam`: false for an empty team id; the caller's team-member roles, then
 * the session's system roles.
 */
export function sessionHasPermissionToTeam(store: Store, caller: Caller, teamId: string, permission: Permission): boolean {
  if (teamId === '') return false;
  const teamRoles = teamRolesOf(store, teamId, caller.userId);
  if (teamRoles !== undefined && hasPermission(teamRoles, permission)) return true;
  return hasPermission(caller.roles, permission);
}

/**
 * `SessionHasPermissionToChannel`: false for an unknown channel (even for admins); otherwise the
 * channel-member roles, then `manage_system`, then the team check (team channels) or the system
 * roles (DMs and GMs).
 */
export function sessionHasPermissionToChannel(store: Store, caller: Caller, channelId: string, permission: Permission): boolean {
  if (channelId === '') return false;
  const channel = store.get('channels', channelId);
  if (channel === undefined) return false;
  return channelGrants(store, caller, channel, permission);
}

/** {@link sessionHasPermissionToChannel} for a channel already loaded. */
export function channelGrants(store: Store, caller: Caller, channel: ChannelRecord, permission: Permission): boolean {
  const channelRoles = channelRolesOf(store, channel.id, caller.userId);
  if (channelRoles !== undefined && hasPermission(channelRoles, permission)) return true;
  if (hasPermission(caller.roles, 'manage_system')) return true;
  if (channel.team_id !== '') return sessionHasPermissionToTeam(store, caller, channel.team_id, permission);
  return hasPermission(caller.roles, permission);
}

/**
 * `userCreatePostPermissionCheckWithContext`: `create_post` on the channel, else `create_post_public`
 * on the team for open (`O`) channels. So `system_post_all` posts anywhere (private channels and
 * DMs included) and `system_post_all_public` only into public channels.
 */
export function canCreatePost(store: Store, caller: Caller, channelId: string): boolean {
  if (sessionHasPermissionToChannel(store, caller, channelId, 'create_post')) return true;
  const channel = channelId === '' ? undefined : store.get('channels', channelId);
  return channel !== undefined && channel.type === 'O'
    && sessionHasPermissionToTeam(store, caller, channel.team_id, 'create_post_public');
}

/** {@link canCreatePost} or a 403 naming `create_post` (also for an unknown channel id). */
export function requireCreatePost(store: Store, caller: Caller, channelId: string): void {
  if (!canCreatePost(store, caller, channelId)) throw permissionError(caller.userId, 'create_post');
}

/**
 * Read access to a channel's metadata (`getChannel`, `getChannelByName`): `read_channel` on the
 * channel, or for open channels `read_public_channel` on the team. Returns the permission to name
 * in the 403, or undefined when allowed.
 */
export function channelReadDenied(store: Store, caller: Caller, channel: ChannelRecord): Permission | undefined {
  if (channel.type === 'O') {
    if (sessionHasPermissionToTeam(store, caller, channel.team_id, 'read_public_channel')) return undefined;
    return channelGrants(store, caller, channel, 'read_channel') ? undefined : 'read_public_channel';
  }
  return channelGrants(store, caller, channel, 'read_channel') ? undefined : 'read_channel';
}

/**
 * Read access to a channel's posts (`SessionHasPermissionToReadChannel` / `GetPostIfAuthorized`):
 * `read_channel_content` on the channel, or for open channels `read_public_channel` on the team.
 * `create_post` roles such as `system_post_all` do not grant reading. Returns the permission to
 * name in the 403, or undefined when allowed.
 */
export function contentReadDenied(store: Store, caller: Caller, channel: ChannelRecord): Permission | undefined {
  if (channelGrants(store, caller, channel, 'read_channel_content')) return undefined;
  if (channel.type === 'O') {
    return sessionHasPermissionToTeam(store, caller, channel.team_id, 'read_public_channel') ? undefined : 'read_public_channel';
  }
  return 'read_channel_content';
}

/** `SessionHasPermissionToChannelByPost`: false for an unknown post; otherwise the permission on its channel. */
export function sessionHasPermissionToChannelByPost(store: Store, caller: Caller, postId: string, permission: Permission): boolean {
  const post = store.get('posts', postId);
  const channel = post === undefined ? undefined : store.get('channels', post.channel_id);
  return channel !== undefined && channelGrants(store, caller, channel, permission);
}
