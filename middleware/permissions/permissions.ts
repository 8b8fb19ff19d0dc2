/**
 * Mattermost's built-in roles and the permissions they grant (`model.MakeDefaultRoles`), role
 * strings parsed as Mattermost does (space-separated, `strings.Fields`), and `requirePermission()`.
 * Role sets are precomputed and parsed role strings memoized: a check is a `Set.has`.
 *
 * Only system-scope roles on the principal count here (like `SessionHasPermissionTo`); team and
 * channel roles are exported for applications that evaluate memberships themselves.
 *
 * @example
 * ```ts
 * import { requirePermission, hasPermission } from 'mattermost-pat';
 * router.post('/users/:id/tokens', authenticate({ resolver }), requirePermission('create_user_access_token'), handler);
 * hasPermission('system_user system_user_access_token', 'read_user_access_token'); // true
 * ```
 */
import type Koa from 'koa';
import { permissionError } from '../errors/shortcuts.js';
import { getPrincipal } from '../auth/principal.js';
import type { Principal } from '../types.js';

/** Every permission id this package knows (a subset of Mattermost's `AllPermissions`). */
export const PERMISSIONS = [
  // Personal access tokens
  'create_user_access_token', 'read_user_access_token', 'revoke_user_access_token',
  // System
  'manage_system', 'edit_other_users', 'manage_roles', 'get_logs', 'get_analytics', 'invite_user',
  'demote_to_guest', 'promote_guest', 'read_other_users_teams', 'read_license_information',
  'manage_license_information', 'manage_oauth', 'manage_system_wide_oauth', 'read_audits',
  'list_users_without_team', 'create_direct_channel', 'create_group_channel', 'view_members',
  'manage_own_agent', 'invalidate_caches', 'reload_config', 'test_ldap', 'read_ldap_sync_job',
  // Bots
  'create_bot', 'assign_bot', 'read_bots', 'read_others_bots', 'manage_bots', 'manage_others_bots',
  // Custom groups
  'create_custom_group', 'edit_custom_group', 'delete_custom_group', 'restore_custom_group',
  'manage_custom_group_members',
  // Teams
  'create_team', 'list_public_teams', 'join_public_teams', 'list_private_teams', 'join_private_teams',
  'view_team', 'manage_team', 'manage_team_roles', 'add_user_to_team', 'remove_user_from_team',
  'import_team', 'list_team_channels', 'join_public_channels', 'read_public_channel',
  'read_public_channel_groups', 'read_private_channel_groups',
  'create_public_channel', 'create_private_channel', 'manage_own_incoming_webhooks',
  'manage_others_incoming_webhooks', 'manage_own_outgoing_webhooks', 'manage_others_outgoing_webhooks',
  'manage_own_slash_commands', 'manage_others_slash_commands', 'bypass_incoming_webhook_channel_lock',
  'convert_public_channel_to_private', 'convert_private_channel_to_public', 'manage_channel_roles',
  'delete_others_posts', 'edit_others_posts',
  // Channels and posts
  'read_channel', 'read_channel_content', 'add_reaction', 'remove_reaction',
  'manage_public_channel_members', 'manage_private_channel_members', 'manage_public_channel_properties',
  'manage_private_channel_properties', 'delete_public_channel', 'delete_private_channel',
  'upload_file', 'get_public_link', 'create_post', 'create_post_public', 'use_channel_mentions',
  'use_group_mentions', 'edit_post', 'delete_post',
  'add_bookmark_public_channel', 'edit_bookmark_public_channel', 'delete_bookmark_public_channel',
  'order_bookmark_public_channel', 'add_bookmark_private_channel', 'edit_bookmark_private_channel',
  'delete_bookmark_private_channel', 'order_bookmark_private_channel',
  // System console
  'sysconsole_read_reporting', 'sysconsole_read_reporting_server_logs',
  'sysconsole_read_user_management_users', 'sysconsole_write_user_management_users',
  'sysconsole_read_user_management_groups', 'sysconsole_write_user_management_groups',
  'sysconsole_read_user_management_teams', 'sysconsole_write_user_management_teams',
  'sysconsole_read_user_management_channels', 'sysconsole_write_user_management_channels',
  'sysconsole_read_user_management_permissions', 'sysconsole_write_user_management_permissions',
  'sysconsole_read_authentication_signup', 'sysconsole_read_authentication_email',
  'sysconsole_read_authentication_password', 'sysconsole_read_authentication_mfa',
  'sysconsole_read_authentication_ldap', 'sysconsole_read_authentication_saml',
  'sysconsole_read_authentication_openid', 'sysconsole_read_authentication_guest_access',
] as const;

/** Closed union of permission ids. */
export type Permission = (typeof PERMISSIONS)[number];

const BOOKMARKS = [
  'add_bookmark_public_channel', 'edit_bookmark_public_channel', 'delete_bookmark_public_channel',
  'order_bookmark_public_channel', 'add_bookmark_private_channel', 'edit_bookmark_private_channel',
  'delete_bookmark_private_channel', 'order_bookmark_private_channel',
] as const satisfies readonly Permission[];

const CUSTOM_GROUPS = [
  'create_custom_group', 'edit_custom_group', 'delete_custom_group', 'restore_custom_group',
  'manage_custom_group_members',
] as const satisfies readonly Permission[];

/**
 * Built-in roles and their permissions, as `MakeDefaultRoles` defines them (system_user_manager
 * includes the ancillary permissions Mattermost adds to its system-console permissions).
 */
export const ROLE_PERMISSIONS = {
  system_admin: PERMISSIONS,
  system_user: [
    'list_public_teams', 'join_public_teams', 'create_direct_channel', 'create_group_channel',
    'view_members', 'create_team', ...CUSTOM_GROUPS, 'manage_own_agent',
  ],
  system_guest: ['create_direct_channel', 'create_group_channel'],
  system_user_access_token: ['create_user_access_token', 'read_user_access_token', 'revoke_user_access_token'],
  system_post_all: ['create_post', 'use_channel_mentions'],
  system_post_all_public: ['create_post_public', 'use_channel_mentions'],
  system_user_manager: [
    'sysconsole_read_user_management_groups', 'sysconsole_read_user_management_teams',
    'sysconsole_read_user_management_channels', 'sysconsole_read_user_management_permissions',
    'sysconsole_write_user_management_groups', 'sysconsole_write_user_management_teams',
    'sysconsole_write_user_management_channels',
    'sysconsole_read_authentication_signup', 'sysconsole_read_authentication_email',
    'sysconsole_read_authentication_password', 'sysconsole_read_authentication_mfa',
    'sysconsole_read_authentication_ldap', 'sysconsole_read_authentication_saml',
    'sysconsole_read_authentication_openid', 'sysconsole_read_authentication_guest_access',
    // ancillary permissions of the above
    'list_private_teams', 'list_public_teams', 'view_team',
    'read_public_channel', 'read_channel', 'read_public_channel_groups', 'read_private_channel_groups',
    'manage_private_channel_members', 'manage_public_channel_members',
    'convert_public_channel_to_private', 'convert_private_channel_to_public',
    'manage_team', 'manage_team_roles', 'remove_user_from_team', 'join_private_teams', 'join_public_teams',
    'add_user_to_team', 'manage_public_channel_properties', 'manage_private_channel_properties',
    'delete_private_channel', 'delete_public_channel', 'manage_channel_roles',
    'test_ldap', 'read_ldap_sync_job',
  ],
  team_guest: ['view_team'],
  team_user: [
    'list_team_channels', 'join_public_channels', 'read_public_channel', 'view_team',
    'create_public_channel', 'create_private_channel', 'invite_user', 'add_user_to_team',
  ],
  team_admin: [
    'remove_user_from_team', 'manage_team', 'import_team', 'manage_team_roles', 'manage_channel_roles',
    'manage_own_incoming_webhooks', 'manage_others_incoming_webhooks', 'manage_own_outgoing_webhooks',
    'manage_others_outgoing_webhooks', 'manage_own_slash_commands', 'manage_others_slash_commands',
    'bypass_incoming_webhook_channel_lock', 'convert_public_channel_to_private',
    'convert_private_channel_to_public', 'delete_post', 'delete_others_posts', ...BOOKMARKS,
  ],
  team_post_all: ['create_post', 'use_channel_mentions'],
  team_post_all_public: ['create_post_public', 'use_channel_mentions'],
  channel_guest: [
    'read_channel', 'read_channel_content', 'add_reaction', 'remove_reaction', 'upload_file',
    'edit_post', 'create_post', 'use_channel_mentions',
  ],
  channel_user: [
    'read_channel', 'read_channel_content', 'add_reaction', 'remove_reaction',
    'manage_public_channel_members', 'upload_file', 'get_public_link', 'create_post',
    'use_channel_mentions', 'manage_public_channel_properties', 'delete_public_channel',
    'manage_private_channel_properties', 'delete_private_channel', 'manage_private_channel_members',
    'delete_post', 'edit_post', ...BOOKMARKS,
  ],
  channel_admin: ['manage_channel_roles', 'use_group_mentions', ...BOOKMARKS],
  custom_group_user: [],
} as const satisfies Record<string, readonly Permission[]>;

/** Names of the built-in roles. */
export type BuiltInRole = keyof typeof ROLE_PERMISSIONS;

const PERMISSION_SET: ReadonlySet<string> = new Set(PERMISSIONS);
const ROLE_SETS = new Map<string, ReadonlySet<Permission>>(
  Object.entries(ROLE_PERMISSIONS).map(([role, perms]) => [role, new Set<Permission>(perms)]),
);
const EMPTY: ReadonlySet<Permission> = new Set();

/**
 * True when `value` is a permission id this package knows (narrows to {@link Permission}).
 * @example
 * ```ts
 * if (isPermission(input)) requirePermission(input);
 * ```
 */
export function isPermission(value: string): value is Permission {
  return PERMISSION_SET.has(value);
}

const MEMO_LIMIT = 10_000;
const parsedRoles = new Map<string, readonly string[]>();
const setsByString = new Map<string, ReadonlySet<Permission>>();
const setsByArray = new WeakMap<readonly string[], ReadonlySet<Permission>>();

function remember<V>(memo: Map<string, V>, key: string, value: V): V {
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, value);
  return value;
}

/**
 * Parse a roles string like Go's `strings.Fields` (memoized; the same string yields the same
 * frozen array, which makes later permission checks O(1)).
 * @example
 * ```ts
 * rolesOf(' system_user  system_user_access_token'); // ['system_user', 'system_user_access_token']
 * ```
 */
export function rolesOf(roles: string): readonly string[] {
  const hit = parsedRoles.get(roles);
  if (hit !== undefined) return hit;
  return remember(parsedRoles, roles, Object.freeze(roles.split(/\s+/).filter((r) => r !== '')));
}

function unionOf(roles: readonly string[]): ReadonlySet<Permission> {
  if (roles.length === 1) return ROLE_SETS.get(roles[0]) ?? EMPTY;
  const out = new Set<Permission>();
  for (const role of roles) for (const p of ROLE_SETS.get(role) ?? EMPTY) out.add(p);
  return out;
}

/**
 * The permissions granted by a list of roles or a space-separated roles string (unknown roles grant nothing).
 * @example
 * ```ts
 * permissionsOf('system_user system_post_all').has('create_post'); // true
 * ```
 */
export function permissionsOf(roles: readonly string[] | string): ReadonlySet<Permission> {
  if (typeof roles === 'string') {
    const hit = setsByString.get(roles);
    if (hit !== undefined) return hit;
    return remember(setsByString, roles, unionOf(rolesOf(roles)));
  }
  const hit = setsByArray.get(roles);
  if (hit !== undefined) return hit;
  const set = permissionsOf(roles.join(' '));
  setsByArray.set(roles, set);
  return set;
}

/** Anything that carries roles: a principal, a roles array or a roles string. */
export type RoleSubject = Pick<Principal, 'roles'> | readonly string[] | string;

/**
 * Whether the subject's roles grant `permission`.
 * @example
 * ```ts
 * hasPermission(ctx.state.auth ?? '', 'manage_system');
 * hasPermission('system_user system_user_access_token', 'create_user_access_token'); // true
 * ```
 */
export function hasPermission(subject: RoleSubject, permission: Permission): boolean {
  const roles = typeof subject === 'string' || Array.isArray(subject) ? subject : (subject as Pick<Principal, 'roles'>).roles;
  return permissionsOf(roles as readonly string[] | string).has(permission);
}

/**
 * The first of `permissions` the subject lacks, or undefined when it has them all.
 * @example
 * ```ts
 * missingPermission('system_user', ['view_members', 'manage_system']); // 'manage_system'
 * ```
 */
export function missingPermission(subject: RoleSubject, permissions: readonly Permission[]): Permission | undefined {
  for (const permission of permissions) if (!hasPermission(subject, permission)) return permission;
  return undefined;
}

/**
 * Koa middleware: 401 when the request is anonymous, 403 `api.context.permissions.app_error`
 * (detailed `userId=…, permission=<first missing>`) unless the principal has every permission.
 * @example
 * ```ts
 * router.get('/users/tokens', requireSession, requirePermission('manage_system'), listAllTokens);
 * ```
 */
export function requirePermission(...permissions: Permission[]): Koa.Middleware {
  for (const permission of permissions) {
    if (!isPermission(permission)) throw new TypeError(`requirePermission(): unknown permission "${String(permission)}"`);
  }
  return function requirePermissionMiddleware(ctx, next) {
    const principal = getPrincipal(ctx);
    const missing = missingPermission(principal, permissions);
    if (missing !== undefined) throw permissionError(principal.userId, missing);
    return next();
  };
}
