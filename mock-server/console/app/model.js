// @ts-check
/** The shapes of the Mattermost JSON the console reads, and two rules about users. */

/**
 * @typedef {{ id: string, user_id: string, description: string, is_active: boolean, token?: string }} Token
 * @typedef {{ id: string, username: string, roles: string, email?: string, first_name?: string, last_name?: string, delete_at?: number }} User
 */

/** @param {string} roles a user's space-separated roles */
export const isSystemAdmin = (roles) => roles.split(' ').includes('system_admin');

/** @param {User} u */
export const fullName = (u) => [u.first_name, u.last_name].filter((s) => s !== undefined && s !== '').join(' ');
