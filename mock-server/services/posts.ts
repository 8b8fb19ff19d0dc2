/**
 * Posts (Mattermost `api4/post.go` + `app/post.go` rules): `POST /posts` with the `create_post`
 * resolution of `userCreatePostPermissionCheck` (`user_id` forced to the caller), `GET /posts/{id}` and
 * `GET /channels/{id}/posts` (PostList, newest first, with Mattermost's cursor ids). Writing a
 * post updates the channel's `last_post_at` / `total_msg_count` and the poster's membership in
 * the same atomic commit.
 *
 * @example
 * ```ts
 * const post = await createPost(server, principal, parsePostInput({ channel_id, message: 'hi' }));
 * const list = channelPosts(server, principal, channel_id, { page: 0, perPage: 60 });
 * list.order; // ids, newest first
 * ```
 */
import { decodeBody, goInt, goMap, goString, goStrings, goStruct } from '../schemas/json.js';
import { AppError, permissionError } from '../errors.js';
import { newId } from '../../middleware/util/ids.js';
import { hasPermission } from '../../middleware/permissions/permissions.js';
import { commitThenEmit } from './commit.js';
import type { ServiceContext, WebSocketEvent } from './context.js';
import type { ChannelRecord, FileInfoRecord, Mutation, PostRecord, Store } from '../db/schema.js';
import { channelMemberKey } from '../db/keys.js';
import { contentReadDenied, requireCreatePost, sessionHasPermissionToChannel, type Caller } from './channel-permissions.js';
import { findChannel } from './channels.js';
import { runes } from './input.js';
import { postedEvent } from '../websocket/post-notification.js';
import { notifyPostCreated } from './post-observers.js';
import { postMetadata, type PostMetadataJson } from './post-metadata.js';

/** What the post service needs from the server. */
export type PostDeps = Pick<ServiceContext, 'store' | 'hooks' | 'now' | 'publish'>;

/** Post JSON as Mattermost serialises `model.Post` (after `PreparePostForClient`). */
export interface PostJson extends Omit<PostRecord, 'file_ids' | 'has_reactions'> {
  /** Left out when the post has no files (undefined, which JSON.stringify drops). */
  file_ids?: string[];
  reply_count: number;
  last_reply_at: number;
  participants: null;
  /** Only when true (Mattermost's omitempty; otherwise undefined, which JSON.stringify drops). */
  has_reactions?: boolean;
  metadata: PostMetadataJson;
}

/** `model.PostList`. */
export interface PostListJson {
  order: string[];
  posts: Record<string, PostJson>;
  next_post_id: string;
  prev_post_id: string;
  has_next: boolean;
  first_inaccessible_post_time: number;
}

/** The fields of a `POST /posts` body the mock honours. */
export interface PostInput {
  channel_id: string;
  message: string;
  root_id: string;
  type: string;
  props: Record<string, unknown>;
  file_ids: string[];
  pending_post_id: string;
  create_at: number;
}

/** `GET /channels/{id}/posts` options. */
export interface ChannelPostsOptions {
  page: number;
  perPage: number;
  /** Posts changed after this time (ms), all of them, no cursors. */
  since?: number;
  /** Posts older than this post id. */
  before?: string;
  /** Posts newer than this post id. */
  after?: string;
  includeDeleted?: boolean;
}

/** Mattermost's `PostMessageMaxRunesV2`. */
export const POST_MESSAGE_MAX_RUNES = 16383;
/** Post types a client may create (besides `custom_*`). */
const CLIENT_POST_TYPES = new Set(['', 'me', 'slack_attachment', 'add_bot_teams_channels', 'reminder']);
const HASHTAG = /^#\p{L}[\p{L}\d\-_.]*[\p{L}\d]$/u;

/** Mattermost's `ParseHashtags` (simplified): the `#words` of a message, space separated. */
export function parseHashtags(message: string): string {
  // A tag starts with '#', and trimming a word never adds one: most messages have none.
  if (!message.includes('#')) return '';
  const tags: string[] = [];
  for (const word of message.split(/\s+/)) {
    const tag = word.replace(/^[^\p{L}\d\s#]+/u, '').replace(/[^\p{L}\d\s]+$/u, '');
    if (HASHTAG.test(tag) && !tags.includes(tag)) tags.push(tag);
  }
  return tags.join(' ').slice(0, 1000);
}

/** A new post row with Mattermost's defaults. */
export function newPostRecord(fields: Pick<PostRecord, 'user_id' | 'channel_id'> & Partial<PostRecord>, now: number): PostRecord {
  const message = fields.message ?? '';
  // One object, field by field, in the order stored records have always had (user_id and
  // channel_id last): no defaults object for `fields` to be spread over.
  const post: PostRecord = {
    id: fields.id ?? newId(), create_at: fields.create_at ?? now, update_at: fields.update_at ?? now, edit_at: fields.edit_at ?? 0,
    delete_at: fields.delete_at ?? 0, is_pinned: fields.is_pinned ?? false, root_id: fields.root_id ?? '',
    original_id: fields.original_id ?? '', message, type: fields.type ?? '', props: fields.props ?? {},
    hashtags: fields.hashtags ?? parseHashtags(message), file_ids: fields.file_ids ?? [], pending_post_id: fields.pending_post_id ?? '',
    user_id: fields.user_id, channel_id: fields.channel_id,
  };
  if (fields.has_reactions !== undefined) post.has_reactions = fields.has_reactions;
  return post;
}

/**
 * The mutations that store a post: the post, the channel's counters (`last_post_at`,
 * `total_msg_count`, root counters), and the poster's membership (read up to the new post).
 */
export function postMutations(store: Store, channel: ChannelRecord, post: PostRecord): Mutation[] {
  const root = post.root_id === '';
  const total = channel.total_msg_count + 1;
  const next: ChannelRecord = {
    ...channel,
    last_post_at: Math.max(channel.last_post_at, post.create_at),
    total_msg_count: total,
    last_root_post_at: root ? Math.max(channel.last_root_post_at ?? channel.last_post_at, post.create_at) : channel.last_root_post_at ?? channel.last_post_at,
    total_msg_count_root: (channel.total_msg_count_root ?? channel.total_msg_count) + (root ? 1 : 0),
  };
  const mutations: Mutation[] = [
    { op: 'put', collection: 'posts', record: post },
    { op: 'put', collection: 'channels', record: next },
  ];
  const member = store.get('channelMembers', channelMemberKey(channel.id, post.user_id));
  if (member !== undefined) {
    mutations.push({ op: 'put', collection: 'channelMembers', record: { ...member, msg_count: total, last_viewed_at: Math.max(member.last_viewed_at, post.create_at), last_update_at: post.create_at } });
  }
  return mutations;
}

/** Reply count and last reply time of a thread. */
export interface ThreadStats {
  count: number;
  lastAt: number;
}

/** Thread stats of every root in a list of posts (one pass). */
export function threadStatsOf(posts: Iterable<PostRecord>): Map<string, ThreadStats> {
  const stats = new Map<string, ThreadStats>();
  for (const p of posts) {
    if (p.root_id === '' || p.delete_at !== 0) continue;
    const s = stats.get(p.root_id) ?? { count: 0, lastAt: 0 };
    stats.set(p.root_id, { count: s.count + 1, lastAt: Math.max(s.lastAt, p.create_at) });
  }
  return stats;
}

/**
 * Serialise a post row. `reply_count` / `last_reply_at` come from `stats` (see
 * {@link threadStatsOf}) or, without it, from one pass over the post's channel.
 */
export function postJson(store: Store, post: PostRecord, stats?: ReadonlyMap<string, ThreadStats>): PostJson {
  const rootId = post.root_id === '' ? post.id : post.root_id;
  const thread = (stats ?? threadStatsOf(store.findMany('posts', 'channel_id', post.channel_id))).get(rootId) ?? { count: 0, lastAt: 0 };
  return {
    id: post.id, create_at: post.create_at, update_at: post.update_at, edit_at: post.edit_at, delete_at: post.delete_at,
    is_pinned: post.is_pinned, user_id: post.user_id, channel_id: post.channel_id, root_id: post.root_id,
    original_id: post.original_id, message: post.message, type: post.type, props: post.props, hashtags: post.hashtags,
    // Mattermost's omitempty: undefined, which JSON.stringify leaves out, as Go leaves out an empty field.
    file_ids: post.file_ids.length > 0 ? post.file_ids : undefined,
    pending_post_id: post.pending_post_id, reply_count: thread.count, last_reply_at: thread.lastAt, participants: null,
    has_reactions: post.has_reactions === true ? true : undefined, metadata: postMetadata(store, post),
  };
}

/**
 * Decode a `POST /posts` body like Go's typed decode into `model.Post`: not a JSON object, or a
 * field of the wrong type → 400 `invalid_body_param` naming `post`.
 */
export function parsePostInput(body: unknown): PostInput {
  return decodeBody(POST_INPUT, body, 'post');
}

/** The `model.Post` fields `POST /posts` reads. */
const POST_INPUT = goStruct({
  channel_id: goString, message: goString, root_id: goString, type: goString, props: goMap, file_ids: goStrings,
  pending_post_id: goString, create_at: goInt,
});

function validatePost(input: PostInput): void {
  // Like Mattermost's Post.IsValid: an empty message is valid; only an over-long one is refused.
  // A message has at most as many runes as UTF-16 units: only a longer one needs counting.
  if (input.message.length > POST_MESSAGE_MAX_RUNES && runes(input.message) > POST_MESSAGE_MAX_RUNES) {
    throw new AppError('model.post.is_valid.msg.app_error', { detailed: `message is longer than ${POST_MESSAGE_MAX_RUNES} runes` });
  }
  if (!CLIENT_POST_TYPES.has(input.type) && !input.type.startsWith('custom_')) throw new AppError('model.post.is_valid.type.app_error');
}

/**
 * `POST /posts`: the `create_post` check first (403 naming `create_post`, unknown channel ids
 * included); `upload_file` for posts with files; an archived channel → 400; `system_*` types → 400;
 * thread checks on `root_id`; message validation (longer than 16383 runes → 400
 * `model.post.is_valid.msg.app_error`; an empty message is valid, as in Mattermost). `create_at` is honoured only with
 * `manage_system`. Once stored, the `posted` WebSocket event goes to the channel's members. Returns the stored post.
 */
export async function createPost(deps: PostDeps, caller: Caller, input: PostInput): Promise<PostRecord> {
  const { store } = deps;
  requireCreatePost(store, caller, input.channel_id);
  if (input.file_ids.length > 0 && !sessionHasPermissionToChannel(store, caller, input.channel_id, 'upload_file')) {
    throw permissionError(caller.userId, 'upload_file');
  }
  const channel = findChannel(store, input.channel_id);
  if (channel.delete_at !== 0) throw new AppError('api.post.create_post.can_not_post_to_deleted.error');
  if (input.type.startsWith('system_')) throw new AppError('api.context.invalid_param.app_error', { params: { Name: 'post.type' } });
  if (input.root_id !== '') {
    const root = store.get('posts', input.root_id);
    if (root === undefined || root.delete_at !== 0 || root.root_id !== '') throw new AppError('api.post.create_post.root_id.app_error');
    if (root.channel_id !== channel.id) throw new AppError('api.post.create_post.channel_root_id.app_error');
  }
  validatePost(input);
  const now = deps.now();
  const createAt = input.create_at > 0 && hasPermission(caller.roles, 'manage_system') ? input.create_at : now;
  const files = attachableFiles(store, caller.userId, channel.id, input.file_ids);
  const post = newPostRecord({
    user_id: caller.userId, channel_id: channel.id, root_id: input.root_id, message: input.message, type: input.type,
    props: input.props, file_ids: files.map((f) => f.id), pending_post_id: input.pending_post_id, create_at: createAt, update_at: createAt,
  }, now);
  const mutations = postMutations(store, channel, post);
  for (const f of files) mutations.push({ op: 'put', collection: 'fileInfos', record: { ...f, post_id: post.id, update_at: now } });
  await commitThenEmit(deps, mutations, {
    // Built from the committed state.
    // A bound module function, not a closure: the tsx the bench runs names each closure it makes.
    ws: postedEvents.bind(undefined, store, channel, post),
  });
  notifyPostCreated(store, post);
  return post;
}

/** The thread stats of a new root post, which has no replies yet: one empty map, shared. */
const NO_THREADS: ReadonlyMap<string, ThreadStats> = new Map();

/** The Post JSON text of a post just created: a new root has no replies, so its channel is not scanned for them. */
function newPostJsonText(store: Store, post: PostRecord): string {
  return JSON.stringify(postJson(store, post, post.root_id === '' ? NO_THREADS : undefined));
}

/** The `posted` event of a new post (built once it is committed); its Post JSON text is kept for the answer. */
function postedEvents(store: Store, channel: ChannelRecord, post: PostRecord): WebSocketEvent[] {
  const text = newPostJsonText(store, post);
  POSTED_JSON.set(post, text);
  return [postedEvent(store, channel, post, text)];
}

/** The Post JSON text each new post's `posted` event carried, by (frozen, stored) post record. */
const POSTED_JSON = new WeakMap<PostRecord, string>();

/**
 * The Post JSON text of a post {@link createPost} just stored: the text its `posted` event
 * carried, serialized once (Mattermost's `createPost` handler also writes the very post its event
 * was made from), or, for a post that had no event, built the same way.
 *
 * @example
 * ```ts
 * const post = await createPost(server, caller, input);
 * sendJsonText(ctx, createdPostJson(server.store, post), { status: 201, newline: true });
 * ```
 */
export function createdPostJson(store: Store, post: PostRecord): string {
  const text = POSTED_JSON.get(post);
  if (text === undefined) return newPostJsonText(store, post);
  // Taken once: the answer is its only reader, and a text kept for as long as its post lives
  // would double what every stored post holds in memory.
  POSTED_JSON.delete(post);
  return text;
}

/**
 * `attachFilesToPost`: the uploads named in `file_ids` that this user uploaded to this channel and
 * no post holds yet (at most 10, duplicates once); Mattermost drops the others from `file_ids`.
 */
export function attachableFiles(store: Store, userId: string, channelId: string, fileIds: readonly string[]): FileInfoRecord[] {
  const out: FileInfoRecord[] = [];
  // Most posts have no files: no set of their ids to build.
  if (fileIds.length === 0) return out;
  for (const id of new Set(fileIds)) {
    const info = store.get('fileInfos', id);
    if (info === undefined || info.delete_at !== 0 || info.post_id !== '' || info.creator_id !== userId || info.channel_id !== channelId) continue;
    out.push(info);
    if (out.length === MAX_FILES_PER_POST) break;
  }
  return out;
}

/** Mattermost's `PostFileidsMaxRunes` allows ten 26-char ids. */
const MAX_FILES_PER_POST = 10;

function postNotFound(postId: string): AppError {
  return new AppError('app.post.get.app_error', { detailed: `post_id=${postId}` });
}

/**
 * `GET /posts/{id}` (`GetPostIfAuthorized`): `include_deleted` needs `manage_system`; unknown or
 * deleted → 404 `app.post.get.app_error`; then read access to its channel (403 naming
 * `read_public_channel` or `read_channel_content`). Posting rights (`system_post_all`) do not grant it.
 */
export function getPost(deps: PostDeps, caller: Caller, postId: string, includeDeleted: boolean): PostRecord {
  const { store } = deps;
  if (includeDeleted && !hasPermission(caller.roles, 'manage_system')) throw permissionError(caller.userId, 'manage_system');
  const post = store.get('posts', postId);
  if (post === undefined || (!includeDeleted && post.delete_at !== 0)) throw postNotFound(postId);
  const channel = findChannel(store, post.channel_id);
  const denied = contentReadDenied(store, caller, channel);
  if (denied !== undefined) throw permissionError(caller.userId, denied);
  return post;
}

/**
 * Newest first (`PostList.SortByCreateAt`), given posts in insertion order. Posts created in the
 * same millisecond come out in reverse insertion order (a stable sort of the reversed list), so a
 * reply written right after its root still sorts above it.
 */
export function newestFirst(posts: readonly PostRecord[]): PostRecord[] {
  return [...posts].reverse().sort((a, b) => b.create_at - a.create_at);
}

/**
 * `GET /channels/{id}/posts`: `include_deleted` needs `manage_system` (403 naming
 * `read_deleted_posts`); unknown channel → 404; read access (403 naming `read_channel_content`).
 * Pages newest first; `since`, `before` and `after` as Mattermost; thread roots of listed replies
 * are added to `posts` (not to `order`); `next_post_id` / `prev_post_id` point at the posts just
 * newer / older than the page.
 */
export function channelPosts(deps: PostDeps, caller: Caller, channelId: string, options: ChannelPostsOptions): PostListJson {
  const { store } = deps;
  const includeDeleted = options.includeDeleted === true;
  if (includeDeleted && !hasPermission(caller.roles, 'manage_system')) throw permissionError(caller.userId, 'read_deleted_posts');
  const channel = findChannel(store, channelId);
  if (contentReadDenied(store, caller, channel) !== undefined) throw permissionError(caller.userId, 'read_channel_content');
  const { page, perPage, since, before, after } = options;
  const all = newestFirst(store.findMany('posts', 'channel_id', channel.id));
  const visible = includeDeleted ? all : all.filter((p) => p.delete_at === 0);
  let selected: PostRecord[];
  if (since !== undefined && since > 0) {
    selected = all.filter((p) => p.update_at > since);
  } else if (after !== undefined && after !== '') {
    const at = visible.findIndex((p) => p.id === after);
    const newer = at < 0 ? [] : visible.slice(0, at).reverse();
    selected = newer.slice(page * perPage, page * perPage + perPage).reverse();
  } else if (before !== undefined && before !== '') {
    const at = visible.findIndex((p) => p.id === before);
    const older = at < 0 ? [] : visible.slice(at + 1);
    selected = older.slice(page * perPage, page * perPage + perPage);
  } else {
    selected = visible.slice(page * perPage, page * perPage + perPage);
  }
  const stats = threadStatsOf(all);
  const posts: Record<string, PostJson> = {};
  for (const p of selected) posts[p.id] = postJson(store, p, stats);
  for (const p of selected) {
    if (p.root_id !== '' && posts[p.root_id] === undefined) {
      const root = store.get('posts', p.root_id);
      if (root !== undefined && (includeDeleted || root.delete_at === 0)) posts[root.id] = postJson(store, root, stats);
    }
  }
  const order = selected.map((p) => p.id);
  const neighbour = (id: string | undefined, step: -1 | 1): string => {
    if (id === undefined) return '';
    const at = visible.findIndex((p) => p.id === id);
    return at < 0 ? '' : visible[at + step]?.id ?? '';
  };
  let nextPostId = '';
  let prevPostId = '';
  if (!(since !== undefined && since > 0)) {
    const afterMode = after !== undefined && after !== '';
    const beforeMode = !afterMode && before !== undefined && before !== '';
    nextPostId = beforeMode && page === 0 ? before : afterMode && order.length === 0 ? '' : neighbour(order[0], -1);
    prevPostId = afterMode && page === 0 ? after : beforeMode && order.length === 0 ? '' : neighbour(order[order.length - 1], 1);
  }
  return { order, posts, next_post_id: nextPostId, prev_post_id: prevPostId, has_next: false, first_inaccessible_post_time: 0 };
}
