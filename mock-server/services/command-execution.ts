/**
 * Executing a custom slash command (`POST /commands/execute`: Mattermost `executeCommand`,
 * `App.ExecuteCommand`, `tryExecuteCustomCommand`, `DoCommandRequest`, `HandleCommandResponse`).
 *
 * The mock calls the command's URL exactly as Mattermost does: method `P` → an
 * `application/x-www-form-urlencoded` POST, `G` → a GET with the same fields in the query; both
 * with `Accept: application/json` and `Authorization: Token <command token>`. The fields:
 * `channel_id`, `channel_name`, `command`, `response_url`, `team_domain`, `team_id`, `text`,
 * `token`, `trigger_id`, `user_id`, `user_name`, `root_id`, and the `user_mentions` /
 * `channel_mentions` (+ `_ids`) of the text. The call is bounded by
 * `OutgoingIntegrationRequestsTimeout` and the answer by 1 MiB.
 *
 * The reply (`model.CommandResponse`, JSON, or plain text as `text`) is handled like Mattermost:
 * `in_channel` → a post in the channel (through `createPost`, so it reaches sockets and outgoing
 * webhooks); `ephemeral` (the default) → a WebSocket `ephemeral_message` to the caller only; the
 * same for each of `extra_responses`. Failures of the outside service surface as Mattermost's
 * errors: unreachable, timed out or unparseable → 500 `api.command.execute_command.failed.app_error`;
 * a status other than 200 → 500 `failed_resp` (naming the status).
 *
 * @example
 * ```ts
 * const response = await executeCommand(server, caller, { channel_id, command: '/deploy api' }, 'http://127.0.0.1:8065');
 * response.response_type; // 'in_channel' → a post exists now
 * ```
 */
import { AppError, invalidParam, permissionError } from '../errors.js';
import { isValidId, newId } from '../../middleware/util/ids.js';
import { hasPermission } from '../../middleware/permissions/permissions.js';
import type { ChannelRecord, CommandRecord, PostRecord } from '../db/schema.js';
import { decodeBody, goArray, goBool, goObject, goString, goStruct, tryDecode } from '../schemas/json.js';
import { sessionHasPermissionToChannel, teamRolesOf, type Caller } from './channel-permissions.js';
import { findChannel } from './channels.js';
import type { ServiceContext } from './context.js';
import { isObject } from './input.js';
import { integrationRequest, IntegrationRequestError } from './integration-request.js';
import { integrationSettings } from './integration-settings.js';
import { createPost, newPostRecord, postJson } from './posts.js';
import { applyAttachments, integrationAuthority, parseSlackLinksToMarkdown } from './webhook-post.js';
import { channelMemberKey, channelNameKey } from '../db/keys.js';

/** `model.CommandResponse` as JSON (Go field order). */
export interface CommandResponseJson {
  response_type: string;
  text: string;
  username: string;
  channel_id: string;
  icon_url: string;
  type: string;
  props: Record<string, unknown> | null;
  goto_location: string;
  trigger_id: string;
  skip_slack_parsing: boolean;
  attachments: unknown[] | null;
  extra_responses: CommandResponseJson[] | null;
}

/** The `POST /commands/execute` body (`model.CommandArgs`) fields the mock reads. */
export interface CommandArgsInput {
  channel_id: string;
  team_id: string;
  root_id: string;
  command: string;
}

/** Mattermost's `maxTriggerLen` for the not-found message. */
const MAX_TRIGGER_LEN = 512;

const COMMAND_ARGS = goStruct({ channel_id: goString, team_id: goString, root_id: goString, command: goString });

const RESPONSE_FIELDS = goStruct({
  response_type: goString, text: goString, username: goString, channel_id: goString, icon_url: goString, type: goString,
  props: goObject, goto_location: goString, trigger_id: goString, skip_slack_parsing: goBool, attachments: goArray,
  extra_responses: goArray,
});

/**
 * Decode a `POST /commands/execute` body: not an object or a mistyped field → 400
 * `api.context.invalid_param.app_error` naming `command_args`.
 */
export function parseCommandArgs(body: unknown): CommandArgsInput {
  return decodeBody(COMMAND_ARGS, body, 'command_args', 'param');
}

/** `CommandResponseFromJSON` (typed, recursive for `extra_responses`); undefined when Go's Unmarshal fails. */
function decodeResponse(value: unknown, depth = 0): CommandResponseJson | undefined {
  if (value === null) return emptyResponse();
  const r = tryDecode(RESPONSE_FIELDS, value);
  if (r === undefined || depth > 8) return undefined;
  let extra: CommandResponseJson[] | null = null;
  if (r.extra_responses !== null) {
    extra = [];
    for (const item of r.extra_responses) {
      const decoded = decodeResponse(item, depth + 1);
      if (decoded === undefined) return undefined;
      extra.push(decoded);
    }
  }
  return { ...r, extra_responses: extra };
}

function emptyResponse(text = ''): CommandResponseJson {
  return {
    response_type: '', text, username: '', channel_id: '', icon_url: '', type: '', props: null, goto_location: '',
    trigger_id: '', skip_slack_parsing: false, attachments: null, extra_responses: null,
  };
}

/** `CommandResponseFromHTTPBody`: JSON when the Content-Type says so, else the body is the text. */
function responseFromHttpBody(contentType: string, body: string): CommandResponseJson | undefined {
  if ((contentType.split(';')[0] ?? '').trim() !== 'application/json') return emptyResponse(body);
  try {
    return decodeResponse(JSON.parse(body) as unknown);
  } catch {
    return undefined;
  }
}

const failed = (trigger: string, detailed = '', cause?: unknown) =>
  new AppError('api.command.execute_command.failed.app_error', { params: { Trigger: trigger }, detailed, cause });

/** The possible @mentions of a message (`possibleAtMentions`). */
function possibleAtMentions(message: string): string[] {
  const names = new Set<string>();
  for (const match of message.matchAll(/(?<![\w@])@([a-z0-9][a-z0-9.\-_:]*)/gi)) names.add(match[1]!.toLowerCase());
  return [...names];
}

/** `MentionsToTeamMembers` and `MentionsToPublicChannels` as form fields. */
function mentionFields(ctx: ServiceContext, message: string, teamId: string): Array<[string, string]> {
  const { store } = ctx;
  const fields: Array<[string, string]> = [];
  const users: Array<[string, string]> = [];
  for (const name of possibleAtMentions(message)) {
    let candidate = name;
    for (;;) {
      const user = store.findOne('users', 'username', candidate);
      if (user !== undefined) {
        if (teamRolesOf(store, teamId, user.id) !== undefined) users.push([candidate, user.id]);
        break;
      }
      if (!/[.\-_]$/.test(candidate)) break;
      candidate = candidate.slice(0, -1);
    }
  }
  for (const [name, id] of users) fields.push(['user_mentions', name], ['user_mentions_ids', id]);
  for (const match of new Set([...message.matchAll(/\B~([a-z0-9\-_]+)/gi)].map((m) => m[1]!.toLowerCase()))) {
    const channel = store.findOne('channels', 'team_name', channelNameKey(teamId, match));
    if (channel !== undefined && channel.type === 'O' && channel.delete_at === 0) fields.push(['channel_mentions', match], ['channel_mentions_ids', channel.id]);
  }
  return fields;
}

/** `url.Values.Encode`: keys sorted, values in insertion order. */
function encodeForm(values: Array<[string, string]>): string {
  const sorted = [...values].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return new URLSearchParams(sorted).toString();
}

/** Mattermost's trigger ids: the client's part, and the signed one sent to the integration (unsigned here). */
function triggerIds(userId: string, now: number): { client: string; full: string } {
  const client = newId();
  return { client, full: Buffer.from(`${client}:${userId}:${now}:`).toString('base64') };
}

/**
 * `POST /commands/execute` (`executeCommand` + `ExecuteCommand`). Check order as Mattermost: a
 * command shorter than 2 chars, not starting with `/`, or an invalid `channel_id` → 400
 * `execute_command.start`; `create_post` in the channel → 403; unknown channel → 404; archived →
 * 400 `execute_command.deleted`; the team is the channel's (DMs/GMs: the `team_id` given, which
 * the caller must belong to); commands disabled → 501; unknown team → 404; no such trigger → 404
 * `execute_command.not_found`. `siteUrl` is used for `response_url` when `SiteURL` is unset.
 */
export async function executeCommand(ctx: ServiceContext, caller: Caller, args: CommandArgsInput, siteUrl: string): Promise<CommandResponseJson> {
  const { store } = ctx;
  if (args.command.length <= 1 || !args.command.startsWith('/') || !isValidId(args.channel_id)) {
    throw new AppError('api.command.execute_command.start.app_error');
  }
  if (!sessionHasPermissionToChannel(store, caller, args.channel_id, 'create_post')) throw permissionError(caller.userId, 'create_post');
  const channel = findChannel(store, args.channel_id);
  if (channel.delete_at !== 0) throw new AppError('api.command.execute_command.deleted.error');
  let teamId = args.team_id;
  if (channel.type !== 'D' && channel.type !== 'G') {
    // The team is the channel's, so a command of another team can't be run against this one.
    teamId = channel.team_id;
  } else if (teamRolesOf(store, teamId, caller.userId) === undefined && !hasPermission(caller.roles, 'create_post')) {
    throw permissionError(caller.userId, 'create_post');
  }

  const space = args.command.search(/\s/);
  const trigger = (space < 0 ? args.command : args.command.slice(0, space)).toLowerCase();
  const message = space < 0 ? '' : args.command.slice(space + 1);
  if (!trigger.startsWith('/')) throw new AppError('api.command.execute_command.format.app_error', { params: { Trigger: trigger } });
  const name = trigger.slice(1);

  const settings = integrationSettings(store);
  if (!settings.enableCommands) throw new AppError('api.command.disabled.app_error');
  const team = store.get('teams', teamId);
  if (team === undefined) throw new AppError('app.team.get.find.app_error', { detailed: `team_id=${teamId}` });
  const user = store.get('users', caller.userId);
  if (user === undefined) throw new AppError('app.user.missing_account.const');
  const cmd = store.findMany('commands', 'team_id', team.id).find((c) => c.trigger === name);
  if (cmd === undefined) {
    const shown = name.length > MAX_TRIGGER_LEN ? `${name.slice(0, MAX_TRIGGER_LEN)}...` : name;
    throw new AppError('api.command.execute_command.not_found.app_error', { params: { Trigger: shown } });
  }

  const ids = triggerIds(caller.userId, ctx.now());
  const base = settings.siteUrl !== '' ? settings.siteUrl : siteUrl.replace(/\/+$/, '');
  const fields: Array<[string, string]> = [
    ['token', cmd.token], ['team_id', cmd.team_id], ['team_domain', team.name], ['channel_id', channel.id],
    ['channel_name', channel.name], ['user_id', caller.userId], ['user_name', user.username], ['command', `/${name}`],
    ['text', message], ['trigger_id', ids.full], ['root_id', args.root_id],
    ...mentionFields(ctx, message, team.id),
    // Mattermost stores a command webhook behind this URL (delayed replies); the mock does not emulate it.
    ['response_url', `${base}/hooks/commands/${newId()}`],
  ];
  const response = await doCommandRequest(ctx, cmd, encodeForm(fields), settings.timeoutMs);
  response.trigger_id = ids.client;
  return handleCommandResponse(ctx, cmd, { userId: caller.userId, channel, rootId: args.root_id, command: args.command }, response);
}

/** `DoCommandRequest`: call the command's URL (bounded) and decode its reply. */
async function doCommandRequest(ctx: ServiceContext, cmd: CommandRecord, form: string, timeoutMs: number): Promise<CommandResponseJson> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (cmd.token !== '') headers.Authorization = `Token ${cmd.token}`;
  let url = cmd.url;
  let body: string | undefined;
  if (cmd.method === 'G') {
    url += url.includes('?') ? `&${form}` : `?${form}`;
  } else {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = form;
  }
  let res;
  try {
    res = await integrationRequest({ method: cmd.method === 'G' ? 'GET' : 'POST', url, headers, body }, { timeoutMs });
  } catch (err) {
    if (err instanceof IntegrationRequestError && err.kind === 'timeout') {
      ctx.logger.info('Outgoing Command request timed out. Consider increasing ServiceSettings.OutgoingIntegrationRequestsTimeout.', { command_id: cmd.id });
    } else {
      ctx.logger.info('Outgoing Command request failed', { command_id: cmd.id, error: err instanceof Error ? err.message : String(err) });
    }
    throw failed(cmd.trigger, err instanceof Error ? err.message : '', err);
  }
  if (res.status !== 200) {
    throw new AppError('api.command.execute_command.failed_resp.app_error', { params: { Trigger: cmd.trigger, Status: res.statusLine }, detailed: res.body });
  }
  const response = responseFromHttpBody(res.contentType, res.body);
  if (response === undefined) throw failed(cmd.trigger, 'the command response is not a valid CommandResponse');
  return response;
}

interface CommandContext {
  userId: string;
  channel: ChannelRecord;
  rootId: string;
  command: string;
}

/** `HandleCommandResponse`: the response and each extra response become posts or ephemeral messages. */
async function handleCommandResponse(ctx: ServiceContext, cmd: CommandRecord, args: CommandContext, response: CommandResponseJson): Promise<CommandResponseJson> {
  const trigger = args.command.split(' ')[0]!.slice(1).toLowerCase();
  let lastError: unknown;
  for (const r of [response, ...(response.extra_responses ?? [])]) {
    try {
      await handleCommandResponsePost(ctx, cmd, args, r);
    } catch (err) {
      ctx.logger.info('Error occurred in handling command response post', { error: err instanceof Error ? err.message : String(err) });
      lastError = err;
    }
  }
  if (lastError !== undefined) {
    throw new AppError('api.command.execute_command.create_post_failed.app_error', { params: { Trigger: trigger }, cause: lastError });
  }
  return response;
}

/** `HandleCommandResponsePost` + `CreateCommandPost`. */
async function handleCommandResponsePost(ctx: ServiceContext, cmd: CommandRecord, args: CommandContext, response: CommandResponseJson): Promise<void> {
  const { store } = ctx;
  const settings = integrationSettings(store);
  let channel = args.channel;
  if (response.channel_id !== '') {
    const target = store.get('channels', response.channel_id);
    if (target === undefined || store.get('channelMembers', channelMemberKey(target.id, args.userId)) === undefined) {
      throw new AppError('api.command.command_post.forbidden.app_error');
    }
    channel = target;
  }
  const props: Record<string, unknown> = isObject(response.props) ? { ...response.props } : {};
  // A custom command's reply is a bot-style post.
  props.from_webhook = 'true';
  if (settings.enablePostUsernameOverride && (cmd.username || response.username)) props.override_username = cmd.username || response.username;
  if (settings.enablePostIconOverride && (cmd.icon_url || response.icon_url)) props.override_icon_url = cmd.icon_url || response.icon_url;
  if (!settings.enablePostUsernameOverride) delete props.override_username;
  if (!settings.enablePostIconOverride) { delete props.override_icon_url; delete props.override_icon_emoji; }
  if (!response.skip_slack_parsing) response.text = parseSlackLinksToMarkdown(response.text);
  if (response.type.startsWith('system_')) throw invalidParam('post.type');
  const type = applyAttachments(props, response.type, response.attachments);

  if (response.response_type === 'in_channel') {
    await createPost(ctx, integrationAuthority(args.userId), {
      channel_id: channel.id, message: response.text, root_id: args.rootId, type, props, file_ids: [], pending_post_id: '', create_at: 0,
    });
    return;
  }
  if ((response.response_type === '' || response.response_type === 'ephemeral') && (response.text !== '' || response.attachments !== null)) {
    sendEphemeralPost(ctx, args.userId, newPostRecord({
      user_id: args.userId, channel_id: channel.id, root_id: args.rootId, message: response.text, type: 'system_ephemeral', props,
    }, ctx.now()));
  }
}

/**
 * `SendEphemeralPost`: a post only `userId` sees, as a WebSocket `ephemeral_message` to that
 * user's connections (`data.post` is the post as a JSON string); nothing is stored.
 */
export function sendEphemeralPost(ctx: ServiceContext, userId: string, post: PostRecord): void {
  ctx.publish({
    event: 'ephemeral_message',
    data: { post: JSON.stringify(postJson(ctx.store, post, new Map())) },
    broadcast: { user_id: userId, channel_id: post.channel_id },
  });
}
