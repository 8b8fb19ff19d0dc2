/**
 * The mock server's error registry: the ids only the mock throws (Mattermost's handlers for
 * users, tokens, bots, teams, channels, posts), with Mattermost's status and English message.
 * Built with the middleware's `defineErrors()`, so the mock's `AppError` also takes the
 * middleware's ids and `errorBoundary()` renders both alike.
 */
import { defineErrors, type AppError as BaseAppError } from '../middleware/errors/app-error.js';
import { type ErrorId as MiddlewareErrorId } from '../middleware/errors/registry.js';

export { invalidBodyParam, permissionError } from '../middleware/errors/shortcuts.js';

/** Every error id only the mock server emits. */
export const MOCK_ERRORS = {
  // Request context / routing
  'api.context.invalid_url_param.app_error': { status: 400, message: 'Invalid or missing {{.Name}} parameter in request URL.' },
  // Mock-only (not Mattermost): a route no handler serves, with onUnhandledRequest: 'error'.
  'api.mock.unhandled_request.app_error': { status: 501, message: 'No route of the mock server serves this request (onUnhandledRequest is "error").' },

  // Personal access tokens
  'app.user_access_token.disabled': { status: 501, message: 'Personal access tokens are disabled on this server. Please contact your system administrator for details.' },
  'app.user_access_token.get_by_user.app_error': { status: 404, message: 'Unable to get the personal access tokens by user.' },
  'app.user_access_token.expires_at_in_past.app_error': { status: 400, message: 'The provided expires_at is in the past.' },
  'app.user_access_token.expires_at_required.app_error': { status: 400, message: 'Personal access tokens must include an expiry date because the server enforces a maximum token lifetime.' },
  'app.user_access_token.expires_at_too_far.app_error': { status: 400, message: 'The provided expires_at exceeds the configured maximum personal access token lifetime ({{.Days}} days).' },
  'app.user_access_token.revoke_non_compliant.no_policy.app_error': { status: 400, message: 'No maximum personal access token lifetime is configured.' },
  'model.user_access_token.is_valid.description.app_error': { status: 400, message: 'Invalid description, must be 255 or less characters.' },
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
  'api.bot.create_disabled': { status: 403, message: 'Bot creation has been disabled.' },
  'model.bot.is_valid.username.app_error': { status: 400, message: 'Invalid username.' },
  'model.bot.is_valid.description.app_error': { status: 400, message: 'Invalid description.' },
  'model.bot.is_valid.user_id.app_error': { status: 400, message: 'Invalid user id.' },

  // Teams, channels, posts
  'app.team.get.find.app_error': { status: 404, message: 'Unable to find the existing team.' },
  'app.team.get_by_name.missing.app_error': { status: 404, message: 'Unable to find the existing team.' },
  'store.sql_team.save_team.existing.app_error': { status: 400, message: 'A team with that name already exists' },
  'app.channel.get.existing.app_error': { status: 404, message: 'Unable to find the existing channel.' },
  'app.channel.get_by_name.missing.app_error': { status: 404, message: 'Channel does not exist.' },
  'store.sql_channel.save_channel.exists.app_error': { status: 400, message: 'A channel with that name already exists on the same team.' },
  'app.post.get.app_error': { status: 404, message: 'Unable to get the post.' },
  'model.post.is_valid.msg.app_error': { status: 400, message: 'Invalid Message.' },
  'model.post.is_valid.type.app_error': { status: 400, message: 'Invalid type.' },
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

  // Integrations: slash commands, incoming and outgoing webhooks
  'api.command.disabled.app_error': { status: 501, message: 'Commands have been disabled by the system admin.' },
  'api.command.duplicate_trigger.app_error': { status: 400, message: 'This trigger word is already in use. Please choose another word.' },
  'api.command.team_mismatch.app_error': { status: 400, message: 'Unable to update commands across teams.' },
  'api.command.command_post.forbidden.app_error': { status: 403, message: 'Specified user is not a member of specified channel.' },
  'api.command.execute_command.start.app_error': { status: 400, message: 'No command trigger found.' },
  'api.command.execute_command.deleted.error': { status: 400, message: 'Can not run command in deleted channel.' },
  'api.command.execute_command.format.app_error': { status: 400, message: 'Command trigger word is missing the leading slash character' },
  'api.command.execute_command.not_found.app_error': { status: 404, message: 'Command with a trigger of \'{{.Trigger}}\' not found. To send a message beginning with "/", try adding an empty space at the beginning of the message.' },
  'api.command.execute_command.failed.app_error': { status: 500, message: 'Command with a trigger of \'{{.Trigger}}\' failed.' },
  'api.command.execute_command.failed_resp.app_error': { status: 500, message: 'Command with a trigger of \'{{.Trigger}}\' returned response {{.Status}}.' },
  'api.command.execute_command.create_post_failed.app_error': { status: 500, message: 'Command \'{{.Trigger}}\' failed to post response. Please contact your System Administrator.' },
  'store.sql_command.save.get.app_error': { status: 404, message: 'Unable to get the command.' },
  'model.command.is_valid.team_id.app_error': { status: 400, message: 'Invalid team ID.' },
  'model.command.is_valid.user_id.app_error': { status: 400, message: 'Invalid user id.' },
  'model.command.is_valid.trigger.app_error': { status: 400, message: 'Invalid trigger.' },
  'model.command.is_valid.url.app_error': { status: 400, message: 'Invalid URL.' },
  'model.command.is_valid.url_http.app_error': { status: 400, message: 'Invalid URL. Must be a valid URL and start with http:// or https://.' },
  'model.command.is_valid.method.app_error': { status: 400, message: 'Invalid Method.' },
  'model.command.is_valid.display_name.app_error': { status: 400, message: 'Invalid title.' },
  'model.command.is_valid.description.app_error': { status: 400, message: 'Invalid description.' },
  'api.incoming_webhook.disabled.app_error': { status: 501, message: 'Incoming webhooks have been disabled by the system admin.' },
  'api.incoming_webhook.invalid_username.app_error': { status: 400, message: 'Invalid username.' },
  'api.outgoing_webhook.disabled.app_error': { status: 501, message: 'Outgoing webhooks have been disabled by the system admin.' },
  'api.webhook.team_mismatch.app_error': { status: 400, message: 'Unable to update webhook across teams.' },
  'api.webhook.create_outgoing.intersect.app_error': { status: 500, message: 'Outgoing webhooks from the same channel cannot have the same trigger words/callback URLs.' },
  'api.webhook.update_outgoing.intersect.app_error': { status: 400, message: 'Outgoing webhooks from the same channel cannot have the same trigger words/callback URLs.' },
  'api.webhook.create_outgoing.not_open.app_error': { status: 403, message: 'Outgoing webhooks can only be created for public channels.' },
  'api.webhook.create_outgoing.permissions.app_error': { status: 403, message: 'Invalid permissions to create outgoing webhook.' },
  'api.webhook.create_outgoing.triggers.app_error': { status: 400, message: 'Either trigger_words or channel_id must be set.' },
  'app.webhooks.get_incoming.app_error': { status: 404, message: 'Unable to get the webhook.' },
  'app.webhooks.get_outgoing.app_error': { status: 404, message: 'Unable to get the webhook.' },
  'api.post.create_webhook_post.creating.app_error': { status: 500, message: 'Error creating post.' },
  'model.incoming_hook.display_name.app_error': { status: 400, message: 'Invalid title.' },
  'model.incoming_hook.description.app_error': { status: 400, message: 'Invalid description.' },
  'model.incoming_hook.username.app_error': { status: 400, message: 'Invalid username.' },
  'model.incoming_hook.icon_url.app_error': { status: 400, message: 'Invalid post icon.' },
  'model.incoming_hook.parse_data.app_error': { status: 400, message: 'Unable to parse incoming data.' },
  'model.outgoing_hook.is_valid.team_id.app_error': { status: 400, message: 'Invalid team ID.' },
  'model.outgoing_hook.is_valid.channel_id.app_error': { status: 400, message: 'Invalid channel id.' },
  'model.outgoing_hook.is_valid.user_id.app_error': { status: 400, message: 'Invalid user id.' },
  'model.outgoing_hook.is_valid.words.app_error': { status: 400, message: 'Invalid trigger words.' },
  'model.outgoing_hook.is_valid.trigger_words.app_error': { status: 400, message: 'Invalid trigger words.' },
  'model.outgoing_hook.is_valid.callback.app_error': { status: 400, message: 'Invalid callback URLs.' },
  'model.outgoing_hook.is_valid.url.app_error': { status: 400, message: 'Invalid callback URLs. Each must be a valid URL and start with http:// or https://.' },
  'model.outgoing_hook.is_valid.display_name.app_error': { status: 400, message: 'Invalid title.' },
  'model.outgoing_hook.is_valid.description.app_error': { status: 400, message: 'Invalid description.' },
  'model.outgoing_hook.is_valid.content_type.app_error': { status: 400, message: 'Invalid value for content_type.' },
  'model.outgoing_hook.username.app_error': { status: 400, message: 'Invalid username.' },
  'model.outgoing_hook.icon_url.app_error': { status: 400, message: 'Invalid icon.' },
  'web.incoming_webhook.disabled.app_error': { status: 501, message: 'Incoming webhooks have been disabled by the system admin.' },
  'web.incoming_webhook.text.app_error': { status: 400, message: 'No text specified.' },
  'web.incoming_webhook.invalid.app_error': { status: 400, message: 'Invalid webhook.' },
  'web.incoming_webhook.channel.app_error': { status: 404, message: "Couldn't find the channel." },
  'web.incoming_webhook.channel_locked.app_error': { status: 403, message: 'This webhook is not permitted to post to the requested channel {{.channel_id}}' },
  'web.incoming_webhook.user.app_error': { status: 400, message: "Couldn't find the user {{.user}}" },
  'web.incoming_webhook.permissions.app_error': { status: 403, message: 'User {{.user}} does not have appropriate permissions to channel {{.channel}}' },
  // Channels, posts, reactions, files, users, statuses, preferences
  'api.channel.delete_channel.type.invalid': { status: 400, message: 'Unable to delete direct or group message channels' },
  'api.channel.delete_channel.deleted.app_error': { status: 400, message: 'The channel has been archived or deleted.' },
  'api.channel.delete_channel.cannot.app_error': { status: 400, message: 'Unable to delete the default channel {{.Channel}}.' },
  'api.user.delete_channel.not_enabled.app_error': { status: 401, message: 'Permanent channel deletion feature is not enabled. Please contact your System Administrator.' },
  'api.post.delete_post.not_enabled.app_error': { status: 501, message: 'Permanent post deletion feature is not enabled. Please contact your System Administrator.' },
  'api.channel.restore_channel.restored.app_error': { status: 400, message: 'Unable to unarchive channel. The channel is not archived.' },
  'api.channel.update_channel.deleted.app_error': { status: 400, message: 'The channel has been archived or deleted.' },
  'api.channel.update_channel.tried.app_error': { status: 400, message: 'Tried to perform an invalid update of the default channel {{.Channel}}.' },
  'api.channel.patch_update_channel.forbidden.app_error': { status: 403, message: 'Failed to update the channel.' },
  'store.sql_channel.update.exists.app_error': { status: 400, message: 'A channel with that handle already exists' },
  'api.channel.remove_channel_member.type.app_error': { status: 400, message: 'Unable to remove user from a channel.' },
  'api.channel.remove.default.app_error': { status: 400, message: 'Unable to remove user from the default channel {{.Channel}}.' },
  'api.channel.create_group.bad_size.app_error': { status: 400, message: 'Group message channels must contain at least 3 and no more than 8 users.' },
  'api.channel.create_group.bad_user.app_error': { status: 400, message: 'One of the provided users does not exist.' },
  'api.post.update_post.system_message.app_error': { status: 400, message: 'Unable to update system message.' },
  'api.post.update_post.can_not_update_post_in_deleted.error': { status: 400, message: 'Can not update a post in a deleted channel.' },
  'api.post.delete_post.can_not_delete_post_in_deleted.error': { status: 400, message: 'Can not delete a post in a deleted channel.' },
  'api.reaction.save_reaction.invalid.app_error': { status: 400, message: 'Reaction is not valid.' },
  'model.reaction.is_valid.emoji_name.app_error': { status: 400, message: 'Invalid emoji name.' },
  'api.reaction.save_reaction.user_id.app_error': { status: 403, message: 'You are not allowed to save reaction for the other user.' },
  'api.reaction.save.archived_channel.app_error': { status: 400, message: 'You cannot react to posts in an archived channel.' },
  'api.reaction.delete.archived_channel.app_error': { status: 400, message: 'You cannot remove a reaction in an archived channel.' },
  'api.file.attachments.disabled.app_error': { status: 403, message: 'File attachments have been disabled on this server.' },
  'api.file.upload_file.too_large_detailed.app_error': { status: 413, message: 'Unable to upload file {{.Filename}}. {{.Length}} bytes exceeds the maximum allowed {{.Limit}} bytes.' },
  'api.file.upload_file.incorrect_number_of_client_ids.app_error': { status: 400, message: 'Unable to upload files. Have {{.NumClientIds}} client_ids for {{.NumFiles}} files.' },
  'api.file.upload_file.read_request.app_error': { status: 400, message: 'Unable to upload file(s). Error reading or parsing request data.' },
  'api.file.upload_file.multiple_channel_ids.app_error': { status: 400, message: 'Unable to upload file(s). Multiple conflicting channel_ids.' },
  'app.file_info.get.app_error': { status: 404, message: 'Unable to get the file info.' },
  'api.user.autocomplete_users.missing_team_id.app_error': { status: 400, message: 'Team id parameter is required to autocomplete by channel.' },
  'api.user.get_user_by_email.permissions.app_error': { status: 403, message: 'Unable to get user by email.' },
  'api.preference.update_preferences.set.app_error': { status: 403, message: 'Unable to set user preferences.' },
  'api.preference.delete_preferences.delete.app_error': { status: 403, message: 'Unable to delete user preferences.' },
  'model.preference.is_valid.id.app_error': { status: 400, message: 'Invalid user id.' },
  'model.preference.is_valid.category.app_error': { status: 400, message: 'Invalid category.' },
  'model.preference.is_valid.name.app_error': { status: 400, message: 'Invalid name.' },
  'model.preference.is_valid.value.app_error': { status: 400, message: 'Value is too long.' },
  // Mock only: a Mattermost route the mock deliberately does not emulate (routes/not-emulated.ts).
  'api.mock.not_emulated.app_error': { status: 501, message: 'This Mattermost API route is not emulated by the mock server.' },
} as const satisfies Record<string, { readonly status: number; readonly message: string }>;

/** The mock's own ids. */
export type MockErrorId = keyof typeof MOCK_ERRORS;

/** Every id the mock may answer: its own and the middleware's. */
export type ErrorId = MockErrorId | MiddlewareErrorId;

/** The mock's error class: `new AppError(id, options)` for a mock or a middleware id. */
export const AppError = defineErrors(MOCK_ERRORS);
/** An error of the mock's registry (or the middleware's). */
export type AppError = BaseAppError<ErrorId>;

/** Shortcut for the 400 `invalid_url_param` error naming a URL parameter. */
export function invalidUrlParam(name: string): AppError {
  return new AppError('api.context.invalid_url_param.app_error', { params: { Name: name } });
}

/** Shortcut for the 400 `invalid_param` error naming a parameter (Go's `c.SetInvalidParam`). */
export function invalidParam(name: string): AppError {
  return new AppError('api.context.invalid_param.app_error', { params: { Name: name } });
}
