/**
 * Incoming webhooks (Mattermost `api4/webhook.go`, `app/webhook.go`, `web/webhook.go`): create,
 * list, get, update and delete them with the `manage_own_incoming_webhooks` /
 * `manage_others_incoming_webhooks` team permissions, and `POST /hooks/{id}`, where anyone with
 * the URL posts: JSON, or a form whose `payload` field is that JSON. The hook's channel is used
 * unless the payload names another (`channel`: `name`, `#name` or `@username` for a DM), which a
 * locked hook (`channel_locked`, forced for callers without `bypass_incoming_webhook_channel_lock`)
 * refuses.
 *
 * @example
 * ```ts
 * const hook = await createIncomingWebhook(server, caller, { channel_id, display_name: 'CI' });
 * await handleIncomingWebhook(server, hook.id, 'application/json', '{"text":"build passed"}');
 * ```
 */
import { AppError, invalidParam, permissionError } from '../errors.js';
import { newId } from '../../middleware/util/ids.js';
import type { ChannelRecord, IncomingWebhookRecord } from '../db/schema.js';
import { decodeBody, goArray, goBool, goObject, goString, goStruct, tryDecode } from '../schemas/json.js';
import { contentReadDenied, sessionHasPermissionTo, sessionHasPermissionToChannel, sessionHasPermissionToTeam, type Caller } from './channel-permissions.js';
import { directChannelMutations, findChannel } from './channels.js';
import { commitThenEmit } from './commit.js';
import type { ServiceContext } from './context.js';
import { integrationSettings } from './integration-settings.js';
import { createWebhookPost } from './webhook-post.js';

/** `model.IncomingWebhook` as JSON (Go field order). */
export type IncomingWebhookJson = IncomingWebhookRecord & { webhook_schema_translation: null };

const HOOK_FIELDS = goStruct({
  id: goString, channel_id: goString, team_id: goString, user_id: goString, display_name: goString, description: goString,
  username: goString, icon_url: goString, channel_locked: goBool,
});

const REQUEST_FIELDS = goStruct({
  text: goString, username: goString, icon_url: goString, channel: goString, props: goObject, attachments: goArray,
  type: goString, icon_emoji: goString, priority: goObject,
});

/** Mattermost's username rule (`IsValidUsername`). */
const USERNAME = /^[a-z][a-z0-9.\-_]{2,63}$/;


/** The hook as JSON. */
export function incomingWebhookJson(hook: IncomingWebhookRecord): IncomingWebhookJson {
  return {
    id: hook.id, create_at: hook.create_at, update_at: hook.update_at, delete_at: hook.delete_at, user_id: hook.user_id,
    channel_id: hook.channel_id, team_id: hook.team_id, display_name: hook.display_name, description: hook.description,
    username: hook.username, icon_url: hook.icon_url, channel_locked: hook.channel_locked, webhook_schema_translation: null,
  };
}

function requireEnabled(ctx: ServiceContext): void {
  if (!integrationSettings(ctx.store).enableIncomingWebhooks) throw new AppError('api.incoming_webhook.disabled.app_error');
}

/** `IncomingWebhook.IsValid` for the client's fields. */
function validate(hook: IncomingWebhookRecord): void {
  if (hook.display_name.length > 64) throw new AppError('model.incoming_hook.display_name.app_error');
  if (hook.description.length > 500) throw new AppError('model.incoming_hook.description.app_error');
  if (hook.username.length > 64) throw new AppError('model.incoming_hook.username.app_error');
  if (hook.icon_url.length > 1024) throw new AppError('model.incoming_hook.icon_url.app_error');
}

/** `GetIncomingWebhook`: disabled → 501; unknown → 404 `app.webhooks.get_incoming.app_error`. */
function findHook(ctx: ServiceContext, hookId: string): IncomingWebhookRecord {
  requireEnabled(ctx);
  const hook = ctx.store.get('incomingWebhooks', hookId);
  if (hook === undefined) throw new AppError('app.webhooks.get_incoming.app_error', { detailed: `id=${hookId}` });
  return hook;
}

/**
 * The checks of get, delete and update: `manage_own_incoming_webhooks` in the hook's team (and,
 * for a private channel, read access to it) → else 403 naming it; someone else's hook needs
 * `manage_others_incoming_webhooks`.
 */
function requireManage(ctx: ServiceContext, caller: Caller, hook: IncomingWebhookRecord, channel: ChannelRecord): void {
  const { store } = ctx;
  const restricted = channel.type !== 'O' && contentReadDenied(store, caller, channel) !== undefined;
  if (!sessionHasPermissionToTeam(store, caller, hook.team_id, 'manage_own_incoming_webhooks') || restricted) {
    throw permissionError(caller.userId, 'manage_own_incoming_webhooks');
  }
  if (caller.userId !== hook.user_id && !sessionHasPermissionToTeam(store, caller, hook.team_id, 'manage_others_incoming_webhooks')) {
    throw permissionError(caller.userId, 'manage_others_incoming_webhooks');
  }
}

/** Username and icon overrides are kept only when the config allows them (`CreateIncomingWebhookForChannel`). */
function overrides(ctx: ServiceContext, username: string, iconUrl: string, old?: IncomingWebhookRecord): { username: string; icon_url: string } {
  const settings = integrationSettings(ctx.store);
  const name = settings.enablePostUsernameOverride ? username : old?.username ?? '';
  const icon = settings.enablePostIconOverride ? iconUrl : old?.icon_url ?? '';
  if (name !== '' && !USERNAME.test(name)) throw new AppError('api.incoming_webhook.invalid_username.app_error');
  return { username: name, icon_url: icon };
}

/**
 * `POST /hooks/incoming` (`createIncomingHook`): a body that does not decode → 400 `invalid_param`
 * (`incoming_webhook`); its channel must exist (404); `manage_own_incoming_webhooks` in the
 * channel's team and read access to the channel → 403; another `user_id` needs
 * `manage_others_incoming_webhooks` and an existing user; without
 * `bypass_incoming_webhook_channel_lock` the hook is locked to its channel; disabled → 501.
 */
export async function createIncomingWebhook(ctx: ServiceContext, caller: Caller, body: unknown): Promise<IncomingWebhookRecord> {
  const input = decodeBody(HOOK_FIELDS, body, 'incoming_webhook', 'param');
  const { store } = ctx;
  const channel = findChannel(store, input.channel_id);
  if (!sessionHasPermissionToTeam(store, caller, channel.team_id, 'manage_own_incoming_webhooks')) throw permissionError(caller.userId, 'manage_own_incoming_webhooks');
  if (contentReadDenied(store, caller, channel) !== undefined) throw permissionError(caller.userId, 'read_channel_content');
  let userId = caller.userId;
  if (input.user_id !== '' && input.user_id !== caller.userId) {
    if (!sessionHasPermissionToTeam(store, caller, channel.team_id, 'manage_others_incoming_webhooks')) throw permissionError(caller.userId, 'manage_others_incoming_webhooks');
    if (store.get('users', input.user_id) === undefined) throw new AppError('app.user.missing_account.const', { detailed: `user_id=${input.user_id}` });
    userId = input.user_id;
  }
  const locked = !sessionHasPermissionToTeam(store, caller, channel.team_id, 'bypass_incoming_webhook_channel_lock') || input.channel_locked;
  requireEnabled(ctx);
  const now = ctx.now();
  const hook: IncomingWebhookRecord = {
    id: newId(), create_at: now, update_at: now, delete_at: 0, user_id: userId, channel_id: channel.id, team_id: channel.team_id,
    display_name: input.display_name, description: input.description, ...overrides(ctx, input.username, input.icon_url),
    channel_locked: locked,
  };
  validate(hook);
  await commitThenEmit(ctx, [{ op: 'put', collection: 'incomingWebhooks', record: hook }], { log: [['incoming webhook created', { hook_id: hook.id, channel_id: hook.channel_id, user_id: caller.userId }]] });
  return hook;
}

/**
 * `GET /hooks/incoming` (`getIncomingHooks`): with `team_id`, `manage_own_incoming_webhooks` in
 * that team, else system-wide (403 naming it); the caller's own hooks, or all with
 * `manage_others_incoming_webhooks`. Paged; `include_total_count` wraps the page with the total.
 */
export function listIncomingWebhooks(ctx: ServiceContext, caller: Caller, options: { teamId: string; page: number; perPage: number; includeTotalCount: boolean }): IncomingWebhookJson[] | { incoming_webhooks: IncomingWebhookJson[]; total_count: number } {
  const { store } = ctx;
  const { teamId, page, perPage } = options;
  let all: IncomingWebhookRecord[];
  if (teamId !== '') {
    if (!sessionHasPermissionToTeam(store, caller, teamId, 'manage_own_incoming_webhooks')) throw permissionError(caller.userId, 'manage_own_incoming_webhooks');
    const others = sessionHasPermissionToTeam(store, caller, teamId, 'manage_others_incoming_webhooks');
    requireEnabled(ctx);
    all = store.findMany('incomingWebhooks', 'team_id', teamId).filter((h) => others || h.user_id === caller.userId);
  } else {
    if (!sessionHasPermissionTo(caller, 'manage_own_incoming_webhooks')) throw permissionError(caller.userId, 'manage_own_incoming_webhooks');
    const others = sessionHasPermissionTo(caller, 'manage_others_incoming_webhooks');
    requireEnabled(ctx);
    all = others ? [...store.all('incomingWebhooks')] : store.findMany('incomingWebhooks', 'user_id', caller.userId);
  }
  const pageOf = all.slice(page * perPage, page * perPage + perPage).map(incomingWebhookJson);
  return options.includeTotalCount ? { incoming_webhooks: pageOf, total_count: all.length } : pageOf;
}

/** `GET /hooks/incoming/{id}`: 404 when unknown, then the checks of {@link requireManage}. */
export function getIncomingWebhook(ctx: ServiceContext, caller: Caller, hookId: string): IncomingWebhookRecord {
  const hook = findHook(ctx, hookId);
  requireManage(ctx, caller, hook, findChannel(ctx.store, hook.channel_id));
  return hook;
}

/** `DELETE /hooks/incoming/{id}`: the hook's URL stops working at once (`POST /hooks/{id}` → 400 `web.incoming_webhook.invalid.app_error`). */
export async function deleteIncomingWebhook(ctx: ServiceContext, caller: Caller, hookId: string): Promise<void> {
  const hook = getIncomingWebhook(ctx, caller, hookId);
  await commitThenEmit(ctx, [{ op: 'delete', collection: 'incomingWebhooks', key: hook.id }], { log: [['incoming webhook deleted', { hook_id: hook.id, user_id: caller.userId }]] });
}

/**
 * `PUT /hooks/incoming/{id}` (`updateIncomingHook`): the body's `id` must be the URL's (400
 * `invalid_param` `hook_id`); another `team_id` → 400 `api.webhook.team_mismatch.app_error`; the
 * new channel must exist and be in the team (400 `invalid_param` `channel_id`); then the
 * permission checks; owner, team and creation time stay.
 */
export async function updateIncomingWebhook(ctx: ServiceContext, caller: Caller, hookId: string, body: unknown): Promise<IncomingWebhookRecord> {
  const input = decodeBody(HOOK_FIELDS, body, 'incoming_webhook', 'param');
  if (input.id !== hookId) throw invalidParam('hook_id');
  const { store } = ctx;
  const old = findHook(ctx, hookId);
  const teamId = input.team_id === '' ? old.team_id : input.team_id;
  if (teamId !== old.team_id) throw new AppError('api.webhook.team_mismatch.app_error', { detailed: `user_id=${caller.userId}` });
  const channel = findChannel(store, input.channel_id);
  if (channel.team_id !== teamId) throw invalidParam('channel_id');
  requireManage(ctx, caller, old, channel);
  const locked = !sessionHasPermissionToTeam(store, caller, channel.team_id, 'bypass_incoming_webhook_channel_lock') || input.channel_locked;
  const next: IncomingWebhookRecord = {
    ...old, channel_id: channel.id, display_name: input.display_name, description: input.description,
    ...overrides(ctx, input.username, input.icon_url, old), channel_locked: locked, update_at: Math.max(ctx.now(), old.update_at),
  };
  validate(next);
  await commitThenEmit(ctx, [{ op: 'put', collection: 'incomingWebhooks', record: next }]);
  return next;
}

/** A `POST /hooks/{id}` payload (`model.IncomingWebhookRequest`). */
export type IncomingWebhookRequest = NonNullable<ReturnType<typeof decodeRequest>>;

function decodeRequest(value: unknown) {
  return tryDecode(REQUEST_FIELDS, value);
}

/** `IncomingWebhookRequestFromJSON`: JSON (retried with raw newlines/tabs in strings escaped), else 400 `model.incoming_hook.parse_data.app_error`. */
function parseRequestJson(text: string): IncomingWebhookRequest {
  for (const candidate of [text, escapeControlChars(text)]) {
    let value: unknown;
    try {
      value = JSON.parse(candidate);
    } catch {
      continue;
    }
    const decoded = value === null ? decodeRequest({}) : decodeRequest(value);
    if (decoded !== undefined) return decoded;
    break;
  }
  throw new AppError('model.incoming_hook.parse_data.app_error');
}

/** `escapeControlCharsFromPayload`: some senders put raw newlines and tabs inside JSON strings. */
function escapeControlChars(text: string): string {
  return text.replace(/"(text|fallback|pretext|author_name|title|value)"\s*:\s*"(\\"|[^"])*"/gs, (m) => m.replace(/\n/g, '\\n').replace(/\t/g, '\\t'));
}

/**
 * Decode a `POST /hooks/{id}` body as `web/webhook.go` does: `application/x-www-form-urlencoded`
 * → the JSON in the `payload` field (body or query); anything else → the body as JSON.
 */
export function parseIncomingWebhookBody(contentType: string, rawBody: string, query: URLSearchParams): IncomingWebhookRequest {
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (mediaType === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(rawBody);
    return parseRequestJson(form.get('payload') ?? query.get('payload') ?? '');
  }
  return parseRequestJson(rawBody);
}

/** Go renders a template key the params lack as `<no value>`. */
const NO_VALUE = '<no value>';

/**
 * `HandleIncomingWebhook`: disabled → 501; no `text` and no `attachments` → 400
 * `web.incoming_webhook.text.app_error`; unknown hook → 400 `web.incoming_webhook.invalid.app_error`;
 * `channel` override: `@user` → the DM between the hook's owner and that user (created if needed;
 * unknown user → 400), otherwise a channel of the hook's team by name (404
 * `web.incoming_webhook.channel.app_error`); a locked hook refuses another channel (403); a
 * private channel needs the owner's read access (403). Then `CreateWebhookPost`.
 */
export async function handleIncomingWebhook(ctx: ServiceContext, hookId: string, req: IncomingWebhookRequest): Promise<void> {
  const { store } = ctx;
  if (!integrationSettings(store).enableIncomingWebhooks) throw new AppError('web.incoming_webhook.disabled.app_error');
  if (req.text === '' && req.attachments === null) throw new AppError('web.incoming_webhook.text.app_error', { detailed: `hook_id=${hookId}` });
  const hook = store.get('incomingWebhooks', hookId);
  if (hook === undefined) throw new AppError('web.incoming_webhook.invalid.app_error', { detailed: `hook_id=${hookId}` });
  const props: Record<string, unknown> = { ...(req.props ?? {}), webhook_display_name: hook.display_name };
  let type = req.type;
  if (req.attachments !== null && req.attachments.length > 0) {
    props.attachments = req.attachments;
    type = 'slack_attachment';
  }

  let channel: ChannelRecord | undefined;
  const name = req.channel;
  if (name.startsWith('@')) {
    const target = store.findOne('users', 'username', name.slice(1).toLowerCase());
    if (target === undefined) throw new AppError('web.incoming_webhook.user.app_error', { params: { user: NO_VALUE } });
    const dm = directChannelMutations(store, hook.user_id, target.id, hook.user_id, ctx.now());
    if (dm.created) await store.commit(dm.mutations);
    channel = dm.channel;
  } else if (name !== '') {
    channel = store.findOne('channels', 'team_name', `${hook.team_id}:${name.startsWith('#') ? name.slice(1) : name}`);
    if (channel === undefined) throw new AppError('web.incoming_webhook.channel.app_error');
  } else {
    channel = findChannel(store, hook.channel_id);
  }
  if (hook.channel_locked && hook.channel_id !== channel.id) {
    throw new AppError('web.incoming_webhook.channel_locked.app_error', { params: { channel_id: hook.channel_id } });
  }
  const owner = store.get('users', hook.user_id);
  if (owner === undefined) throw new AppError('web.incoming_webhook.user.app_error', { params: { user: NO_VALUE }, status: 403 });
  const ownerCaller: Caller = { userId: owner.id, roles: owner.roles.split(/\s+/).filter((r) => r !== '') };
  if (channel.type !== 'O' && !sessionHasPermissionToChannel(store, ownerCaller, channel.id, 'read_channel_content')) {
    throw new AppError('web.incoming_webhook.permissions.app_error', { params: { user: NO_VALUE, channel: NO_VALUE } });
  }
  await createWebhookPost(ctx, {
    userId: hook.user_id, channel, text: req.text, overrideUsername: req.username || hook.username,
    overrideIconUrl: req.icon_url || hook.icon_url, overrideIconEmoji: req.icon_emoji, props, type,
  });
}
