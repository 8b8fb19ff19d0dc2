/**
 * One registry of Mattermost error ids: each id is defined once with its HTTP status and its
 * English message (Mattermost's `en.json`). Handlers throw {@link AppError}s; one boundary
 * (`errorBoundary()`) renders them as Mattermost's JSON error body.
 *
 * @example
 * ```ts
 * import { AppError } from 'mattermost-pat';
 * throw new AppError('api.context.invalid_url_param.app_error', { params: { Name: 'user_id' } });
 * ```
 */

/** Every error id this package can emit, with Mattermost's status and English message. */
export const ERRORS = {
  // Request context / routing
  'api.context.session_expired.app_error': { status: 401, message: 'Invalid or expired session, please login again.' },
  'api.context.permissions.app_error': { status: 403, message: 'You do not have the appropriate permissions.' },
  'api.context.invalid_url_param.app_error': { status: 400, message: 'Invalid or missing {{.Name}} parameter in request URL.' },
  'api.context.invalid_body_param.app_error': { status: 400, message: 'Invalid or missing {{.Name}} in request body.' },
  'api.context.invalid_param.app_error': { status: 400, message: 'Invalid {{.Name}} parameter.' },
  'api.context.token_provided.app_error': { status: 401, message: 'Session is not OAuth but token was provided in the query string.' },
  'api.context.mfa_required.app_error': { status: 403, message: 'Multi-factor authentication is required on this server.' },
  'api.context.404.app_error': { status: 404, message: 'Sorry, we could not find the page.' },
  'api.context.request_body_too_large.app_error': { status: 413, message: 'The request body is too large.' },
  'api.context.rate_limited.app_error': { status: 429, message: 'Too many requests. Please try again later.' },
  'api.context.upstream_unavailable.app_error': { status: 503, message: 'The authentication server is unavailable. Please try again later.' },
  'api.context.internal.app_error': { status: 500, message: 'An internal server error occurred.' },
  'api.context.method_not_allowed.app_error': { status: 405, message: 'Method not allowed.' },

  // Personal access tokens
  'app.user_access_token.disabled': { status: 501, message: 'Personal access tokens are disabled on this server. Please contact your system administrator for details.' },
  'app.user_access_token.get_by_user.app_error': { status: 404, message: 'Unable to get the personal access tokens by user.' },
  'app.user_access_token.invalid_or_missing': { status: 401, message: 'Invalid or missing token.' },
  'app.user_access_token.expired': { status: 401, message: 'The personal access token has expired.' },
  'app.user_access_token.expires_at_in_past.app_error': { status: 400, message: 'The provided expires_at is in the past.' },
  'app.user_access_token.expires_at_required.app_error': { status: 400, message: 'Personal access tokens must include an expiry date because the server enforces a maximum token lifetime.' },
  'app.user_access_token.expires_at_too_far.app_error': { status: 400, message: 'The provided expires_at exceeds the configured maximum personal access token lifetime ({{.Days}} days).' },
  'app.user_access_token.revoke_non_compliant.no_policy.app_error': { status: 400, message: 'No maximum personal access token lifetime is configured.' },
  'app.user_access_token.delete.app_error': { status: 500, message: 'Unable to delete the personal access token.' },
  'app.user_access_token.update_token_disable.app_error': { status: 500, message: 'Unable to disable the access token.' },
  'app.user_access_token.update_token_enable.app_error': { status: 500, message: 'Unable to enable the access token.' },
  'app.user_access_token.get_all.app_error': { status: 500, message: 'Unable to get all personal access tokens.' },
  'app.user_access_token.search.app_error': { status: 500, message: 'We encountered an error searching user access tokens.' },
  'app.user_access_token.save.app_error': { status: 500, message: 'Unable to save the personal access token.' },
  'app.user_access_token.rotate.app_error': { status: 500, message: 'Unable to rotate the personal access token.' },
  'model.user_access_token.is_valid.description.app_error': { status: 400, message: 'Invalid description, must be 255 or less characters.' },
  'model.user_access_token.is_valid.expires_at.app_error': { status: 400, message: 'Invalid expiry time.' },
  'api.user.rotate_user_access_token.disabled_token.app_error': { status: 400, message: 'Cannot regenerate a disabled access token.' },

  // Users, login, roles
  'app.user.missing_account.const': { status: 404, message: 'Unable to find the user.' },
  'app.user.save.username_exists.app_error': { status: 400, message: 'An account with that username already exists.' },
  'app.user.save.email_exists.app_error': { status: 400, message: 'An account with that email already exists.' },
  'app.user.update.lastAdmin.app_error': { status: 400, message: 'You cannot demote the last system admin.' },
  'app.role.check_roles_exist.role_not_found': { status: 400, message: 'The provided role does not exist' },
  'api.user.update_user_roles.license.app_error': { status: 400, message: 'Custom permission schemes not supported by current license' },
  'api.user.update_active.permissions.app_error': { status: 403, message: 'You do not have the appropriate permissions.' },
  'api.user.update_active.not_enable.app_error': { status: 401, message: 'You cannot deactivate yourself because this feature is not enabled. Please contact your System Administrator.' },
  'api.user.login.invalid_credentials_email_username': { status: 401, message: 'Enter a valid email or username and/or password.' },
  'api.user.login.blank_pwd.app_error': { status: 400, message: 'Password field must not be blank' },
  'api.user.login.inactive.app_error': { status: 401, message: 'Login failed because your account has been deactivated.  Please contact an administrator.' },
  'api.user.login.bot_login_forbidden.app_error': { status: 401, message: 'Bot login is forbidden.' },
  'api.user.check_user_login_attempts.too_many.app_error': { status: 401, message: 'Your account is locked because of too many failed password attempts. Please reset your password.' },
  'model.user.is_valid.username.app_error': { status: 400, message: 'Username must begin with a letter, and contain between 3 to 22 lowercase characters made up of numbers, letters, and the symbols \'.\', \'-\', and \'_\'.' },
  'model.user.is_valid.email.app_error': { status: 400, message: 'Invalid email.' },
  'model.user.is_valid.pwd.app_error': { status: 400, message: 'Your password must contain at least 5 characters.' },
  'app.user.get_by_username.app_error': { status: 404, message: 'Unable to find an existing account matching your username for this team. This team may require an invite from the team owner to join.' },
  'app.session.get.app_error': { status: 400, message: 'We encountered an error finding the session.' },
  'api.user.create_user.signup_email_disabled.app_error': { status: 501, message: 'User sign-up with email is disabled.' },
  'api.user.delete_user.not_enabled.app_error': { status: 401, message: 'Permanent user deletion feature is not enabled. Please contact your System Administrator.' },

  // Bots
  'store.sql_bot.get.missing.app_error': { status: 404, message: 'Bot does not exist.' },
  'app.bot.createbot.username_exists.app_error': { status: 400, message: 'An account with that username already exists.' },
  'api.bot.create_disabled': { status: 403, message: 'Bot creation has been disabled.' },
  'model.bot.is_valid.username.app_error': { status: 400, message: 'Invalid username.' },
  'model.bot.is_valid.description.app_error': { status: 400, message: 'Invalid description.' },
  'model.bot.is_valid.creator_id.app_error': { status: 400, message: 'Invalid creator id.' },
  'model.bot.is_valid.user_id.app_error': { status: 400, message: 'Invalid user id.' },

  // Teams, channels, posts
  'app.team.get.find.app_error': { status: 404, message: 'Unable to find the existing team.' },
  'app.team.get_by_name.missing.app_error': { status: 404, message: 'Unable to find the existing team.' },
  'app.team.save.existing.app_error': { status: 400, message: 'Must call update for existing team.' },
  'store.sql_team.save_team.existing.app_error': { status: 400, message: 'A team with that name already exists' },
  'app.channel.get.existing.app_error': { status: 404, message: 'Unable to find the existing channel.' },
  'app.channel.get_by_name.missing.app_error': { status: 404, message: 'Channel does not exist.' },
  'store.sql_channel.save_channel.exists.app_error': { status: 400, message: 'A channel with that name already exists on the same team.' },
  'app.post.get.app_error': { status: 404, message: 'Unable to get the post.' },
  'model.post.is_valid.msg.app_error': { status: 400, message: 'Invalid Message.' },
  'model.post.is_valid.type.app_error': { status: 400, message: 'Invalid type.' },
  'model.post.is_valid.root_id.app_error': { status: 400, message: 'Invalid root id.' },
  'api.post.create_post.root_id.app_error': { status: 400, message: 'Invalid RootId parameter.' },
  'api.post.create_post.channel_root_id.app_error': { status: 400, message: 'Invalid ChannelId for RootId parameter.' },
  'api.post.create_post.can_not_post_to_deleted.error': { status: 400, message: 'Can not post to deleted channel.' },
  'api.team.is_team_creation_allowed.disabled.app_error': { status: 403, message: 'Team creation has been disabled. Please ask your System Administrator for details.' },
  'api.team.get_all_teams.insufficient_permissions': { status: 403, message: "You don't have the appropriate permissions to list all teams" },
  'api.team.add_team_member.invalid_body.app_error': { status: 400, message: 'Unable to parse team member from request body.' },
  'app.team.get_member.missing.app_error': { status: 404, message: 'No team member found for that user ID and team ID.' },
  'model.team.is_valid.name.app_error': { status: 400, message: 'Invalid name.' },
  'model.team.is_valid.url.app_error': { status: 400, message: 'Invalid URL Identifier.' },
  'model.team.is_valid.characters.app_error': { status: 400, message: 'Name must be 2 or more lowercase alphanumeric characters.' },
  'model.team.is_valid.reserved.app_error': { status: 400, message: 'This URL is unavailable. Please try another.' },
  'model.team.is_valid.type.app_error': { status: 400, message: 'Invalid type.' },
  'model.team.is_valid.description.app_error': { status: 400, message: 'Invalid description.' },
  'model.team.is_valid.company.app_error': { status: 400, message: 'Invalid company name.' },
  'model.team.is_valid.domains.app_error': { status: 400, message: 'Invalid allowed domains.' },
  'model.channel.is_valid.1_or_more.app_error': { status: 400, message: 'Name must be 1 or more lowercase alphanumeric character.' },
  'model.channel.is_valid.display_name.app_error': { status: 400, message: 'Invalid display name.' },
  'model.channel.is_valid.header.app_error': { status: 400, message: 'Invalid header.' },
  'model.channel.is_valid.purpose.app_error': { status: 400, message: 'Invalid purpose.' },
  'model.channel.is_valid.type.app_error': { status: 400, message: 'Invalid type.' },
  'api.channel.create_channel.direct_channel.app_error': { status: 400, message: 'Must use createDirectChannel API service for direct message channel creation.' },
  'api.channel.create_direct_channel.invalid_user.app_error': { status: 400, message: 'Invalid user ID for direct channel creation.' },
  'api.channel.add_user_to_channel.type.app_error': { status: 400, message: 'Can not add user to this channel type.' },
  'api.channel.add_user.to.channel.failed.deleted.app_error': { status: 400, message: 'Failed to add user to channel because they have been removed from the team.' },
  'app.channel.get_member.missing.app_error': { status: 404, message: 'No channel member found for that user ID and channel ID.' },
  'app.channel.get_channels.not_found.app_error': { status: 404, message: 'No channels were found.' },

  // Signed events between processes (event-receiver.ts)
  'api.events.malformed.app_error': { status: 400, message: 'The event is malformed.' },
  'api.events.invalid_signature.app_error': { status: 401, message: 'The event signature or its claims are invalid.' },
  'api.events.expired.app_error': { status: 401, message: 'The event is too old or dated in the future.' },
  'api.events.replayed.app_error': { status: 401, message: 'The event was already received.' },
  'api.events.keys_unavailable.app_error': { status: 503, message: 'The event signing keys are unavailable. Please try again later.' },

  // Config
  'api.config.update_config.restricted_merge.app_error': { status: 400, message: 'Failed to merge given config.' },
} as const satisfies Record<string, { status: number; message: string }>;

/** Closed union of error ids: `switch (err.id)` narrows. */
export type ErrorId = keyof typeof ERRORS;

export interface AppErrorOptions {
  /** Values for `{{.Name}}`-style placeholders in the message. */
  params?: Record<string, string | number>;
  /** Developer detail (e.g. `userId=…, permission=…`). Rendered only in developer mode. */
  detailed?: string;
  /** Override the registry status (Mattermost does this in a few places). */
  status?: number;
  /** Extra response headers (e.g. `WWW-Authenticate`, `Retry-After`). */
  headers?: Record<string, string>;
  /** Internal cause, never rendered. */
  cause?: unknown;
}

/** Render a Mattermost message template: `{{.Name}}` -> params.Name. */
export function renderMessage(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (whole, key: string) =>
    Object.prototype.hasOwnProperty.call(params, key) ? String(params[key]) : whole);
}

/**
 * A Mattermost error: an id from {@link ERRORS}, its status and message. Throw it from any
 * handler or middleware; `errorBoundary()` renders it.
 */
export class AppError extends Error {
  readonly id: ErrorId;
  readonly status: number;
  readonly detailed: string;
  readonly params: Record<string, string | number>;
  readonly headers: Record<string, string>;
  /** Koa convention: the message is safe to show to clients. */
  readonly expose = true;

  constructor(id: ErrorId, options: AppErrorOptions = {}) {
    const def = ERRORS[id];
    super(renderMessage(def.message, options.params), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.id = id;
    this.status = options.status ?? def.status;
    this.detailed = options.detailed ?? '';
    this.params = options.params ?? {};
    this.headers = options.headers ?? {};
  }
}

/** Mattermost's JSON error body, keys in Go struct order. */
export interface AppErrorBody {
  id: string;
  message: string;
  detailed_error: string;
  request_id?: string;
  status_code?: number;
  is_oauth?: boolean;
}

/** Shortcut for the 400 `invalid_url_param` error naming a URL parameter. */
export function invalidUrlParam(name: string): AppError {
  return new AppError('api.context.invalid_url_param.app_error', { params: { Name: name } });
}

/** Shortcut for the 400 `invalid_body_param` error naming a body field. */
export function invalidBodyParam(name: string): AppError {
  return new AppError('api.context.invalid_body_param.app_error', { params: { Name: name } });
}

/** Shortcut for the 403 permission error naming the missing permission. */
export function permissionError(userId: string, permission: string, extra = ''): AppError {
  return new AppError('api.context.permissions.app_error', {
    detailed: `userId=${userId}, permission=${permission}${extra}`,
    headers: { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${permission}"` },
  });
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
