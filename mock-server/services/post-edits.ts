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
import * as v from 'valibot';
import { anyObject, decodeBody, goPatch } from '../schemas/json.js';
import { AppError, invalidBodyParam, permissionError } from '../errors.js';
import { hasPermission, type Permission } from '../../middleware/permissions/permissions.js';
import { PRIMARY_KEY, type Mutation, type PostRecord, type Store } from '../db/schema.js';
import { channelGrants, type Caller } from './channel-permissions.js';
import { findChannel } from './channels.js';
import { commitThenEmit } from './commit.js';
import type { ServiceContext } from './context.js';
import { blobsFor } from './file-blobs.js';
import { runes } from './input.js';
import { getPost, newestFirst, POST_MESSAGE_MAX_RUNES, postJson, threadStatsOf, type PostJson, type PostListJson } from './posts.js';

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
  return decodeBody(POST_PATCH, body, 'post');
}

const POST_PATCH = goPatch({ message: v.string(), is_pinned: v.boolean(), props: anyObject, file_ids: v.array(v.string()), id: v.string() });


/** The live post an edit targets: unknown or deleted → 403 naming `edit_post` (Mattermost does not reveal it). */
function postToEdit(store: Store, caller: Caller, postId: string): PostRecord {
  const post = store.get('posts', postId);
  if (post === undefined || post.delete_at !== 0) throw permissionError(caller.userId, 'edit_post');
  return post;
}

/** `channelGrants` on the post's channel or a 403 naming `permission`. */
function requireOnPostChannel(store: Store, caller: Caller, post: PostRecord, permission: Permission): void {
  if (!channelGrants(store, caller, findChannel(store, post.channel_id), permission)) throw permissionError(caller.userId, permission);
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
  await commitThenEmit(deps, [{ op: 'put', collection: 'posts', record: next }], {
    ws: () => [{ event: 'post_edited', data: { post: JSON.stringify(postJson(store, next)) }, broadcast: { channel_id: next.channel_id } }],
  });
  return next;
}

/**
 * `PUT /posts/{id}`: the body is a whole post whose `id` must be the URL's (400 naming `id`);
 * unknown or deleted → 403 naming `edit_post`; `edit_post` on the channel, then
 * `edit_others_posts` for someone else's post (403); system messages, archived channels,
 * over-long messages → 400. Only `message`, `is_pinned` and `props` change (file attachments are kept).
 */
export async function updatePost(deps: ServiceContext, caller: Caller, postId: string, input: PostPatchInput): Promise<PostRecord> {
  const { store } = deps;
  if (input.id !== postId) throw invalidBodyParam('id');
  const old = postToEdit(store, caller, postId);
  requireOnPostChannel(store, caller, old, 'edit_post');
  if (old.user_id !== caller.userId) requireOnPostChannel(store, caller, old, 'edit_others_posts');
  return applyEdit(deps, old, { ...input, message: input.message ?? '' });
}

/**
 * `PUT /posts/{id}/patch` (`postPatchChecks`): unknown or deleted → 403 naming `edit_post`; your
 * own post needs `edit_post`, someone else's `edit_others_posts` (403); then {@link updatePost}'s
 * rules with only the fields given.
 */
export async function patchPost(deps: ServiceContext, caller: Caller, postId: string, patch: PostPatchInput): Promise<PostRecord> {
  const { store } = deps;
  const old = postToEdit(store, caller, postId);
  requireOnPostChannel(store, caller, old, old.user_id === caller.userId ? 'edit_post' : 'edit_others_posts');
  return applyEdit(deps, old, patch);
}

/**
 * `DELETE /posts/{id}`: `permanent` needs `ServiceSettings.EnableAPIPostDeletion` (501
 * `api.post.delete_post.not_enabled.app_error`) and `manage_system` (403); unknown (or, without
 * `permanent`, deleted) → 404 `app.post.get.app_error`; own post: `delete_post` on the channel,
 * someone else's: `delete_others_posts` (403); archived channel → 400. Soft: the post and its
 * replies get `delete_at`, their files too; permanent: they, their reactions and files are gone.
 * `post_deleted` carries the post and `delete_by`.
 */
export async function deletePost(deps: ServiceContext, caller: Caller, postId: string, permanent = false): Promise<void> {
  const { store } = deps;
  if (permanent && store.config.ServiceSettings.EnableAPIPostDeletion !== true) {
    throw new AppError('api.post.delete_post.not_enabled.app_error', { detailed: `postId=${postId}` });
  }
  if (permanent && !hasPermission(caller.roles, 'manage_system')) throw permissionError(caller.userId, 'manage_system');
  const post = store.get('posts', postId);
  if (post === undefined || (!permanent && post.delete_at !== 0)) throw new AppError('app.post.get.app_error', { detailed: `post_id=${postId}` });
  const channel = findChannel(store, post.channel_id);
  const permission = post.user_id === caller.userId ? 'delete_post' : 'delete_others_posts';
  if (!channelGrants(store, caller, channel, permission)) throw permissionError(caller.userId, permission);
  if (channel.delete_at !== 0) throw new AppError('api.post.delete_post.can_not_delete_post_in_deleted.error');
  const now = deps.now();
  const thread = post.root_id === '' ? [post, ...store.findMany('posts', 'root_id', post.id)] : [post];
  const mutations: Mutation[] = [];
  const gone: string[] = [];
  for (const p of thread) {
    const files = store.findMany('fileInfos', 'post_id', p.id);
    if (permanent) {
      mutations.push({ op: 'delete', collection: 'posts', key: p.id });
      for (const r of store.findMany('reactions', 'post_id', p.id)) mutations.push({ op: 'delete', collection: 'reactions', key: PRIMARY_KEY.reactions(r) });
      for (const f of files) { mutations.push({ op: 'delete', collection: 'fileInfos', key: f.id }); gone.push(f.id); }
    } else if (p.delete_at === 0) {
      const props = p === post ? { ...p.props, deleteBy: caller.userId } : p.props;
      mutations.push({ op: 'put', collection: 'posts', record: { ...p, delete_at: now, update_at: now, props } });
      for (const f of files) if (f.delete_at === 0) mutations.push({ op: 'put', collection: 'fileInfos', record: { ...f, delete_at: now, update_at: now } });
    }
  }
  // Rows first (durable), then the bytes, then the event: a crash in between orphans blobs, never
  // leaves file infos pointing at missing bytes.
  await commitThenEmit(deps, mutations);
  const blobs = blobsFor(store);
  for (const id of gone) await blobs.delete(id);
  const deleted: PostRecord = { ...post, delete_at: post.delete_at === 0 ? now : post.delete_at, update_at: now };
  await commitThenEmit(deps, [], {
    ws: () => [{
      event: 'post_deleted',
      data: { post: JSON.stringify(postJson(store, deleted)), delete_by: caller.userId },
      broadcast: { channel_id: post.channel_id },
    }],
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
  const thread = newestFirst([...(root !== undefined && root.delete_at === 0 ? [root] : []), ...replies]);
  const stats = threadStatsOf(replies);
  const posts: Record<string, PostJson> = {};
  for (const p of thread) posts[p.id] = postJson(store, p, stats);
  return { order: thread.map((p) => p.id), posts, next_post_id: '', prev_post_id: '', has_next: false, first_inaccessible_post_time: 0 };
}
