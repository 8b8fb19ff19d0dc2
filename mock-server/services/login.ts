/**
 * `POST /users/login`: checks in Mattermost's order, masked credential errors, failed
 * attempt counting and lockout, then a new login session (random id and token; the store keeps
 * only the token's SHA-256 digest and a CSRF token in the session props).
 *
 * @example
 * ```ts
 * const { user, token, session } = await login(server, { login_id: 'sysadmin', password: 'Sys@dmin-sample1' });
 * // token: the session secret for the `Token` response header / MMAUTHTOKEN cookie
 * ```
 */
import { sha256Hex } from '../../middleware/util/digest.js';
import { AppError } from '../errors.js';
import { isValidId, newId } from '../../middleware/util/ids.js';
import type { Mutation, SessionRecord, UserRecord } from '../db/schema.js';
import { commitThenEmit, type HookEvent } from './commit.js';
import type { ServiceContext } from './context.js';
import { verifyPassword } from '../passwords.js';
import { sessionsOverCap } from './sessions.js';

/** A login's outcome; the route renders `user` with `loginUserJson` (./views.ts). */
export interface LoginResult {
  /** The user as stored after the login (failed attempts reset). */
  user: UserRecord;
  /** The session secret (shown once: `Token` header, cookie). */
  token: string;
  session: SessionRecord;
}

export interface LoginClient {
  /** `X-Requested-With: XMLHttpRequest` was sent (browser-like client). */
  browser?: boolean;
  userAgent?: string;
}

const invalidCredentials = () => new AppError('api.user.login.invalid_credentials_email_username');

/** Per store: user id → login attempts whose password check is still running. */
const attemptsInFlight = new WeakMap<object, Map<string, number>>();

/**
 * Mattermost's `checkUserLoginAttempts`, made atomic per user: the user's stored failures plus the
 * checks still running must be under `limit`, or the login is refused with `too_many` (the right
 * password included). Otherwise one slot is taken at once, synchronously; the returned function
 * gives it back when the check is done (a failure has been counted in `failed_attempts` by then).
 * So at most `limit` guesses are ever checked, however many arrive together.
 */
function checkUserLoginAttempts(server: ServiceContext, userId: string, limit: number): () => void {
  let inFlight = attemptsInFlight.get(server.store);
  if (inFlight === undefined) attemptsInFlight.set(server.store, (inFlight = new Map()));
  const running = inFlight.get(userId) ?? 0;
  const stored = server.store.get('users', userId)?.failed_attempts ?? 0;
  if (stored + running >= limit) throw new AppError('api.user.check_user_login_attempts.too_many.app_error');
  inFlight.set(userId, running + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (inFlight.get(userId) ?? 1) - 1;
    if (left <= 0) inFlight.delete(userId);
    else inFlight.set(userId, left);
  };
}

function findUser(server: ServiceContext, id: string, loginId: string): UserRecord | undefined {
  if (id !== '') return isValidId(id) ? server.store.get('users', id) : undefined;
  const key = loginId.toLowerCase();
  return server.store.findOne('users', 'username', key) ?? server.store.findOne('users', 'email', key);
}

/**
 * Authenticate a login request (a Mattermost string map) and create the session.
 *
 * @example
 * ```ts
 * const { token } = await login(server, { login_id: 'user-1', password: 'SampleUs@r-1' }, { browser: true });
 * ```
 */
export async function login(server: ServiceContext, props: Record<string, string>, client: LoginClient = {}): Promise<LoginResult> {
  const { id = '', login_id: loginId = '', password = '', device_id: deviceId = '' } = props;
  if (password === '') throw new AppError('api.user.login.blank_pwd.app_error');
  const user = findUser(server, id, loginId);
  if (user === undefined) {
    await verifyPassword(password, ''); // same cost as a real check
    throw invalidCredentials();
  }
  if (user.delete_at !== 0) throw new AppError('api.user.login.inactive.app_error');
  if (user.is_bot) throw new AppError('api.user.login.bot_login_forbidden.app_error');
  const max = server.store.config.ServiceSettings.MaximumLoginAttempts;
  const limit = typeof max === 'number' && max > 0 ? max : Infinity;
  // The attempt is counted (a slot taken) before the password is checked, in the same tick as the
  // limit check: no guess can slip in between (check-then-increment across an await did).
  const release = checkUserLoginAttempts(server, user.id, limit);
  let valid: boolean;
  try {
    valid = await verifyPassword(password, user.password_hash);
    if (!valid) {
      const current = server.store.get('users', user.id) ?? user;
      // Applied to memory at once (the store's commit), so concurrent failures never lose a count.
      await commitThenEmit(server, [{ op: 'put', collection: 'users', record: { ...current, failed_attempts: current.failed_attempts + 1 } }], {
        log: [['login failed', { user_id: user.id, reason: 'invalid_password' }]],
      });
    }
  } finally {
    release();
  }
  if (!valid) throw invalidCredentials();
  const now = server.now();
  const current = server.store.get('users', user.id) ?? user;
  const updated: UserRecord = { ...current, failed_attempts: 0 };
  const hours = server.store.config.ServiceSettings.SessionLengthWebInHours;
  const token = newId();
  const ua = client.userAgent ?? '';
  const session: SessionRecord = {
    id: newId(),
    token_digest: sha256Hex(token),
    user_id: user.id,
    create_at: now,
    expires_at: now + (typeof hours === 'number' && hours > 0 ? hours : 720) * 3_600_000,
    last_activity_at: now,
    device_id: deviceId,
    roles: user.roles,
    is_oauth: false,
    props: {
      platform: /windows/i.test(ua) ? 'Windows' : /mac/i.test(ua) ? 'Macintosh' : /linux/i.test(ua) ? 'Linux' : 'Unknown',
      os: '',
      browser: client.browser ? 'Unknown/0.0' : '',
      isMobile: 'false',
      isSaml: 'false',
      isOAuthUser: 'false',
      is_guest: 'false',
      csrf: newId(),
    },
  };
  const evict = sessionsOverCap(server.store, user.id, 'login');
  await commitThenEmit(server, [
    { op: 'put', collection: 'users', record: updated },
    ...evict.map((s): Mutation => ({ op: 'delete', collection: 'sessions', key: s.id })),
    { op: 'put', collection: 'sessions', record: session },
  ], {
    hooks: evict.map((s): HookEvent => ['session.revoked', { userId: s.user_id, sessionId: s.id }]),
    log: [['login', { user_id: user.id, session_id: session.id }]],
  });
  return { user: updated, token, session };
}
