/**
 * The scheme-role fields Mattermost adds to team and channel member JSON: `scheme_guest`,
 * `scheme_user`, `scheme_admin` (the `<scope>_guest|user|admin` roles the member holds) and
 * `explicit_roles` (every other role, space separated).
 *
 * @example
 * ```ts
 * schemeRolesJson('team_user team_admin', 'team');
 * // { scheme_guest: false, scheme_user: true, scheme_admin: true, explicit_roles: '' }
 * ```
 */
import { rolesOf } from '../../middleware/permissions/permissions.js';

/** The scheme flags of a `model.TeamMember` / `model.ChannelMember`. */
export interface SchemeRolesJson {
  scheme_guest: boolean;
  scheme_user: boolean;
  scheme_admin: boolean;
  explicit_roles: string;
}

/**
 * Derive the scheme flags from a member's roles string.
 *
 * @example
 * ```ts
 * schemeRolesJson('channel_user custom', 'channel').explicit_roles; // 'custom'
 * ```
 */
export function schemeRolesJson(rolesString: string, scope: 'team' | 'channel'): SchemeRolesJson {
  const roles = rolesOf(rolesString);
  const guest = `${scope}_guest`;
  const user = `${scope}_user`;
  const admin = `${scope}_admin`;
  return {
    scheme_guest: roles.includes(guest), scheme_user: roles.includes(user), scheme_admin: roles.includes(admin),
    explicit_roles: roles.filter((r) => r !== guest && r !== user && r !== admin).join(' '),
  };
}
