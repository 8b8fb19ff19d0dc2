/**
 * Every route of the mock server, as the fuzzing tests need it: method, path (`:name` params),
 * a valid value for each param (used while something else is fuzzed), the body's key fields and
 * their types (the fuzzer puts wrong types there), and the error ids a bad param or a bad body
 * may legitimately answer (Mattermost's, per handler). Endpoints whose effect is not an input
 * error (logout, revoke-all-sessions) are listed with `noBodyFuzz` so the fuzzer never runs them
 * with valid params.
 */
import type { ErrorId } from '../../../mock-server/errors.js';

/** Ids the fuzz needs: seeded users, team, channel. */
export interface Seeds {
  adminId: string;
  userId: string;
  teamId: string;
  channelId: string;
}

export type FieldType = 'string' | 'int' | 'bool' | 'object' | 'string[]' | 'id';

export interface Endpoint {
  method: 'GET' | 'POST' | 'PUT';
  /** Under `/api/v4`. */
  path: string;
  /** A valid value per `:param` (the fuzzer replaces one at a time with a bad one). */
  params?: Record<string, (s: Seeds) => string>;
  /** Error ids for a bad path param (besides the router's 404 / 400 invalid_url_param). */
  badParam?: readonly ErrorId[];
  /** Key fields of the body and their types. Undefined: the route takes no body. */
  fields?: Record<string, FieldType>;
  /** Error ids a bad body may answer. */
  badBody?: readonly ErrorId[];
  /** The body is ignored or decoded leniently: a bad body may still answer 200 (data is still never changed). */
  lenientBody?: boolean;
  /** Never call with valid params (the call itself changes data whatever the body). */
  noBodyFuzz?: boolean;
  /** Query parameters taking numbers (`page`, `per_page`…). */
  query?: readonly string[];
}

const me = () => 'me';
const user = (s: Seeds) => s.userId;
const team = (s: Seeds) => s.teamId;
const channel = (s: Seeds) => s.channelId;
/** A valid id that names nothing. */
const nobody = () => 'qqqqqqqqqqqqqqqqqqqqqqqqqq';

const BODY = 'api.context.invalid_body_param.app_error' as const;
const NOT_FOUND_USER = 'app.user.missing_account.const' as const;
const NOT_FOUND_TOKEN = 'app.user_access_token.get_by_user.app_error' as const;
const PAGES = ['page', 'per_page'] as const;

export const ENDPOINTS: readonly Endpoint[] = [
  // Personal access tokens
  { method: 'POST', path: '/users/:user_id/tokens', params: { user_id: me }, badParam: [NOT_FOUND_USER], fields: { description: 'string', expires_at: 'int' }, badBody: [BODY, 'app.user_access_token.expires_at_in_past.app_error', 'model.user_access_token.is_valid.description.app_error'] },
  { method: 'GET', path: '/users/:user_id/tokens', params: { user_id: me }, query: PAGES },
  { method: 'GET', path: '/users/tokens', query: PAGES },
  { method: 'POST', path: '/users/tokens/search', fields: { term: 'string' }, badBody: [BODY], lenientBody: true },
  { method: 'GET', path: '/users/tokens/:token_id', params: { token_id: nobody }, badParam: [NOT_FOUND_TOKEN] },
  { method: 'POST', path: '/users/tokens/revoke', fields: { token_id: 'id' }, badBody: [NOT_FOUND_TOKEN] },
  { method: 'POST', path: '/users/tokens/disable', fields: { token_id: 'id' }, badBody: [NOT_FOUND_TOKEN] },
  { method: 'POST', path: '/users/tokens/enable', fields: { token_id: 'id' }, badBody: [NOT_FOUND_TOKEN] },
  { method: 'POST', path: '/users/tokens/rotate', fields: { token_id: 'id', expires_at: 'int' }, badBody: [BODY, NOT_FOUND_TOKEN, 'app.user_access_token.expires_at_in_past.app_error'] },
  { method: 'GET', path: '/users/tokens/non_compliant/count' },
  { method: 'POST', path: '/users/tokens/non_compliant/revoke', fields: {}, badBody: ['app.user_access_token.revoke_non_compliant.no_policy.app_error'] },
  // Sessions
  { method: 'GET', path: '/users/:user_id/sessions', params: { user_id: user }, badParam: [NOT_FOUND_USER] },
  { method: 'POST', path: '/users/:user_id/sessions/revoke', params: { user_id: user }, badParam: [NOT_FOUND_USER, 'app.session.get.app_error', BODY], fields: { session_id: 'id' }, badBody: [BODY, 'app.session.get.app_error'] },
  { method: 'POST', path: '/users/:user_id/sessions/revoke/all', params: { user_id: nobody }, badParam: [NOT_FOUND_USER], noBodyFuzz: true },
  // Users
  { method: 'POST', path: '/users/login', fields: { login_id: 'string', password: 'string' }, badBody: ['api.user.login.blank_pwd.app_error', 'api.user.login.invalid_credentials_email_username'] },
  { method: 'POST', path: '/users/logout', noBodyFuzz: true },
  { method: 'POST', path: '/users', fields: { username: 'string', email: 'string', password: 'string' }, badBody: [BODY, 'model.user.is_valid.username.app_error', 'model.user.is_valid.email.app_error', 'model.user.is_valid.pwd.app_error'] },
  { method: 'GET', path: '/users/username/:username', params: { username: () => 'user-1' }, badParam: ['app.user.get_by_username.app_error'] },
  { method: 'GET', path: '/users/:user_id', params: { user_id: user }, badParam: [NOT_FOUND_USER] },
  { method: 'PUT', path: '/users/:user_id/patch', params: { user_id: user }, badParam: [NOT_FOUND_USER], fields: { nickname: 'string', email: 'string', props: 'object' }, badBody: [BODY, 'model.user.is_valid.email.app_error'] },
  { method: 'PUT', path: '/users/:user_id/active', params: { user_id: user }, badParam: [NOT_FOUND_USER, BODY], fields: { active: 'bool' }, badBody: [BODY] },
  { method: 'PUT', path: '/users/:user_id/roles', params: { user_id: user }, badParam: [NOT_FOUND_USER, BODY], fields: { roles: 'string' }, badBody: [BODY, 'app.role.check_roles_exist.role_not_found'] },
  // Config, system, logs
  { method: 'GET', path: '/config' },
  { method: 'PUT', path: '/config', fields: { ServiceSettings: 'object', TeamSettings: 'object' }, badBody: [BODY] },
  { method: 'PUT', path: '/config/patch', fields: { ServiceSettings: 'object', RateLimitSettings: 'object' }, badBody: [BODY] },
  { method: 'GET', path: '/config/client' },
  { method: 'GET', path: '/system/ping' },
  { method: 'GET', path: '/logs', query: ['page', 'logs_per_page'] },
  // Bots
  { method: 'POST', path: '/bots', fields: { username: 'string', display_name: 'string', description: 'string' }, badBody: [BODY, 'model.bot.is_valid.username.app_error', 'model.bot.is_valid.description.app_error', 'model.bot.is_valid.user_id.app_error', 'api.bot.create_disabled'] },
  { method: 'GET', path: '/bots', query: PAGES },
  { method: 'GET', path: '/bots/:bot_user_id', params: { bot_user_id: nobody }, badParam: ['store.sql_bot.get.missing.app_error'] },
  { method: 'PUT', path: '/bots/:bot_user_id', params: { bot_user_id: nobody }, badParam: ['store.sql_bot.get.missing.app_error', BODY], fields: { username: 'string', display_name: 'string' }, badBody: [BODY, 'store.sql_bot.get.missing.app_error', 'model.bot.is_valid.username.app_error'] },
  { method: 'POST', path: '/bots/:bot_user_id/disable', params: { bot_user_id: nobody }, badParam: ['store.sql_bot.get.missing.app_error'], noBodyFuzz: true },
  { method: 'POST', path: '/bots/:bot_user_id/enable', params: { bot_user_id: nobody }, badParam: ['store.sql_bot.get.missing.app_error'], noBodyFuzz: true },
  { method: 'POST', path: '/bots/:bot_user_id/assign/:user_id', params: { bot_user_id: nobody, user_id: user }, badParam: ['store.sql_bot.get.missing.app_error', NOT_FOUND_USER], noBodyFuzz: true },
  // Teams
  { method: 'POST', path: '/teams', fields: { name: 'string', display_name: 'string', type: 'string', allow_open_invite: 'bool' }, badBody: [BODY, 'model.team.is_valid.name.app_error', 'model.team.is_valid.url.app_error', 'model.team.is_valid.characters.app_error', 'model.team.is_valid.reserved.app_error', 'model.team.is_valid.type.app_error', 'model.team.is_valid.description.app_error', 'model.team.is_valid.company.app_error', 'model.team.is_valid.domains.app_error'] },
  { method: 'GET', path: '/teams', query: PAGES },
  { method: 'GET', path: '/teams/name/:team_name', params: { team_name: () => 'ad-1' }, badParam: ['app.team.get_by_name.missing.app_error'] },
  { method: 'GET', path: '/teams/:team_id', params: { team_id: team }, badParam: ['app.team.get.find.app_error'] },
  { method: 'POST', path: '/teams/:team_id/members', params: { team_id: team }, badParam: ['app.team.get.find.app_error', BODY, 'api.team.add_team_member.invalid_body.app_error'], fields: { team_id: 'id', user_id: 'id' }, badBody: [BODY, 'api.team.add_team_member.invalid_body.app_error'] },
  { method: 'GET', path: '/teams/:team_id/members/:user_id', params: { team_id: team, user_id: user }, badParam: ['app.team.get.find.app_error', 'app.team.get_member.missing.app_error', NOT_FOUND_USER] },
  { method: 'GET', path: '/users/:user_id/teams', params: { user_id: user }, badParam: [NOT_FOUND_USER] },
  // Channels
  { method: 'POST', path: '/channels', fields: { team_id: 'id', name: 'string', display_name: 'string', type: 'string' }, badBody: [BODY, 'model.channel.is_valid.display_name.app_error', 'model.channel.is_valid.1_or_more.app_error', 'model.channel.is_valid.header.app_error', 'model.channel.is_valid.purpose.app_error', 'model.channel.is_valid.type.app_error', 'app.team.get.find.app_error', 'api.channel.create_channel.direct_channel.app_error'] },
  { method: 'POST', path: '/channels/direct', fields: { 0: 'id', 1: 'id' }, badBody: [BODY, 'api.channel.create_direct_channel.invalid_user.app_error'] },
  { method: 'GET', path: '/channels/:channel_id', params: { channel_id: channel }, badParam: ['app.channel.get.existing.app_error'] },
  { method: 'GET', path: '/teams/:team_id/channels/name/:channel_name', params: { team_id: team, channel_name: () => 'town-square' }, badParam: ['app.channel.get_by_name.missing.app_error', 'app.team.get.find.app_error'] },
  { method: 'POST', path: '/channels/:channel_id/members', params: { channel_id: channel }, badParam: ['app.channel.get.existing.app_error', BODY], fields: { user_id: 'id', post_root_id: 'id' }, badBody: [BODY, NOT_FOUND_USER, 'app.post.get.app_error'] },
  { method: 'GET', path: '/channels/:channel_id/members/:user_id', params: { channel_id: channel, user_id: user }, badParam: ['app.channel.get.existing.app_error', 'app.channel.get_member.missing.app_error', NOT_FOUND_USER] },
  { method: 'GET', path: '/users/:user_id/teams/:team_id/channels', params: { user_id: user, team_id: team }, badParam: [NOT_FOUND_USER, 'app.team.get.find.app_error', 'app.channel.get_channels.not_found.app_error'] },
  // Posts
  { method: 'POST', path: '/posts', fields: { channel_id: 'id', message: 'string', root_id: 'id', props: 'object', file_ids: 'string[]' }, badBody: [BODY, 'api.context.permissions.app_error', 'model.post.is_valid.msg.app_error', 'model.post.is_valid.type.app_error', 'api.post.create_post.root_id.app_error', 'app.channel.get.existing.app_error'] },
  { method: 'GET', path: '/posts/:post_id', params: { post_id: nobody }, badParam: ['app.post.get.app_error'] },
  { method: 'GET', path: '/channels/:channel_id/posts', params: { channel_id: channel }, badParam: ['app.channel.get.existing.app_error'], query: PAGES },
];

/** `path` with each `:param` replaced by `values[param]` (already encoded by the caller). */
export function fillPath(path: string, values: Record<string, string>): string {
  return `/api/v4${path.replace(/:(\w+)/g, (_m, name: string) => values[name] ?? '')}`;
}

/** The param names of a path, in order. */
export function paramNames(path: string): string[] {
  return [...path.matchAll(/:(\w+)/g)].map((m) => m[1] ?? '');
}
