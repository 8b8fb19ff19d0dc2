/**
 * Custom slash commands (Mattermost `api4/command.go` + `app/command.go`): create, list, get,
 * update, delete and `regen_token`, with the `manage_own_slash_commands` /
 * `manage_others_slash_commands` team permissions and the 404 Mattermost answers instead of a 403
 * where a 403 would reveal that a command exists. Executing one is in `command-execution.ts`.
 *
 * @example
 * ```ts
 * const cmd = await createCommand(server, caller, { team_id, trigger: 'deploy', url: 'http://127.0.0.1:4000/deploy', method: 'P' });
 * cmd.token; // 26 chars: what the command's service receives as `Authorization: Token …`
 * ```
 */
import type * as v from 'valibot';
import { AppError, invalidParam, permissionError } from '../errors.js';
import { isValidId, newId } from '../../middleware/util/ids.js';
import type { CommandRecord } from '../db/schema.js';
import { decodeBody, goBool, goString, goStruct } from '../schemas/json.js';
import { sessionHasPermissionToTeam, type Caller } from './channel-permissions.js';
import { commitThenEmit } from './commit.js';
import type { ServiceContext } from './context.js';
import { integrationSettings } from './integration-settings.js';

/** `model.Command` as JSON (field order of the Go struct). */
export type CommandJson = CommandRecord;

/** Mattermost's `MaxTriggerLength`. */
const MAX_TRIGGER_LENGTH = 128;

/**
 * Triggers of Mattermost's built-in commands: a custom command may not take one
 * (`validateCommandTriggerUniqueness`). The mock does not run built-ins.
 */
export const BUILT_IN_TRIGGERS: ReadonlySet<string> = new Set([
  'away', 'code', 'collapse', 'dnd', 'echo', 'expand', 'groupmsg', 'header', 'help', 'invite', 'invite_people',
  'join', 'kick', 'remove', 'leave', 'logout', 'me', 'msg', 'mute', 'offline', 'online', 'open', 'purpose',
  'rename', 'search', 'settings', 'shortcuts', 'shrug', 'status', 'marketplace',
]);

const COMMAND_FIELDS = goStruct({
  id: goString, team_id: goString, creator_id: goString, trigger: goString, method: goString, username: goString,
  icon_url: goString, auto_complete: goBool, auto_complete_desc: goString, auto_complete_hint: goString,
  display_name: goString, description: goString, url: goString,
});

type CommandInput = v.InferOutput<typeof COMMAND_FIELDS>;

/** `CommandFromJson`; a failure is 400 `invalid_param` naming `command`. */
function decodeCommand(body: unknown): CommandInput {
  return decodeBody(COMMAND_FIELDS, body, 'command', 'param');
}

/** `c.SetCommandNotFoundError()`: the 404 that also hides commands the caller may not see. */
function commandNotFound(commandId: string): AppError {
  return new AppError('store.sql_command.save.get.app_error', { detailed: `command_id=${commandId}` });
}

function requireEnabled(ctx: ServiceContext): void {
  if (!integrationSettings(ctx.store).enableCommands) throw new AppError('api.command.disabled.app_error');
}

/**
 * Mattermost's `IsValidHTTPURL`: starts with `http://` or `https://` and parses with a host.
 *
 * @example
 * ```ts
 * isValidHttpUrl('http://127.0.0.1:4000/hook'); // true
 * isValidHttpUrl('ftp://x');                    // false
 * ```
 */
export function isValidHttpUrl(raw: string): boolean {
  if (!raw.startsWith('http://') && !raw.startsWith('https://')) return false;
  try {
    return new URL(raw).host !== '';
  } catch {
    return false;
  }
}

/** `Command.IsValid` for the fields a client sets (ids, token and times are the server's). */
function validateCommand(cmd: CommandRecord): void {
  if (!isValidId(cmd.creator_id)) throw new AppError('model.command.is_valid.user_id.app_error');
  if (!isValidId(cmd.team_id)) throw new AppError('model.command.is_valid.team_id.app_error');
  const t = cmd.trigger;
  if (t.length < 1 || t.length > MAX_TRIGGER_LENGTH || t.startsWith('/') || t.includes(' ')) throw new AppError('model.command.is_valid.trigger.app_error');
  if (cmd.url === '' || cmd.url.length > 1024) throw new AppError('model.command.is_valid.url.app_error');
  if (!isValidHttpUrl(cmd.url)) throw new AppError('model.command.is_valid.url_http.app_error');
  if (cmd.method !== 'P' && cmd.method !== 'G') throw new AppError('model.command.is_valid.method.app_error');
  if (cmd.display_name.length > 64) throw new AppError('model.command.is_valid.display_name.app_error');
  if (cmd.description.length > 128) throw new AppError('model.command.is_valid.description.app_error');
}

/** `validateCommandTriggerUniqueness`: not a built-in, not another command of the team. */
function requireUniqueTrigger(ctx: ServiceContext, teamId: string, trigger: string, excludeId: string): void {
  const lower = trigger.toLowerCase();
  const taken = BUILT_IN_TRIGGERS.has(lower)
    || ctx.store.findMany('commands', 'team_id', teamId).some((c) => c.id !== excludeId && c.trigger.toLowerCase() === lower);
  if (taken) throw new AppError('api.command.duplicate_trigger.app_error');
}

/**
 * The command as JSON; `sanitize` blanks what lists show no one (`Command.Sanitize`: token,
 * creator, method, URL, username, icon).
 */
export function commandJson(cmd: CommandRecord, sanitize = false): CommandJson {
  const json: CommandJson = {
    id: cmd.id, token: cmd.token, create_at: cmd.create_at, update_at: cmd.update_at, delete_at: cmd.delete_at,
    creator_id: cmd.creator_id, team_id: cmd.team_id, trigger: cmd.trigger, method: cmd.method, username: cmd.username,
    icon_url: cmd.icon_url, auto_complete: cmd.auto_complete, auto_complete_desc: cmd.auto_complete_desc,
    auto_complete_hint: cmd.auto_complete_hint, display_name: cmd.display_name, description: cmd.description,
    url: cmd.url, plugin_id: cmd.plugin_id,
  };
  return sanitize ? { ...json, token: '', creator_id: '', method: '', url: '', username: '', icon_url: '' } : json;
}

function fieldsOf(input: CommandInput): Pick<CommandRecord, 'trigger' | 'method' | 'username' | 'icon_url' | 'auto_complete' | 'auto_complete_desc' | 'auto_complete_hint' | 'display_name' | 'description' | 'url'> {
  return {
    trigger: input.trigger.toLowerCase(), method: input.method, username: input.username, icon_url: input.icon_url,
    auto_complete: input.auto_complete, auto_complete_desc: input.auto_complete_desc, auto_complete_hint: input.auto_complete_hint,
    display_name: input.display_name, description: input.description, url: input.url,
  };
}

/**
 * `POST /commands` (`createCommand`): a body that does not decode → 400 `invalid_param`
 * (`command`); `manage_own_slash_commands` in the team → 403; another `creator_id` needs
 * `manage_others_slash_commands` and an existing user; commands disabled → 501; a trigger taken
 * → 400 `duplicate_trigger`; then `Command.IsValid`. Returns the stored command (with its token).
 */
export async function createCommand(ctx: ServiceContext, caller: Caller, body: unknown): Promise<CommandRecord> {
  const input = decodeCommand(body);
  const { store } = ctx;
  if (!sessionHasPermissionToTeam(store, caller, input.team_id, 'manage_own_slash_commands')) throw permissionError(caller.userId, 'manage_own_slash_commands');
  let creatorId = caller.userId;
  if (input.creator_id !== '' && input.creator_id !== caller.userId) {
    if (!sessionHasPermissionToTeam(store, caller, input.team_id, 'manage_others_slash_commands')) throw permissionError(caller.userId, 'manage_others_slash_commands');
    if (store.get('users', input.creator_id) === undefined) throw new AppError('app.user.missing_account.const', { detailed: `user_id=${input.creator_id}` });
    creatorId = input.creator_id;
  }
  requireEnabled(ctx);
  const fields = fieldsOf(input);
  requireUniqueTrigger(ctx, input.team_id, fields.trigger, '');
  const now = ctx.now();
  const cmd: CommandRecord = {
    id: newId(), token: newId(), create_at: now, update_at: now, delete_at: 0, creator_id: creatorId, team_id: input.team_id,
    ...fields, plugin_id: '',
  };
  validateCommand(cmd);
  await commitThenEmit(ctx, [{ op: 'put', collection: 'commands', record: cmd }], { log: [['slash command created', { command_id: cmd.id, team_id: cmd.team_id, trigger: cmd.trigger, user_id: caller.userId }]] });
  return cmd;
}

/**
 * `GET /commands?team_id=&custom_only=` (`listCommands`): `team_id` required (400
 * `invalid_param`); `view_team` → 403. `custom_only=true` needs `manage_own_slash_commands` and
 * returns the custom commands the caller manages, tokens included. Otherwise the caller sees
 * sanitized commands: all it manages (with `manage_own_slash_commands`), or only the
 * autocomplete ones. The mock has no built-in commands to add to these lists.
 */
export function listCommands(ctx: ServiceContext, caller: Caller, teamId: string, customOnly: boolean): CommandJson[] {
  const { store } = ctx;
  if (teamId === '') throw invalidParam('team_id');
  if (!sessionHasPermissionToTeam(store, caller, teamId, 'view_team')) throw permissionError(caller.userId, 'view_team');
  const manageOwn = sessionHasPermissionToTeam(store, caller, teamId, 'manage_own_slash_commands');
  const manageOthers = sessionHasPermissionToTeam(store, caller, teamId, 'manage_others_slash_commands');
  const commands = store.findMany('commands', 'team_id', teamId);
  const managed = commands.filter((c) => manageOthers || c.creator_id === caller.userId);
  if (customOnly) {
    if (!manageOwn) throw permissionError(caller.userId, 'manage_own_slash_commands');
    requireEnabled(ctx);
    return managed.map((c) => commandJson(c));
  }
  if (!manageOwn) {
    const settings = integrationSettings(store);
    return settings.enableCommands ? commands.filter((c) => c.auto_complete).map((c) => commandJson(c, true)) : [];
  }
  return integrationSettings(store).enableCommands ? managed.map((c) => commandJson(c, true)) : [];
}

/**
 * A command the caller may manage (`getCommand`, `updateCommand`, `deleteCommand`,
 * `regenCommandToken`): unknown, or without `view_team` / `manage_own_slash_commands` in its
 * team → 404 (never a 403 that would confirm it exists); someone else's without
 * `manage_others_slash_commands` → 404 for a read, 403 for a change.
 */
function managedCommand(ctx: ServiceContext, caller: Caller, commandId: string, mode: 'read' | 'change'): CommandRecord {
  requireEnabled(ctx);
  const { store } = ctx;
  const cmd = store.get('commands', commandId);
  if (cmd === undefined) throw commandNotFound(commandId);
  if (mode === 'read' && !sessionHasPermissionToTeam(store, caller, cmd.team_id, 'view_team')) throw commandNotFound(commandId);
  if (!sessionHasPermissionToTeam(store, caller, cmd.team_id, 'manage_own_slash_commands')) throw commandNotFound(commandId);
  if (caller.userId !== cmd.creator_id && !sessionHasPermissionToTeam(store, caller, cmd.team_id, 'manage_others_slash_commands')) {
    if (mode === 'read') throw commandNotFound(commandId);
    throw permissionError(caller.userId, 'manage_others_slash_commands');
  }
  return cmd;
}

/** `GET /commands/{id}`: the command with its token (see {@link managedCommand} for the 404s). */
export function getCommand(ctx: ServiceContext, caller: Caller, commandId: string): CommandRecord {
  return managedCommand(ctx, caller, commandId, 'read');
}

/**
 * `PUT /commands/{id}`: the body must decode and carry the same `id` (400 `invalid_param`
 * `command`); another `team_id` → 400 `api.command.team_mismatch.app_error`; then the checks of
 * {@link managedCommand}, trigger uniqueness and `IsValid`. Token, creator, team and times stay.
 */
export async function updateCommand(ctx: ServiceContext, caller: Caller, commandId: string, body: unknown): Promise<CommandRecord> {
  const input = decodeCommand(body);
  if (input.id !== commandId) throw invalidParam('command');
  const old = ctx.store.get('commands', commandId);
  if (old === undefined || !integrationSettings(ctx.store).enableCommands) throw commandNotFound(commandId);
  if (input.team_id !== old.team_id) throw new AppError('api.command.team_mismatch.app_error', { detailed: `user_id=${caller.userId}` });
  managedCommand(ctx, caller, commandId, 'change');
  const fields = fieldsOf(input);
  requireUniqueTrigger(ctx, old.team_id, fields.trigger, old.id);
  const next: CommandRecord = { ...old, ...fields, update_at: Math.max(ctx.now(), old.update_at) };
  validateCommand(next);
  await commitThenEmit(ctx, [{ op: 'put', collection: 'commands', record: next }]);
  return next;
}

/** `DELETE /commands/{id}`: gone at once (Mattermost marks it deleted; either way it is never found again). */
export async function deleteCommand(ctx: ServiceContext, caller: Caller, commandId: string): Promise<void> {
  const cmd = managedCommand(ctx, caller, commandId, 'change');
  await commitThenEmit(ctx, [{ op: 'delete', collection: 'commands', key: cmd.id }], { log: [['slash command deleted', { command_id: cmd.id, user_id: caller.userId }]] });
}

/** `PUT /commands/{id}/regen_token`: a new token; the old one is no longer sent. Returns `{token}`. */
export async function regenCommandToken(ctx: ServiceContext, caller: Caller, commandId: string): Promise<{ token: string }> {
  const cmd = managedCommand(ctx, caller, commandId, 'change');
  const next: CommandRecord = { ...cmd, token: newId(), update_at: Math.max(ctx.now(), cmd.update_at) };
  await commitThenEmit(ctx, [{ op: 'put', collection: 'commands', record: next }], { log: [['slash command token regenerated', { command_id: cmd.id, user_id: caller.userId }]] });
  return { token: next.token };
}
