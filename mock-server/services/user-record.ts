/**
 * The user record Mattermost's `User.PreSave` would produce: a new id, the default notify props
 * and timezone, `system_user`. Both the seed and `POST /users` build users with it.
 */
import { newId } from '../../middleware/util/ids.js';
import type { UserRecord } from '../db/schema.js';

/**
 * A new user record with Mattermost's defaults.
 *
 * @example
 * ```ts
 * const user = newUserRecord({ username: 'alice', roles: 'system_user' }, Date.now());
 * ```
 */
export function newUserRecord(fields: Partial<UserRecord> & { username: string }, now: number): UserRecord {
  return {
    id: newId(),
    create_at: now,
    update_at: now,
    delete_at: 0,
    email: `${fields.username}@sample.mattermost.com`,
    email_verified: true,
    nickname: '',
    first_name: '',
    last_name: '',
    position: '',
    roles: 'system_user',
    locale: 'en',
    password_hash: '',
    auth_service: '',
    is_bot: false,
    failed_attempts: 0,
    last_password_update: now,
    last_picture_update: 0,
    last_activity_at: 0,
    mfa_active: false,
    props: {},
    notify_props: {
      channel: 'true', comments: 'never', desktop: 'mention', desktop_sound: 'true', email: 'true',
      first_name: 'false', mention_keys: '', push: 'mention', push_status: 'online',
    },
    timezone: { automaticTimezone: '', manualTimezone: '', useAutomaticTimezone: 'true' },
    ...fields,
  };
}
