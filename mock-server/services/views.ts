/**
 * The JSON views the REST API sends, and the one rule for where they are applied: **services
 * return records** (the domain: `UserRecord`, `TokenRecord`, `SessionRecord`, `BotRecord`,
 * `ChannelRecord`, `PostRecord`, `TeamRecord`, …) **and the route renders them**, with a view, in
 * the `sendJson` call that answers. So a service's answer can be reused by another service or a
 * test without undoing a view, and which view a caller gets (`userJsonFor`, `shouldSanitizeTeam`)
 * is decided in one visible place per route. A service renders only what it sends itself: a
 * WebSocket event's payload (`userCopies`, `postJson` in `posted`), published after the commit. A
 * secret leaves a service only beside its record ({@link IssuedToken}), so no route can send one
 * by rendering a record.
 *
 * The user, token and session views live here; `botJson` (./bots.ts), `channelJson` (./channels.ts),
 * `postJson` (./posts.ts, it reads the store for metadata) and `teamJson` (./teams.ts) still live
 * beside their services and follow the same rule.
 *
 * Views of frozen records, made once. The store's records are frozen and a commit replaces a
 * record rather than changing it, so a view built from one (the User JSON of a user record, say)
 * stays right for as long as that record object lives: it is kept in a `WeakMap` keyed by the
 * record, frozen, with its JSON text made the first time it is sent. A record that is not frozen
 * (one being built before its commit) gets a fresh view every time.
 *
 * @example
 * ```ts
 * const FULL = viewCache<UserRecord, UserJson>();
 * const view = memoView(FULL, record, buildFullView); // the same frozen object for the same record
 * sendJson(ctx, view);                               // JSON.stringify once per record, not per request
 * ```
 */
import type { MockConfig, SessionRecord, TeamMemberRecord, TokenRecord, UserRecord } from '../db/schema.js';
import { rolesOf } from '../../middleware/permissions/permissions.js';
import type { Principal } from '../../middleware/types.js';
import type { UserCopies } from '../websocket/events.js';
import { can } from './access.js';
import type { SessionListing } from './sessions.js';
import type { TeamMemberJson } from './teams.js';
import type { UserAutocomplete } from './user-queries.js';
import type { IssuedToken } from './tokens.js';

/**
 * Token JSON without the secret (every read). The `token` key is absent, as Go's omitempty does;
 * `expires_at` (0 = never expires) is always present, as on the newest servers.
 */
export type SanitizedTokenJson = Pick<TokenRecord, 'id' | 'user_id' | 'description' | 'is_active' | 'expires_at'>;

/** Token JSON with the secret: only from create and rotate. */
export interface FullTokenJson extends SanitizedTokenJson {
  token: string;
}

/**
 * Token JSON for reads: no secret, and no `token` key at all.
 *
 * @example
 * ```ts
 * sendJson(ctx, sanitizedToken(row)); // {"id","user_id","description","is_active","expires_at"}
 * ```
 */
export function sanitizedToken(t: TokenRecord): SanitizedTokenJson {
  return { id: t.id, user_id: t.user_id, description: t.description, is_active: t.is_active, expires_at: t.expires_at };
}

/**
 * Token JSON with its secret, the create/rotate answer (key order as Mattermost sends it).
 *
 * @example
 * ```ts
 * sendJson(ctx, issuedTokenJson(await createToken(server, caller, 'me', body))); // {"id","token",…}
 * ```
 */
export function issuedTokenJson({ record: t, secret }: IssuedToken): FullTokenJson {
  return { id: t.id, token: secret, user_id: t.user_id, description: t.description, is_active: t.is_active, expires_at: t.expires_at };
}

/** Mattermost's Session JSON (sanitized: `token` is `""`, key present). */
export interface SessionJson {
  id: string;
  token: string;
  create_at: number;
  expires_at: number;
  last_activity_at: number;
  user_id: string;
  device_id: string;
  roles: string;
  is_oauth: boolean;
  expired_notify: boolean;
  props: Record<string, string>;
  team_members: TeamMemberJson[];
  local: boolean;
}

/** A team membership as a session listing shows it (`explicit_roles` is always `""` there). */
function sessionTeamMemberJson(m: TeamMemberRecord): TeamMemberJson {
  const roles = rolesOf(m.roles);
  return {
    team_id: m.team_id, user_id: m.user_id, roles: m.roles, delete_at: m.delete_at,
    scheme_guest: roles.includes('team_guest'), scheme_user: roles.includes('team_user'),
    scheme_admin: roles.includes('team_admin'), explicit_roles: '',
  };
}

/**
 * Session JSON as listings show it.
 *
 * @example
 * ```ts
 * sessionJson(row, []); // { id, token: '', …, props, team_members: [], local: false }
 * ```
 */
export function sessionJson(s: SessionRecord, teamMembers: TeamMemberJson[]): SessionJson {
  return {
    id: s.id, token: '', create_at: s.create_at, expires_at: s.expires_at, last_activity_at: s.last_activity_at,
    user_id: s.user_id, device_id: s.device_id, roles: s.roles, is_oauth: s.is_oauth, expired_notify: false,
    props: { ...s.props }, team_members: teamMembers, local: false,
  };
}

/**
 * The `GET /users/{user_id}/sessions` answer: every session with the user's team memberships.
 *
 * @example
 * ```ts
 * sendJson(ctx, sessionListJson(listSessions(server, caller, 'me')));
 * ```
 */
export function sessionListJson({ sessions, teamMembers }: SessionListing): SessionJson[] {
  const members = teamMembers.map(sessionTeamMemberJson);
  return sessions.map((s) => sessionJson(s, members));
}

/** One kind of view (e.g. the full User JSON), by record. */
export type ViewCache<R extends object, V extends object> = WeakMap<R, V>;

/** A cache for one kind of view. */
export function viewCache<R extends object, V extends object>(): ViewCache<R, V> {
  return new WeakMap<R, V>();
}

/** The JSON text of memoized views, by view (only views {@link memoView} made are kept). */
const texts = new WeakMap<object, string>();
const views = new WeakSet<object>();

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * The view of `record` from `cache`, built by `build` (and frozen) the first time; a record that
 * is not frozen is built afresh and not kept.
 */
export function memoView<R extends object, V extends object>(cache: ViewCache<R, V>, record: R, build: (record: R) => V): V {
  if (!Object.isFrozen(record)) return build(record);
  let view = cache.get(record);
  if (view === undefined) {
    view = deepFreeze(build(record));
    cache.set(record, view);
    views.add(view);
  }
  return view;
}

/**
 * `JSON.stringify(value)`, kept for a view {@link memoView} made (frozen, deeply) so that sending
 * the same view again costs a `WeakMap` lookup; any other value is serialized every time.
 */
export function viewJson(value: unknown): string {
  if (value === null || typeof value !== 'object' || !views.has(value)) return JSON.stringify(value);
  let text = texts.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    texts.set(value, text);
  }
  return text;
}

/** Mattermost's User JSON (omitempty fields left out when empty). */
export type UserJson = Record<string, unknown> & { id: string; username: string; roles: string };

/**
 * User JSON. `full` (self, or a caller with `manage_system`): `Sanitize` — no password or MFA
 * secret, `auth_data: ""`. Otherwise the profile view (`SanitizeProfile`): also no notify props,
 * `email_verified`, `last_password_update`, `failed_attempts`.
 *
 * @example
 * ```ts
 * sendJson(ctx, userJson(user)); // no password fields, auth_data ''
 * ```
 */
export function userJson(u: UserRecord, full = true): UserJson {
  // Made once per (frozen) record and view: re-serializing the same user was 10 % of GET /users/me.
  return full ? memoView(FULL_VIEWS, u, buildFull) : memoView(PROFILE_VIEWS, u, buildProfile);
}

const FULL_VIEWS = viewCache<UserRecord, UserJson>();
const PROFILE_VIEWS = viewCache<UserRecord, UserJson>();
const buildFull = (u: UserRecord) => buildUserJson(u, true);
const buildProfile = (u: UserRecord) => buildUserJson(u, false);

function buildUserJson(u: UserRecord, full: boolean): UserJson {
  const out: UserJson = {
    id: u.id,
    create_at: u.create_at,
    update_at: u.update_at,
    delete_at: u.delete_at,
    username: u.username,
    auth_data: '',
    auth_service: u.auth_service,
    email: u.email,
    nickname: u.nickname,
    first_name: u.first_name,
    last_name: u.last_name,
    position: u.position,
    roles: u.roles,
    locale: u.locale,
    timezone: { ...u.timezone },
    disable_welcome_email: false,
  };
  if (Object.keys(u.props).length > 0) out.props = { ...u.props };
  if (full) {
    if (u.email_verified) out.email_verified = true;
    out.notify_props = { ...u.notify_props };
    if (u.last_password_update) out.last_password_update = u.last_password_update;
    if (u.failed_attempts) out.failed_attempts = u.failed_attempts;
  }
  if (u.last_picture_update) out.last_picture_update = u.last_picture_update;
  if (u.mfa_active) out.mfa_active = true;
  if (u.last_activity_at) out.last_activity_at = u.last_activity_at;
  if (u.is_bot) {
    out.is_bot = true;
    if (u.bot_description) out.bot_description = u.bot_description;
  }
  return out;
}

/**
 * Which view the caller gets of `target`.
 *
 * @example
 * ```ts
 * const view = userJsonFor(caller, other); // profile view unless self or manage_system
 * ```
 */
export function userJsonFor(caller: Principal | undefined, u: UserRecord): UserJson {
  // No caller: open sign-up (POST /users without a session), where the new user sees itself.
  return userJson(u, caller === undefined || caller.userId === u.id || can(caller, 'manage_system'));
}

/** `Config.GetSanitizeOptions` (+ `asAdmin`, `App.GetSanitizeOptions`). */
export interface SanitizeOptions {
  readonly email: boolean;
  readonly fullname: boolean;
  readonly authservice: boolean;
}

/**
 * `App.GetSanitizeOptions`: admins always see email, full name and auth service; others as
 * `PrivacySettings.ShowEmailAddress` / `ShowFullName` say (both true by default, as in Mattermost).
 *
 * @example
 * ```ts
 * sanitizeOptions(store.config, false); // { email: true, fullname: true, authservice: false }
 * ```
 */
export function sanitizeOptions(config: MockConfig, asAdmin: boolean): SanitizeOptions {
  if (asAdmin) return { email: true, fullname: true, authservice: true };
  const privacy = config.PrivacySettings as Record<string, unknown> | undefined;
  return { email: privacy?.ShowEmailAddress !== false, fullname: privacy?.ShowFullName !== false, authservice: false };
}

/**
 * `User.SanitizeProfile`: the profile view (`ClearNonProfileFields`: no notify props,
 * `email_verified`, `last_password_update`, `failed_attempts`), then `Sanitize(options)`: email,
 * first/last name and auth service blanked unless the options allow them.
 *
 * @example
 * ```ts
 * sanitizeProfile(user, sanitizeOptions(store.config, false)).auth_service; // ''
 * ```
 */
export function sanitizeProfile(u: UserRecord, options: SanitizeOptions): UserJson {
  // A copy: the profile view of a stored record is shared and frozen.
  const out = { ...userJson(u, false) };
  if (!options.email) out.email = '';
  if (!options.fullname) {
    out.first_name = '';
    out.last_name = '';
  }
  if (!options.authservice) out.auth_service = '';
  return out;
}

/** The three copies `sendUpdatedUserEvent` publishes: admin, sanitized, the user's own. */
export function userCopies(config: MockConfig, u: UserRecord): UserCopies {
  return { admin: sanitizeProfile(u, sanitizeOptions(config, true)), sanitized: sanitizeProfile(u, sanitizeOptions(config, false)), self: userJson(u, true) };
}

/**
 * `SanitizeProfile` without the privacy blanking: the profile view that user lists and lookups by
 * email, id or username answer (for the caller too).
 *
 * @example
 * ```ts
 * sendJson(ctx, searchUsers(server, caller, input).map(userProfileJson));
 * ```
 */
export function userProfileJson(u: UserRecord): UserJson {
  return userJson(u, false);
}

/** `model.UserAutocomplete`'s JSON: `out_of_channel` only when asked for a channel. */
export interface UserAutocompleteJson {
  users: UserJson[];
  out_of_channel?: UserJson[];
}

/**
 * The `GET /users/autocomplete` answer: profile views.
 *
 * @example
 * ```ts
 * sendJson(ctx, userAutocompleteJson(autocompleteUsers(server, caller, { name: 'ad', limit: 100 })));
 * ```
 */
export function userAutocompleteJson(found: UserAutocomplete): UserAutocompleteJson {
  const out: UserAutocompleteJson = { users: found.users.map(userProfileJson) };
  if (found.out_of_channel !== undefined) out.out_of_channel = found.out_of_channel.map(userProfileJson);
  return out;
}

/**
 * The `POST /users/login` answer: the user's full view with `last_login`, the new session's start.
 *
 * @example
 * ```ts
 * const result = await login(server, props);
 * sendJson(ctx, loginUserJson(result.user, result.session));
 * ```
 */
export function loginUserJson(user: UserRecord, session: SessionRecord): UserJson {
  return { ...userJson(user, true), last_login: session.create_at };
}
