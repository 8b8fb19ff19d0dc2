/**
 * Outgoing webhooks (Mattermost `api4/webhook.go`, `app/webhook.go`): create, list, get, update,
 * delete and `regen_token` with the `manage_own_outgoing_webhooks` /
 * `manage_others_outgoing_webhooks` team permissions, and the trigger itself
 * (`handleWebhookEvents` + `TriggerWebhook`): a new post in a public channel whose first word
 * equals (`trigger_when` 0) or starts with (1) a trigger word of a hook of the team (or of that
 * channel; a channel hook without trigger words fires on every post) makes the mock POST the
 * payload to each callback URL, as JSON (`content_type: application/json`) or a form. A reply
 * `{"text": …}` (or with `attachments`) becomes a post by the hook's creator (`from_webhook`;
 * `response_type: "comment"` makes it a reply to the triggering post). Posts made by webhooks
 * never trigger webhooks, so a hook can't loop on its own replies.
 *
 * @example
 * ```ts
 * const hook = await createOutgoingWebhook(server, caller, { team_id, channel_id, trigger_words: ['deploy'], callback_urls: [url] });
 * const stop = observePosts(server.store, outgoingWebhookTrigger(server)); // once per server
 * ```
 */
import type * as v from 'valibot';
import { AppError, invalidParam, permissionError } from '../errors.js';
import { isValidId, newId } from '../../middleware/util/ids.js';
import type { ChannelRecord, OutgoingWebhookRecord, PostRecord } from '../db/schema.js';
import { decodeBody, goArray, goInt, goObject, goString, goStrings, goStruct, tryDecode } from '../schemas/json.js';
import { sessionHasPermissionTo, sessionHasPermissionToChannel, sessionHasPermissionToTeam, type Caller } from './channel-permissions.js';
import { findChannel } from './channels.js';
import { isValidHttpUrl } from './commands.js';
import { commitThenEmit } from './commit.js';
import type { ServiceContext } from './context.js';
import { isObject } from './input.js';
import { integrationRequest, IntegrationRequestError } from './integration-request.js';
import { integrationSettings } from './integration-settings.js';
import type { PostObserver } from './post-observers.js';
import { createWebhookPost } from './webhook-post.js';

/** `model.OutgoingWebhook` as JSON (Go field order). */
export type OutgoingWebhookJson = OutgoingWebhookRecord;

/** `model.OutgoingWebhookPayload`: what each callback URL receives. */
export interface OutgoingWebhookPayload {
  token: string;
  team_id: string;
  team_domain: string;
  channel_id: string;
  channel_name: string;
  /** ms in JSON, seconds in the form (as Mattermost sends them). */
  timestamp: number;
  user_id: string;
  user_name: string;
  post_id: string;
  text: string;
  trigger_word: string;
  /** Comma-separated. */
  file_ids: string;
}

const HOOK_FIELDS = goStruct({
  id: goString, token: goString, creator_id: goString, channel_id: goString, team_id: goString, trigger_words: goStrings,
  trigger_when: goInt, callback_urls: goStrings, display_name: goString, description: goString, content_type: goString,
  username: goString, icon_url: goString,
});

type HookInput = v.InferOutput<typeof HOOK_FIELDS>;

/** `OutgoingWebhookFromJson`; a failure is 400 `invalid_param` naming `outgoing_webhook`. */
function decodeHook(body: unknown): HookInput {
  return decodeBody(HOOK_FIELDS, body, 'outgoing_webhook', 'param');
}

/** The hook as JSON. */
export function outgoingWebhookJson(hook: OutgoingWebhookRecord): OutgoingWebhookJson {
  return {
    id: hook.id, token: hook.token, create_at: hook.create_at, update_at: hook.update_at, delete_at: hook.delete_at,
    creator_id: hook.creator_id, channel_id: hook.channel_id, team_id: hook.team_id, trigger_words: [...hook.trigger_words],
    trigger_when: hook.trigger_when, callback_urls: [...hook.callback_urls], display_name: hook.display_name,
    description: hook.description, content_type: hook.content_type, username: hook.username, icon_url: hook.icon_url,
  };
}

function requireEnabled(ctx: ServiceContext): void {
  if (!integrationSettings(ctx.store).enableOutgoingWebhooks) throw new AppError('api.outgoing_webhook.disabled.app_error');
}

/** Go's `len(fmt.Sprintf("%s", []string))`: `[a b c]`. */
const printedLength = (list: readonly string[]): number => list.join(' ').length + 2;

/** `OutgoingWebhook.IsValid` for the client's fields. */
function validate(hook: OutgoingWebhookRecord): void {
  if (!isValidId(hook.creator_id)) throw new AppError('model.outgoing_hook.is_valid.user_id.app_error');
  if (hook.channel_id !== '' && !isValidId(hook.channel_id)) throw new AppError('model.outgoing_hook.is_valid.channel_id.app_error');
  if (!isValidId(hook.team_id)) throw new AppError('model.outgoing_hook.is_valid.team_id.app_error');
  if (printedLength(hook.trigger_words) > 1024) throw new AppError('model.outgoing_hook.is_valid.words.app_error');
  if (hook.trigger_words.some((w) => w === '')) throw new AppError('model.outgoing_hook.is_valid.trigger_words.app_error');
  if (hook.callback_urls.length === 0 || printedLength(hook.callback_urls) > 1024) throw new AppError('model.outgoing_hook.is_valid.callback.app_error');
  if (!hook.callback_urls.every(isValidHttpUrl)) throw new AppError('model.outgoing_hook.is_valid.url.app_error');
  if (hook.display_name.length > 64) throw new AppError('model.outgoing_hook.is_valid.display_name.app_error');
  if (hook.description.length > 500) throw new AppError('model.outgoing_hook.is_valid.description.app_error');
  if (hook.content_type.length > 128 || hook.trigger_when > 1 || hook.trigger_when < 0) throw new AppError('model.outgoing_hook.is_valid.content_type.app_error');
  if (hook.username.length > 64) throw new AppError('model.outgoing_hook.username.app_error');
  if (hook.icon_url.length > 1024) throw new AppError('model.outgoing_hook.icon_url.app_error');
}

const intersects = (a: readonly string[], b: readonly string[]): boolean => a.some((x) => b.includes(x));

/**
 * The channel rules of `CreateOutgoingWebhook` / `UpdateOutgoingWebhook`: a channel hook needs a
 * public channel of the team; a team hook needs trigger words; no two hooks of a channel may share
 * a trigger word and a callback URL.
 */
function checkChannelAndOverlap(ctx: ServiceContext, hook: HookInput & { team_id: string }, excludeId: string | undefined): void {
  const { store } = ctx;
  const creating = excludeId === undefined;
  if (hook.channel_id !== '') {
    const channel = findChannel(store, hook.channel_id);
    if (channel.type !== 'O') {
      throw creating
        ? new AppError('api.outgoing_webhook.disabled.app_error', { status: 403 })
        : new AppError('api.webhook.create_outgoing.not_open.app_error');
    }
    if (channel.team_id !== hook.team_id) throw new AppError('api.webhook.create_outgoing.permissions.app_error');
  } else if (hook.trigger_words.length === 0) {
    throw new AppError('api.webhook.create_outgoing.triggers.app_error', creating ? {} : { status: 500 });
  }
  for (const existing of store.findMany('outgoingWebhooks', 'team_id', hook.team_id)) {
    if (existing.id === excludeId) continue;
    if (existing.channel_id === hook.channel_id && intersects(existing.callback_urls, hook.callback_urls) && intersects(existing.trigger_words, hook.trigger_words)) {
      throw new AppError(creating ? 'api.webhook.create_outgoing.intersect.app_error' : 'api.webhook.update_outgoing.intersect.app_error');
    }
  }
}

/**
 * `POST /hooks/outgoing` (`createOutgoingHook`): a body that does not decode → 400
 * `invalid_param` (`outgoing_webhook`); `manage_own_outgoing_webhooks` in `team_id` → 403;
 * another `creator_id` needs `manage_others_outgoing_webhooks` and an existing user; disabled →
 * 501; the channel rules; then `IsValid`. Returns the hook with its token.
 */
export async function createOutgoingWebhook(ctx: ServiceContext, caller: Caller, body: unknown): Promise<OutgoingWebhookRecord> {
  const input = decodeHook(body);
  const { store } = ctx;
  if (!sessionHasPermissionToTeam(store, caller, input.team_id, 'manage_own_outgoing_webhooks')) throw permissionError(caller.userId, 'manage_own_outgoing_webhooks');
  let creatorId = caller.userId;
  if (input.creator_id !== '') {
    if (!sessionHasPermissionToTeam(store, caller, input.team_id, 'manage_others_outgoing_webhooks')) throw permissionError(caller.userId, 'manage_others_outgoing_webhooks');
    if (store.get('users', input.creator_id) === undefined) throw new AppError('app.user.missing_account.const', { detailed: `user_id=${input.creator_id}` });
    creatorId = input.creator_id;
  }
  requireEnabled(ctx);
  checkChannelAndOverlap(ctx, input, undefined);
  const now = ctx.now();
  const hook: OutgoingWebhookRecord = {
    id: newId(), token: newId(), create_at: now, update_at: now, delete_at: 0, creator_id: creatorId, channel_id: input.channel_id,
    team_id: input.team_id, trigger_words: input.trigger_words, trigger_when: input.trigger_when, callback_urls: input.callback_urls,
    display_name: input.display_name, description: input.description, content_type: input.content_type,
    username: input.username, icon_url: input.icon_url,
  };
  validate(hook);
  await commitThenEmit(ctx, [{ op: 'put', collection: 'outgoingWebhooks', record: hook }], { log: [['outgoing webhook created', { hook_id: hook.id, team_id: hook.team_id, user_id: caller.userId }]] });
  return hook;
}

/**
 * `GET /hooks/outgoing` (`getOutgoingHooks`): by `channel_id` (the permission on the channel), by
 * `team_id`, or system-wide; the caller's own hooks unless it may manage others'. Paged.
 */
export function listOutgoingWebhooks(ctx: ServiceContext, caller: Caller, options: { channelId: string; teamId: string; page: number; perPage: number }): OutgoingWebhookJson[] {
  const { store } = ctx;
  const { channelId, teamId, page, perPage } = options;
  let all: OutgoingWebhookRecord[];
  if (channelId !== '') {
    if (!sessionHasPermissionToChannel(store, caller, channelId, 'manage_own_outgoing_webhooks')) throw permissionError(caller.userId, 'manage_own_outgoing_webhooks');
    const others = sessionHasPermissionToChannel(store, caller, channelId, 'manage_others_outgoing_webhooks');
    requireEnabled(ctx);
    all = store.findMany('outgoingWebhooks', 'channel_id', channelId).filter((h) => others || h.creator_id === caller.userId);
  } else if (teamId !== '') {
    if (!sessionHasPermissionToTeam(store, caller, teamId, 'manage_own_outgoing_webhooks')) throw permissionError(caller.userId, 'manage_own_outgoing_webhooks');
    const others = sessionHasPermissionToTeam(store, caller, teamId, 'manage_others_outgoing_webhooks');
    requireEnabled(ctx);
    all = store.findMany('outgoingWebhooks', 'team_id', teamId).filter((h) => others || h.creator_id === caller.userId);
  } else {
    if (!sessionHasPermissionTo(caller, 'manage_own_outgoing_webhooks')) throw permissionError(caller.userId, 'manage_own_outgoing_webhooks');
    const others = sessionHasPermissionTo(caller, 'manage_others_outgoing_webhooks');
    requireEnabled(ctx);
    all = others ? [...store.all('outgoingWebhooks')] : store.findMany('outgoingWebhooks', 'creator_id', caller.userId);
  }
  return all.slice(page * perPage, page * perPage + perPage).map(outgoingWebhookJson);
}

/** A hook the caller manages: 501 disabled, 404 unknown, 403 naming the missing permission. */
function managedHook(ctx: ServiceContext, caller: Caller, hookId: string): OutgoingWebhookRecord {
  requireEnabled(ctx);
  const hook = ctx.store.get('outgoingWebhooks', hookId);
  if (hook === undefined) throw new AppError('app.webhooks.get_outgoing.app_error', { detailed: `id=${hookId}` });
  if (!sessionHasPermissionToTeam(ctx.store, caller, hook.team_id, 'manage_own_outgoing_webhooks')) throw permissionError(caller.userId, 'manage_own_outgoing_webhooks');
  if (caller.userId !== hook.creator_id && !sessionHasPermissionToTeam(ctx.store, caller, hook.team_id, 'manage_others_outgoing_webhooks')) {
    throw permissionError(caller.userId, 'manage_others_outgoing_webhooks');
  }
  return hook;
}

/** `GET /hooks/outgoing/{id}`. */
export function getOutgoingWebhook(ctx: ServiceContext, caller: Caller, hookId: string): OutgoingWebhookRecord {
  return managedHook(ctx, caller, hookId);
}

/** `DELETE /hooks/outgoing/{id}`. */
export async function deleteOutgoingWebhook(ctx: ServiceContext, caller: Caller, hookId: string): Promise<void> {
  const hook = managedHook(ctx, caller, hookId);
  await commitThenEmit(ctx, [{ op: 'delete', collection: 'outgoingWebhooks', key: hook.id }], { log: [['outgoing webhook deleted', { hook_id: hook.id, user_id: caller.userId }]] });
}

/** `POST /hooks/outgoing/{id}/regen_token`: a new token, sent from the next trigger on. Returns the hook. */
export async function regenOutgoingWebhookToken(ctx: ServiceContext, caller: Caller, hookId: string): Promise<OutgoingWebhookRecord> {
  const hook = managedHook(ctx, caller, hookId);
  const next: OutgoingWebhookRecord = { ...hook, token: newId(), update_at: Math.max(ctx.now(), hook.update_at) };
  await commitThenEmit(ctx, [{ op: 'put', collection: 'outgoingWebhooks', record: next }], { log: [['outgoing webhook token regenerated', { hook_id: hook.id, user_id: caller.userId }]] });
  return next;
}

/**
 * `PUT /hooks/outgoing/{id}` (`updateOutgoingHook`): the body's `id` must be the URL's (400
 * `invalid_param` `hook_id`); another `team_id` → 400 `api.webhook.team_mismatch.app_error`; the
 * permission checks; the channel rules (a private channel → 403 `not_open`); creator, team, token
 * and creation time stay.
 */
export async function updateOutgoingWebhook(ctx: ServiceContext, caller: Caller, hookId: string, body: unknown): Promise<OutgoingWebhookRecord> {
  const input = decodeHook(body);
  if (input.id !== hookId) throw invalidParam('hook_id');
  requireEnabled(ctx);
  const old = ctx.store.get('outgoingWebhooks', hookId);
  if (old === undefined) throw new AppError('app.webhooks.get_outgoing.app_error', { detailed: `id=${hookId}` });
  const teamId = input.team_id === '' ? old.team_id : input.team_id;
  if (teamId !== old.team_id) throw new AppError('api.webhook.team_mismatch.app_error', { detailed: `user_id=${caller.userId}` });
  managedHook(ctx, caller, hookId);
  checkChannelAndOverlap(ctx, { ...input, team_id: teamId }, old.id);
  const next: OutgoingWebhookRecord = {
    ...old, channel_id: input.channel_id, trigger_words: input.trigger_words, trigger_when: input.trigger_when,
    callback_urls: input.callback_urls, display_name: input.display_name, description: input.description,
    content_type: input.content_type, username: input.username, icon_url: input.icon_url, update_at: Math.max(ctx.now(), old.update_at),
  };
  validate(next);
  await commitThenEmit(ctx, [{ op: 'put', collection: 'outgoingWebhooks', record: next }]);
  return next;
}

/** A post made by `CreateWebhookPost` (incoming webhooks, outgoing-webhook replies): it never triggers webhooks. */
function isWebhookPost(post: PostRecord): boolean {
  return post.props.from_webhook === 'true' && Object.hasOwn(post.props, 'webhook_display_name');
}

/**
 * `handleWebhookEvents`: the hooks a post triggers and the trigger word they report. As in
 * Mattermost, the one `trigger_word` reported is that of the last matching hook.
 */
export function matchingHooks(ctx: ServiceContext, post: PostRecord, channel: ChannelRecord): { hooks: OutgoingWebhookRecord[]; triggerWord: string } {
  const teamHooks = ctx.store.findMany('outgoingWebhooks', 'team_id', channel.team_id);
  const hooks: OutgoingWebhookRecord[] = [];
  let triggerWord = '';
  // Most teams have no outgoing webhook: no need to split the message for them.
  if (teamHooks.length === 0) return { hooks, triggerWord };
  const firstWord = post.message.split(/\s+/).find((w) => w !== '') ?? '';
  for (const hook of teamHooks) {
    if (hook.channel_id !== post.channel_id && hook.channel_id !== '') continue;
    if (hook.channel_id === post.channel_id && hook.trigger_words.length === 0) {
      hooks.push(hook);
      triggerWord = '';
    } else if (hook.trigger_when === 0 && firstWord !== '' && hook.trigger_words.includes(firstWord)) {
      hooks.push(hook);
      triggerWord = firstWord;
    } else if (hook.trigger_when === 1 && firstWord !== '') {
      const word = hook.trigger_words.find((t) => firstWord.startsWith(t));
      if (word !== undefined) {
        hooks.push(hook);
        triggerWord = word;
      }
    }
  }
  return { hooks, triggerWord };
}

/** The payload as a form (`ToFormValues`: keys sorted, `timestamp` in seconds). */
function toFormValues(p: OutgoingWebhookPayload): string {
  const entries: Array<[string, string]> = Object.entries({ ...p, timestamp: String(Math.floor(p.timestamp / 1000)) });
  entries.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return new URLSearchParams(entries).toString();
}

const RESPONSE_FIELDS = goStruct({
  username: goString, icon_url: goString, props: goObject, attachments: goArray, type: goString, response_type: goString,
});

/**
 * `TriggerWebhook`: POST the payload to each callback URL (in parallel, each bounded by
 * `OutgoingIntegrationRequestsTimeout` and 1 MiB) and post the replies that carry `text` or
 * `attachments`. Mattermost does not look at the reply's status. Failures are logged, never thrown.
 */
export async function triggerWebhook(ctx: ServiceContext, payload: OutgoingWebhookPayload, hook: OutgoingWebhookRecord, post: PostRecord, channel: ChannelRecord): Promise<void> {
  const settings = integrationSettings(ctx.store);
  const json = hook.content_type === 'application/json';
  const body = json ? JSON.stringify(payload) : toFormValues(payload);
  const headers = { 'Content-Type': json ? 'application/json' : 'application/x-www-form-urlencoded', Accept: 'application/json' };
  const fields = { outgoing_webhook_id: hook.id, post_id: post.id, channel_id: channel.id };
  await Promise.all(hook.callback_urls.map(async (url) => {
    let text: string;
    try {
      text = (await integrationRequest({ method: 'POST', url, headers, body }, { timeoutMs: settings.timeoutMs })).body;
    } catch (err) {
      const timedOut = err instanceof IntegrationRequestError && err.kind === 'timeout';
      ctx.logger.error(timedOut
        ? 'Outgoing Webhook POST timed out. Consider increasing ServiceSettings.OutgoingIntegrationRequestsTimeout.'
        : 'Outgoing Webhook POST failed', { ...fields, error: err instanceof Error ? err.message : String(err) });
      return;
    }
    if (text.trim() === '') return; // io.EOF: no reply
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      ctx.logger.error('Outgoing Webhook reply is not JSON', fields);
      return;
    }
    const reply = tryDecode(RESPONSE_FIELDS, value);
    const replyText = isObject(value) && typeof value.text === 'string' ? value.text : undefined;
    if (reply === undefined || (isObject(value) && value.text !== undefined && value.text !== null && replyText === undefined)) {
      ctx.logger.error('Outgoing Webhook reply is not a valid response', fields);
      return;
    }
    if (replyText === undefined && (reply.attachments === null || reply.attachments.length === 0)) return;
    const props: Record<string, unknown> = { ...(reply.props ?? {}), webhook_display_name: hook.display_name };
    if (reply.attachments !== null && reply.attachments.length > 0) props.attachments = reply.attachments;
    const username = settings.enablePostUsernameOverride && hook.username !== '' && reply.username === '' ? hook.username : reply.username;
    const iconUrl = settings.enablePostIconOverride && hook.icon_url !== '' && reply.icon_url === '' ? hook.icon_url : reply.icon_url;
    try {
      await createWebhookPost(ctx, {
        userId: hook.creator_id, channel, text: replyText ?? '', overrideUsername: username, overrideIconUrl: iconUrl,
        props, type: reply.type, rootId: reply.response_type === 'comment' ? post.id : '',
      });
    } catch (err) {
      ctx.logger.error('Failed to create response post.', { ...fields, error: err instanceof Error ? err.message : String(err) });
    }
  }));
}

/**
 * The post observer that fires outgoing webhooks (`handleWebhookEvents`): public channels only,
 * never for posts made by webhooks, nothing while `EnableOutgoingWebhooks` is off. The calls run
 * in the background; `pending` lets a caller (tests, shutdown) wait for them.
 */
export function outgoingWebhookTrigger(ctx: ServiceContext): PostObserver & { readonly pending: Set<Promise<void>> } {
  const pending = new Set<Promise<void>>();
  const observer = (post: PostRecord): void => {
    const { store } = ctx;
    if (!integrationSettings(store).enableOutgoingWebhooks || isWebhookPost(post)) return;
    const channel = store.get('channels', post.channel_id);
    if (channel === undefined || channel.type !== 'O') return;
    const { hooks, triggerWord } = matchingHooks(ctx, post, channel);
    if (hooks.length === 0) return;
    const team = store.get('teams', channel.team_id);
    const user = store.get('users', post.user_id);
    for (const hook of hooks) {
      const payload: OutgoingWebhookPayload = {
        token: hook.token, team_id: hook.team_id, team_domain: team?.name ?? '', channel_id: post.channel_id,
        channel_name: channel.name, timestamp: post.create_at, user_id: post.user_id, user_name: user?.username ?? '',
        post_id: post.id, text: post.message, trigger_word: triggerWord, file_ids: post.file_ids.join(','),
      };
      const run = triggerWebhook(ctx, payload, hook, post, channel).catch((err: unknown) => {
        ctx.logger.error('outgoing webhook failed', { outgoing_webhook_id: hook.id, error: err instanceof Error ? err.message : String(err) });
      });
      pending.add(run);
      void run.finally(() => pending.delete(run));
    }
  };
  return Object.assign(observer, { pending });
}
