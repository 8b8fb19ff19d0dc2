/**
 * Changing and reading threads of existing posts (Mattermost `api4/post.go` `updatePost`,
 * `patchPost`, `deletePost`, `getPostThread` + `app/post.go`): edits bump `edit_at` when the
 * message changes and publish `post_edited`; a delete is soft (`delete_at`), takes the thread's
 * replies with it, detaches nothing and publishes `post_deleted`. Deleted posts vanish from
 * `GET /posts/{id}`, channel listings and threads.
 *
 * @example
 * ```ts
 * await patchPost(server, caller, postId, parsePostPatch({ message: 'fixed' })); // post_edited
 * await deletePost(server, caller, postId);                                      // post_deleted
 * getPostThread(server, caller, postId).order; // the thread, newest first
 * ```
 */
import { AppError, invalidBodyParam, permissionError } from '../errors.js';
import type { Permission } from '../../middleware/permissions/permissions.js';
import type { Mutation, PostRecord, Store } from '../db/schema.js';
import { channelGrants, type Caller } from './channel-permissions.js';
import { findChannel } from './channels.js';
import type { ServiceContext } from './context.js';
import { isObject, runes } from './input.js';
import { getPost, POST_MESSAGE_MAX_RUNES, postJson, threadStatsOf, type PostJson, type PostListJson } from './posts.js';

/** The fields of a post an edit may change (`model.PostPatch`; `PUT /posts/{id}` sends a whole post). */
export interface PostPatchInput {
  message?: string;
  is_pinned?: boolean;
  props?: Record<string, unknown>;
  file_ids?: string[];
  /** `PUT /posts/{id}` only: must name the post of the URL. */
  id?: string;
}

/** Decode a `PostPatch` / `Post` body like Go's typed decode: not an object or a mistyped field → 400 naming `post`. */
export function parsePostPatch(body: unknown): PostPatchInput {
  if (!isObject(body)) throw invalidBodyParam('post');
  const out: PostPatchInput = {};
  const { message, is_pinned: pinned, props, file_ids: fileIds, id } = body;
  if (message !== undefined && message !== null) {
    if (typeof message !== 'string') throw invalidBodyParam('post');
    out.message = message;
  }
  if (pinned !== undefined && pinned !== null) {
    if (typeof pinned !== 'boolean') throw invalidBodyParam('post');
    out.is_pinned = pinned;
  }
  if (props !== undefined && props !== null) {
    if (!isObject(props)) throw invalidBodyParam('post');
    out.props = props;
  }
  if (fileIds !== undefined && fileIds !== null) {
    if (!Array.isArray(fileIds) || !fileIds.every((f) => typeof f === 'string')) throw invalidBodyParam('post');
    out.file_ids = fileIds as string[];
  }
  if (id !== undefined && id !== null) {
    if (typeof id !== 'string') throw invalidBodyParam('post');
    out.id = id;
  }
  return out;
}

/** `SessionHasPermissionToChannelByPost`: false for an unknown post; otherwise the permission on its channel. */
export function sessionHasPermissionToChannelByPost(store: Store, caller: Caller, postId: string, permission: Permission): boolean {
  const post = store.get('posts', postId);
  const channel = post === undefined ? undefined : store.get('channels', post.channel_id);
  return channel !== undefined && channelGrants(store, caller, channel, permission);
}

/**
 * `checkUpdatePostPermissions` of `updatePost` / `patchPost`: `edit_post` on the post's channel
 * (403, also for an unknown or deleted post), then `edit_others_posts` for someone else's post.
 */
function requireEditPermission(store: Store, caller: Caller, postId: string): PostRecord {
  if (!sessionHasPermissionToChannelByPost(store, caller, postId, 'edit_post')) throw permissionError(caller.userId, 'edit_post');
  const post = store.get('posts', postId);
  if (post === undefined || post.delete_at !== 0) throw permissionError(caller.userId, 'edit_post');
  if (post.user_id !== caller.userId) {
    const channel = findChannel(store, post.channel_id);
    if (!channelGrants(store, caller, channel, 'edit_others_posts')) throw permissionError(caller.userId, 'edit_others_posts');
  }
  return post;
}

/** `App.UpdatePost`'s rules on the stored post, then the commit and `post_edited`. */
async function applyEdit(deps: ServiceContext, old: PostRecord, patch: PostPatchInput): Promise<PostRecord> {
  const { store } = deps;
  if (old.type.startsWith('system_')) throw new AppError('api.post.update_post.system_message.app_error');
  const channel = findChannel(store, old.channel_id);
  if (channel.delete_at !== 0) throw new AppError('api.post.update_post.can_not_update_post_in_deleted.error');
  const message = patch.message ?? old.message;
  if (runes(message) > POST_MESSAGE_MAX_RUNES) {
    throw new AppError('model.post.is_valid.msg.app_error', { detailed: `message is longer than ${POST_MESSAGE_MAX_RUNES} runes` });
  }
  const now = deps.now();
  const next: PostRecord = {
    ...old,
    message,
    is_pinned: patch.is_pinned ?? old.is_pinned,
    props: patch.props ?? old.props,
    update_at: now,
    edit_at: message !== old.message ? now : old.edit_at,
  };
  await store.commit([{ op: 'put', collection: 'posts', record: next }]);
  deps.publish({ event: 'post_edited', data: { post: JSON.stringify(postJson(store, next)) }, broadcast: { channel_id: next.channel_id } });
  return next;
}

/**
 * `PUT /posts/{id}`: the body is a whole post whose `id` must be the URL's (400 naming `id`);
 * `edit_post` / `edit_others_posts` (403); system messages, archived channels, over-long
 * messages → 400. Only `message`, `is_pinned` and `props` change (file attachments are kept).
 */
export async function updatePost(deps: ServiceContext, caller: Caller, postId: string, input: PostPatchInput): Promise<PostRecord> {
  if (input.id !== postId) throw invalidBodyParam('id');
  const old = requireEditPermission(deps.store, caller, postId);
  return applyEdit(deps, old, { ...input, message: input.message ?? '' });
}

/** `PUT /posts/{id}/patch`: {@link updatePost} with only the fields given. */
export async function patchPost(deps: ServiceContext, caller: Caller, postId: string, patch: PostPatchInput): Promise<PostRecord> {
  const old = requireEditPermission(deps.store, caller, postId);
  return applyEdit(deps, old, patch);
}

/**
 * `DELETE /posts/{id}`: an unknown or deleted post → 403 naming `delete_post` (as Mattermost,
 * which does not reveal it); own post: `delete_post` on the channel; someone else's:
 * `delete_others_posts`; archived channel → 400. The post and its replies get `delete_at`;
 * `post_deleted` carries the post and `delete_by`.
 */
export async function deletePost(deps: ServiceContext, caller: Caller, postId: string): Promise<void> {
  const { store } = deps;
  const post = store.get('posts', postId);
  if (post === undefined || post.delete_at !== 0) throw permissionError(caller.userId, 'delete_post');
  const channel = findChannel(store, post.channel_id);
  const permission = post.user_id === caller.userId ? 'delete_post' : 'delete_others_posts';
  if (!channelGrants(store, caller, channel, permission)) throw permissionError(caller.userId, permission);
  if (channel.delete_at !== 0) throw new AppError('api.post.delete_post.can_not_delete_post_in_deleted.error');
  const now = deps.now();
  const deleted: PostRecord = { ...post, delete_at: now, update_at: now, props: { ...post.props, deleteBy: caller.userId } };
  const mutations: Mutation[] = [{ op: 'put', collection: 'posts', record: deleted }];
  if (post.root_id === '') {
    for (const reply of store.findMany('posts', 'root_id', post.id)) {
      if (reply.delete_at === 0) mutations.push({ op: 'put', collection: 'posts', record: { ...reply, delete_at: now, update_at: now } });
    }
  }
  for (const info of store.findMany('fileInfos', 'post_id', post.id)) {
    if (info.delete_at === 0) mutations.push({ op: 'put', collection: 'fileInfos', record: { ...info, delete_at: now, update_at: now } });
  }
  await store.commit(mutations);
  deps.publish({
    event: 'post_deleted',
    data: { post: JSON.stringify(postJson(store, deleted)), delete_by: caller.userId },
    broadcast: { channel_id: post.channel_id },
  });
}

/**
 * `GET /posts/{id}/thread`: the same 404 / 403 as `GET /posts/{id}`; the root and its live
 * replies, newest first (`PostList.SortByCreateAt`), no cursors.
 */
export function getPostThread(deps: ServiceContext, caller: Caller, postId: string): PostListJson {
  const { store } = deps;
  const post = getPost(deps, caller, postId, false);
  const rootId = post.root_id === '' ? post.id : post.root_id;
  const root = store.get('posts', rootId);
  const replies = store.findMany('posts', 'root_id', rootId).filter((p) => p.delete_at === 0);
  const thread = [...(root !== undefined && root.delete_at === 0 ? [root] : []), ...replies];
  thread.sort((a, b) => b.create_at - a.create_at);
  const stats = threadStatsOf(replies);
  const posts: Record<string, PostJson> = {};
  for (const p of thread) posts[p.id] = postJson(store, p, stats);
  return { order: thread.map((p) => p.id), posts, next_post_id: '', prev_post_id: '', has_next: false, first_inaccessible_post_time: 0 };
}
