/**
 * Who may act on whom: Mattermost's `SessionHasPermissionTo`, `SessionHasPermissionToUser` and
 * `SessionHasPermissionToUserOrBot`, evaluated on the caller's session roles (the principal),
 * with the bot/user records read from the store by primary key.
 *
 * @example
 * ```ts
 * requirePerm(caller, 'create_user_access_token');        // 403 naming it when missing
 * if (!canActOnUserOrBot(server, caller, target.id)) throw permissionError(caller.userId, 'edit_other_users');
 * ```
 */
import { permissionError } from '../errors.js';
import { hasPermission, rolesOf, type Permission } from '../../middleware/permissions/permissions.js';
import type { Principal } from '../../middleware/types.js';
import type { MockContext } from '../context.js';

/**
 * `SessionHasPermissionTo`: the caller's session roles grant `permission`.
 *
 * @example
 * ```ts
 * const view = can(caller, 'manage_system') ? 'full' : 'profile';
 * ```
 */
export function can(caller: Principal, permission: Permission): boolean {
  return hasPermission(caller, permission);
}

/**
 * 403 `api.context.permissions.app_error` naming `permission` unless the caller has it.
 *
 * @example
 * ```ts
 * requirePerm(caller, 'read_user_access_token');
 * ```
 */
export function requirePerm(caller: Principal, permission: Permission, extra = ''): void {
  if (!hasPermission(caller, permission)) throw permissionError(caller.userId, permission, extra);
}

/**
 * Whether a roles string holds `system_admin` (`User.IsSystemAdmin`).
 *
 * @example
 * ```ts
 * isSystemAdminRoles('system_admin system_user'); // true
 * ```
 */
export function isSystemAdminRoles(roles: string): boolean {
  return rolesOf(roles).includes('system_admin');
}

/**
 * `SessionHasPermissionToUser`: the caller is the target, or has `manage_system`, or has
 * `edit_other_users` and the target is not a system admin (an unknown target counts as not admin).
 *
 * @example
 * ```ts
 * if (!canActOnUser(server, caller, userId)) throw permissionError(caller.userId, 'edit_other_users');
 * ```
 */
export function canActOnUser(server: MockContext, caller: Principal, targetId: string): boolean {
  if (targetId === '') return false;
  if (caller.userId === targetId) return true;
  if (can(caller, 'manage_system')) return true;
  if (!can(caller, 'edit_other_users')) return false;
  const target = server.store.get('users', targetId);
  return target === undefined || !isSystemAdminRoles(target.roles);
}

/**
 * `SessionHasPermissionToUserOrBot`: a bot target needs `manage_bots` (caller owns it) or
 * `manage_others_bots` (caller does not); any other target falls back to {@link canActOnUser}.
 *
 * @example
 * ```ts
 * canActOnUserOrBot(server, owner, botUserId); // needs manage_bots
 * ```
 */
export function canActOnUserOrBot(server: MockContext, caller: Principal, targetId: string): boolean {
  const bot = server.store.get('bots', targetId);
  if (bot === undefined) return canActOnUser(server, caller, targetId);
  return bot.owner_id === caller.userId ? can(caller, 'manage_bots') : can(caller, 'manage_others_bots');
}
