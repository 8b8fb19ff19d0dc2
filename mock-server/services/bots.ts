/**
 * Bot accounts (Mattermost `app/bot.go` + `api4/bot.go` rules): a bot is a user row with
 * `is_bot: true` plus a bot row (same id) naming its owner. Creating one needs `create_bot` and
 * `ServiceSettings.EnableBotAccountCreation`; managing one needs `manage_bots` (own bots) or
 * `manage_others_bots`, reading one `read_bots` / `read_others_bots` (without those the bot is
 * reported as not found). Disabling sets `delete_at` on both rows, deletes the bot's sessions and
 * emits `user.deactivated`, so its tokens are refused on the very next request; enabling emits
 * `user.activated`.
 *
 * @example
 * ```ts
 * const bot = await createBot(server, principal, { username: 'build-bot', display_name: 'Build' });
 * await setBotActive(server, principal, bot.user_id, false); // its PATs now answer 401
 * botJson(bot); // { user_id, username, display_name, owner_id, create_at, update_at, delete_at }
 * ```
 */
import * as v from 'valibot';
import { decodeBody, goPatch } from '../schemas/json.js';
import { AppError, invalidBodyParam, permissionError } from '../errors.js';
import { newId } from '../../middleware/util/ids.js';
import { hasPermission } from '../../middleware/permissions/permissions.js';
import type { Principal } from '../../middleware/types.js';
import type { ServiceContext } from './context.js';
import type { BotRecord, Mutation, Store, UserRecord } from '../db/schema.js';
import { directChannelMutations } from './channels.js';
import { newPostRecord, postMutations } from './posts.js';
import { runes } from './input.js';
import { commitThenEmit } from './commit.js';

/** What the bot service needs from the server. */
export type BotDeps = Pick<ServiceContext, 'store' | 'hooks' | 'now'>;

/** The caller of a bot operation. */
export type BotCaller = Pick<Principal, 'userId' | 'roles'>;

/** Bot JSON as Mattermost serialises `model.Bot` (`display_name`/`description` omitted when empty). */
export interface BotJson extends Omit<BotRecord, 'display_name' | 'description'> {
  display_name?: string;
  description?: string;
}

/** `model.BotPatch`: every field optional. */
export interface BotPatch {
  username?: string;
  display_name?: string;
  description?: string;
}

/** Options of {@link listBots} (`GET /bots` query). */
export interface ListBotsOptions {
  page: number;
  perPage: number;
  includeDeleted: boolean;
  onlyOrphaned: boolean;
}

const RESTRICTED_USERNAMES = new Set(['all', 'channel', 'matterbot', 'system']);
const USERNAME_CHARS = /^[a-z0-9.\-_]+$/;
const DISPLAY_NAME_MAX_RUNES = 64;
const DESCRIPTION_MAX_RUNES = 1024;
/** Message the new bot sends its owner (`api.bot.teams_channels.add_message_mobile`). */
export const BOT_ADDED_MESSAGE = 'Please add me to teams and channels you want me to interact in. To do this, use the browser or Mattermost Desktop App.';

/** Mattermost's `IsValidUsername`. */
export function isValidUsername(name: string): boolean {
  return name.length >= 3 && name.length <= 22 && USERNAME_CHARS.test(name) && /^\p{L}/u.test(name)
    && !RESTRICTED_USERNAMES.has(name);
}

/** Serialise a bot row. */
export function botJson(bot: BotRecord): BotJson {
  return {
    user_id: bot.user_id,
    username: bot.username,
    ...(bot.display_name !== '' ? { display_name: bot.display_name } : {}),
    ...(bot.description !== '' ? { description: bot.description } : {}),
    owner_id: bot.owner_id,
    create_at: bot.create_at,
    update_at: bot.update_at,
    delete_at: bot.delete_at,
  };
}

/**
 * Decode a `BotPatch` body like Go's `json.Decode` into `*model.BotPatch`: not a JSON object or a
 * field of the wrong type → 400 `invalid_body_param` naming `bot`. `null` yields undefined.
 */
export function parseBotPatch(body: unknown): BotPatch | undefined {
  if (body === null) return undefined;
  return decodeBody(BOT_PATCH, body, 'bot');
}

const BOT_PATCH = goPatch({ username: v.string(), display_name: v.string(), description: v.string() });

function validateBot(bot: Pick<BotRecord, 'username' | 'display_name' | 'description'>): void {
  if (!isValidUsername(bot.username)) throw new AppError('model.bot.is_valid.username.app_error');
  // Mattermost's IsValid reports an over-long display name with the user_id error id.
  if (runes(bot.display_name) > DISPLAY_NAME_MAX_RUNES) throw new AppError('model.bot.is_valid.user_id.app_error');
  if (runes(bot.description) > DESCRIPTION_MAX_RUNES) throw new AppError('model.bot.is_valid.description.app_error');
}

function botNotFound(botUserId: string): AppError {
  return new AppError('store.sql_bot.get.missing.app_error', { detailed: `resource: Bot id: ${botUserId}` });
}

/** `GetBot`: the bot row, 404 when missing (or deleted without `includeDeleted`). */
export function findBot(store: Store, botUserId: string, includeDeleted: boolean): BotRecord {
  const bot = store.get('bots', botUserId);
  if (bot === undefined || (!includeDeleted && bot.delete_at !== 0)) throw botNotFound(botUserId);
  return bot;
}

/**
 * `SessionHasPermissionToManageBot`: the bot (deleted ones included) or 404; then `manage_bots`
 * for an own bot / `manage_others_bots` otherwise. Without even `read_bots` / `read_others_bots`
 * the bot is reported as not found.
 */
export function requireManageBot(store: Store, caller: BotCaller, botUserId: string): BotRecord {
  const bot = findBot(store, botUserId, true);
  const own = bot.owner_id === caller.userId;
  const manage = own ? 'manage_bots' : 'manage_others_bots';
  if (hasPermission(caller.roles, manage)) return bot;
  if (!hasPermission(caller.roles, own ? 'read_bots' : 'read_others_bots')) throw botNotFound(botUserId);
  throw permissionError(caller.userId, manage);
}

function botUserRecord(bot: BotRecord, now: number): UserRecord {
  return {
    id: bot.user_id, create_at: now, update_at: now, delete_at: 0,
    username: bot.username, email: `${bot.username}@localhost`, email_verified: false,
    nickname: '', first_name: bot.display_name, last_name: '', position: '', roles: 'system_user', locale: 'en',
    password_hash: '', auth_service: '', is_bot: true, bot_description: bot.description,
    failed_attempts: 0, last_password_update: 0, last_picture_update: 0, last_activity_at: 0, mfa_active: false,
    props: {}, notify_props: {}, timezone: { automaticTimezone: '', manualTimezone: '', useAutomaticTimezone: 'true' },
  };
}

function accountTaken(store: Store, username: string, email: string, selfId?: string): void {
  const byName = store.findOne('users', 'username', username.toLowerCase());
  if (byName !== undefined && byName.id !== selfId) throw new AppError('app.user.save.username_exists.app_error');
  const byEmail = store.findOne('users', 'email', email.toLowerCase());
  if (byEmail !== undefined && byEmail.id !== selfId) throw new AppError('app.user.save.email_exists.app_error');
}

/**
 * `POST /bots`: create a bot owned by the caller, plus its user row, and (like Mattermost) a DM
 * from the bot to its owner asking to be added to teams and channels.
 */
export async function createBot(deps: BotDeps, caller: BotCaller, patch: BotPatch | undefined): Promise<BotRecord> {
  const { store } = deps;
  if (patch === undefined) throw invalidBodyParam('bot');
  if (!hasPermission(caller.roles, 'create_bot')) throw permissionError(caller.userId, 'create_bot');
  const owner = store.get('users', caller.userId);
  if (owner?.is_bot) throw permissionError(caller.userId, 'create_bot');
  if (!store.config.ServiceSettings.EnableBotAccountCreation) throw new AppError('api.bot.create_disabled');
  const now = deps.now();
  const bot: BotRecord = {
    user_id: newId(), username: patch.username ?? '', display_name: patch.display_name ?? '', description: patch.description ?? '',
    owner_id: caller.userId, create_at: now, update_at: now, delete_at: 0,
  };
  validateBot(bot);
  const user = botUserRecord(bot, now);
  accountTaken(store, user.username, user.email);
  const mutations: Mutation[] = [
    { op: 'put', collection: 'users', record: user },
    { op: 'put', collection: 'bots', record: bot },
  ];
  if (owner !== undefined) {
    const dm = directChannelMutations(store, bot.user_id, owner.id, bot.user_id, now);
    mutations.push(...dm.mutations);
    const post = newPostRecord({ user_id: bot.user_id, channel_id: dm.channel.id, message: BOT_ADDED_MESSAGE, type: 'add_bot_teams_channels' }, now);
    mutations.push(...postMutations(store, dm.channel, post));
  }
  await store.commit(mutations);
  return bot;
}

/** `GET /bots/{id}`: 404 unless the caller may read it (`read_others_bots`, or `read_bots` for own bots). */
export function getBot(deps: BotDeps, caller: BotCaller, botUserId: string, includeDeleted: boolean): BotRecord {
  const bot = findBot(deps.store, botUserId, includeDeleted);
  if (hasPermission(caller.roles, 'read_others_bots')) return bot;
  if (bot.owner_id === caller.userId && hasPermission(caller.roles, 'read_bots')) return bot;
  throw botNotFound(botUserId);
}

/**
 * `GET /bots`: every bot with `read_others_bots`, own bots with `read_bots`, else 403 naming
 * `read_bots`. Ordered by creation time then username; deleted bots only with `includeDeleted`;
 * `onlyOrphaned` keeps bots whose owner is missing or deactivated.
 */
export function listBots(deps: BotDeps, caller: BotCaller, options: ListBotsOptions): BotRecord[] {
  const { store } = deps;
  let bots: BotRecord[];
  if (hasPermission(caller.roles, 'read_others_bots')) bots = [...store.all('bots')];
  else if (hasPermission(caller.roles, 'read_bots')) bots = store.findMany('bots', 'owner_id', caller.userId);
  else throw permissionError(caller.userId, 'read_bots');
  const selected = bots.filter((bot) => {
    if (!options.includeDeleted && bot.delete_at !== 0) return false;
    if (options.onlyOrphaned) {
      const owner = store.get('users', bot.owner_id);
      return owner === undefined || owner.delete_at !== 0;
    }
    return true;
  });
  selected.sort((a, b) => a.create_at - b.create_at || (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  const start = options.page * options.perPage;
  return selected.slice(start, start + options.perPage);
}

/** `PUT /bots/{id}`: patch username / display name / description (and the bot's user row). */
export async function patchBot(deps: BotDeps, caller: BotCaller, botUserId: string, patch: BotPatch | undefined): Promise<BotRecord> {
  const { store } = deps;
  const bot = requireManageBot(store, caller, botUserId);
  if (patch === undefined) return bot;
  const next: BotRecord = { ...bot, ...patch };
  if (next.username === bot.username && next.display_name === bot.display_name && next.description === bot.description) return bot;
  next.update_at = deps.now();
  validateBot(next);
  const user = store.get('users', botUserId);
  if (user === undefined) throw new AppError('app.user.missing_account.const');
  const email = `${next.username}@localhost`;
  accountTaken(store, next.username, email, botUserId);
  const nextUser: UserRecord = { ...user, username: next.username, email, first_name: next.display_name, bot_description: next.description, update_at: next.update_at };
  await store.commit([
    { op: 'put', collection: 'users', record: nextUser },
    { op: 'put', collection: 'bots', record: next },
  ]);
  return next;
}

/**
 * Enable or disable a bot and its user without a permission check (`UpdateBotActive`): the user's
 * `delete_at`, the bot's `delete_at`, the user's sessions deleted on disable, and `user.deactivated`
 * / `user.activated` emitted so caches evict at once. Also used when an owner is deactivated.
 */
export async function updateBotActive(deps: BotDeps, botUserId: string, active: boolean): Promise<BotRecord> {
  const { store } = deps;
  const user = store.get('users', botUserId);
  if (user === undefined) throw new AppError('app.user.missing_account.const');
  const bot = findBot(store, botUserId, true);
  const now = deps.now();
  const mutations: Mutation[] = [];
  const userChanged = active ? user.delete_at !== 0 : user.delete_at === 0;
  if (userChanged) {
    mutations.push({ op: 'put', collection: 'users', record: { ...user, delete_at: active ? 0 : now, update_at: now } });
    if (!active) {
      for (const session of store.findMany('sessions', 'user_id', botUserId)) mutations.push({ op: 'delete', collection: 'sessions', key: session.id });
    }
  }
  let next = bot;
  if (active ? bot.delete_at !== 0 : bot.delete_at === 0) {
    next = { ...bot, delete_at: active ? 0 : now, update_at: now };
    mutations.push({ op: 'put', collection: 'bots', record: next });
  }
  await commitThenEmit(deps, mutations, {
    hooks: userChanged ? [[active ? 'user.activated' : 'user.deactivated', { userId: botUserId }]] : [],
  });
  return next;
}

/** `POST /bots/{id}/disable` and `/enable`: {@link requireManageBot}, then {@link updateBotActive}. */
export async function setBotActive(deps: BotDeps, caller: BotCaller, botUserId: string, active: boolean): Promise<BotRecord> {
  requireManageBot(deps.store, caller, botUserId);
  return updateBotActive(deps, botUserId, active);
}

/**
 * `POST /bots/{id}/assign/{user_id}`: {@link requireManageBot}; a bot cannot own a bot (403 naming
 * `assign_bot`). Like Mattermost, the new owner's existence is not checked.
 */
export async function assignBot(deps: BotDeps, caller: BotCaller, botUserId: string, ownerId: string): Promise<BotRecord> {
  const { store } = deps;
  const bot = requireManageBot(store, caller, botUserId);
  if (store.get('users', ownerId)?.is_bot) throw permissionError(caller.userId, 'assign_bot');
  if (bot.owner_id === ownerId) return bot;
  const next: BotRecord = { ...bot, owner_id: ownerId, update_at: deps.now() };
  await store.commit([{ op: 'put', collection: 'bots', record: next }]);
  return next;
}
