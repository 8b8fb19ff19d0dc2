/**
 * Reactions (Mattermost `api4/reaction.go` + `app/reaction.go`): save (idempotent), delete, list
 * for a post. The post's `has_reactions` and `update_at` change in the same commit, as Mattermost's
 * store does, and `reaction_added` / `reaction_removed` go to the channel.
 *
 * @example
 * ```ts
 * const r = await saveReaction(server, caller, parseReaction({ user_id: caller.userId, post_id, emoji_name: 'tada' }));
 * await deleteReaction(server, caller, caller.userId, post_id, 'tada');
 * ```
 */
import { decodeBody, goString, goStruct } from '../schemas/json.js';
import { AppError, permissionError } from '../errors.js';
import { isValidId } from '../../middleware/util/ids.js';
import { hasPermission } from '../../middleware/permissions/permissions.js';
import type { Mutation, PostRecord, ReactionRecord } from '../db/schema.js';
import { sessionHasPermissionToChannelByPost, type Caller } from './channel-permissions.js';
import { findChannel } from './channels.js';
import { commitThenEmit } from './commit.js';
import type { ServiceContext } from './context.js';

import { reactionJson, reactionsOf, type ReactionJson } from './post-metadata.js';
import { reactionKey } from '../db/keys.js';

/** `model.EmojiNameMaxLength`. */
const EMOJI_NAME_MAX = 64;
/** `model.Reaction.IsValid`'s emoji name characters. */
const EMOJI_NAME = /^[a-zA-Z0-9\-+_]+$/;

/** Whether `name` is a valid emoji name (also the route's `{emoji_name}` pattern). */
export function isValidEmojiName(name: string): boolean {
  return name.length > 0 && name.length <= EMOJI_NAME_MAX && EMOJI_NAME.test(name);
}

/** The fields of a `POST /reactions` body. */
export interface ReactionInput {
  user_id: string;
  post_id: string;
  emoji_name: string;
}

/**
 * Decode a `POST /reactions` body: not an object or mistyped fields → 400 `invalid_body_param`
 * naming `reaction` (the typed decode); invalid ids, an empty or over-long emoji name → 400
 * `api.reaction.save_reaction.invalid.app_error` (the handler's own check).
 */
const REACTION_INPUT = goStruct({ user_id: goString, post_id: goString, emoji_name: goString });

export function parseReaction(body: unknown): ReactionInput {
  const input = decodeBody(REACTION_INPUT, body, 'reaction');
  if (!isValidId(input.user_id) || !isValidId(input.post_id) || input.emoji_name === '' || input.emoji_name.length > EMOJI_NAME_MAX) {
    throw new AppError('api.reaction.save_reaction.invalid.app_error');
  }
  return input;
}

function livePost(deps: ServiceContext, postId: string): PostRecord {
  const post = deps.store.get('posts', postId);
  if (post === undefined || post.delete_at !== 0) throw new AppError('app.post.get.app_error', { detailed: `post_id=${postId}` });
  return post;
}

/**
 * `POST /reactions`: only for yourself (403 `api.reaction.save_reaction.user_id.app_error`);
 * `add_reaction` on the post's channel (403); the post must be live (404) in a live channel (400);
 * the emoji name's characters (400 `model.reaction.is_valid.emoji_name.app_error`).
 * Saving an existing reaction answers it unchanged.
 */
export async function saveReaction(deps: ServiceContext, caller: Caller, input: ReactionInput): Promise<ReactionJson> {
  const { store } = deps;
  if (input.user_id !== caller.userId) throw new AppError('api.reaction.save_reaction.user_id.app_error');
  if (!sessionHasPermissionToChannelByPost(store, caller, input.post_id, 'add_reaction')) throw permissionError(caller.userId, 'add_reaction');
  const post = livePost(deps, input.post_id);
  const channel = findChannel(store, post.channel_id);
  if (channel.delete_at !== 0) throw new AppError('api.reaction.save.archived_channel.app_error');
  // `Reaction.IsValid` in the store: the emoji name's characters.
  if (!EMOJI_NAME.test(input.emoji_name)) throw new AppError('model.reaction.is_valid.emoji_name.app_error');
  const key = reactionKey(post.id, input.user_id, input.emoji_name);
  const existing = store.get('reactions', key);
  if (existing !== undefined && existing.delete_at === 0) return reactionJson(existing);
  const now = deps.now();
  const reaction: ReactionRecord = { ...input, channel_id: channel.id, create_at: now, update_at: now, delete_at: 0 };
  const json = reactionJson(reaction);
  await commitThenEmit(deps, [
    { op: 'put', collection: 'reactions', record: reaction },
    { op: 'put', collection: 'posts', record: { ...post, has_reactions: true, update_at: now } },
  ], { ws: [{ event: 'reaction_added', data: { reaction: JSON.stringify(json) }, broadcast: { channel_id: channel.id } }] });
  return json;
}

/**
 * `DELETE /users/{user_id}/posts/{post_id}/reactions/{emoji_name}`: `remove_reaction` on the
 * post's channel (403), then `remove_others_reactions` for someone else's reaction (a system-admin
 * permission: the mock grants it with `manage_system`); the post must be live (404) in a live
 * channel (400). Removing a reaction that does not exist is a no-op, as in Mattermost.
 */
export async function deleteReaction(deps: ServiceContext, caller: Caller, userId: string, postId: string, emojiName: string): Promise<void> {
  const { store } = deps;
  if (!sessionHasPermissionToChannelByPost(store, caller, postId, 'remove_reaction')) throw permissionError(caller.userId, 'remove_reaction');
  if (userId !== caller.userId && !hasPermission(caller.roles, 'manage_system')) throw permissionError(caller.userId, 'remove_others_reactions');
  const post = livePost(deps, postId);
  const channel = findChannel(store, post.channel_id);
  if (channel.delete_at !== 0) throw new AppError('api.reaction.delete.archived_channel.app_error');
  const existing = store.get('reactions', reactionKey(postId, userId, emojiName));
  if (existing === undefined || existing.delete_at !== 0) return;
  const now = deps.now();
  const left = reactionsOf(store, postId).filter((r) => r !== existing);
  const mutations: Mutation[] = [
    { op: 'delete', collection: 'reactions', key: reactionKey(postId, userId, emojiName) },
    { op: 'put', collection: 'posts', record: { ...post, has_reactions: left.length > 0, update_at: now } },
  ];
  await commitThenEmit(deps, mutations, {
    ws: [{
      event: 'reaction_removed',
      data: { reaction: JSON.stringify({ ...reactionJson(existing), update_at: now, delete_at: now }) },
      broadcast: { channel_id: channel.id },
    }],
  });
}

/** `GET /posts/{id}/reactions`: `read_channel_content` on the post's channel (403, also for an unknown post). */
export function postReactions(deps: ServiceContext, caller: Caller, postId: string): ReactionJson[] {
  const { store } = deps;
  if (!sessionHasPermissionToChannelByPost(store, caller, postId, 'read_channel_content')) throw permissionError(caller.userId, 'read_channel_content');
  return reactionsOf(store, postId).map(reactionJson);
}
