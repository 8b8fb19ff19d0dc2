/**
 * Who may act on whom: Mattermost's `SessionHasPermissionTo`, `SessionHasPermissionToUser` and
 * `SessionHasPermissionToUserOrBot`, evaluated on the caller's session roles (the principal),
 * with the bot/user records read from the store by primary key.
 *
 * @example
 * ```ts
 * requirePerm(caller, 'create_user_access_token');        // 403 naming it when missing
 * if (!sessionHasPermissionToUserOrBot(server.store, caller, target.id)) throw permissionError(caller.userId, 'edit_other_users');
 * ```
 */
import { permissionError } from '../errors.js';
import { hasPermission, rolesOf, type Permission } from '../../middleware/permissions/permissions.js';
import type { Principal } from '../../middleware/types.js';
import type { Store } from '../db/schema.js';

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
 * `SessionHasPermissionToUser` (app/authorization.go): false for an empty id; true with
 * `manage_system` or for the caller itself; otherwise `edit_other_users` on a user that exists
 * and is not a system admin. An unknown target is refused (Go's `GetUser` error returns false).
 *
 * @example
 * ```ts
 * if (!sessionHasPermissionToUser(server.store, caller, userId)) throw permissionError(caller.userId, 'edit_other_users');
 * ```
 */
export function sessionHasPermissionToUser(store: Store, caller: Pick<Principal, 'userId' | 'roles'>, targetId: string): boolean {
  if (targetId === '') return false;
  if (hasPermission(caller, 'manage_system') || caller.userId === targetId) return true;
  if (!hasPermission(caller, 'edit_other_users')) return false;
  const target = store.get('users', targetId);
  return target !== undefined && !isSystemAdminRoles(target.roles);
}

/**
 * `SessionHasPermissionToUserOrBot`: a bot target needs `manage_bots` (caller owns it) or
 * `manage_others_bots` (caller does not); any other target falls back to
 * {@link sessionHasPermissionToUser}.
 *
 * @example
 * ```ts
 * sessionHasPermissionToUserOrBot(store, owner, botUserId); // needs manage_bots
 * ```
 */
export function sessionHasPermissionToUserOrBot(store: Store, caller: Principal, targetId: string): boolean {
  const bot = store.get('bots', targetId);
  if (bot === undefined) return sessionHasPermissionToUser(store, caller, targetId);
  return bot.owner_id === caller.userId ? can(caller, 'manage_bots') : can(caller, 'manage_others_bots');
}
