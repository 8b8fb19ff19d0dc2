/**
 * What Mattermost's `PreparePostForClient` adds to a post: `metadata.reactions` and
 * `metadata.files` (left out when empty), and the JSON of the two records they hold
 * (`model.Reaction`, `model.FileInfo`). Kept apart from `posts.ts`, `reactions.ts` and `files.ts`
 * so all three can serialise without importing each other.
 *
 * @example
 * ```ts
 * postMetadata(store, post); // { reactions: [{ user_id, post_id, emoji_name, … }] } or {}
 * ```
 */
import type { FileInfoRecord, PostRecord, ReactionRecord, Store } from '../db/schema.js';

/** `model.Reaction` JSON. */
export interface ReactionJson {
  user_id: string;
  post_id: string;
  emoji_name: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  remote_id: string;
  channel_id: string;
}

/**
 * `model.FileInfo` JSON (no `path` fields: Mattermost clears them for clients): the record, with the
 * uploader as `user_id`, plus the fields the mock does not model (no previews, no remote clusters).
 */
export type FileInfoJson = Omit<FileInfoRecord, 'creator_id'> & {
  user_id: string;
  has_preview_image: boolean;
  mini_preview: null;
  remote_id: string;
  archived: boolean;
};

/** `model.PostMetadata` as the mock fills it. */
export interface PostMetadataJson {
  reactions?: ReactionJson[];
  files?: FileInfoJson[];
}

/** Serialise a reaction row. */
export function reactionJson(r: ReactionRecord): ReactionJson {
  return {
    user_id: r.user_id, post_id: r.post_id, emoji_name: r.emoji_name, create_at: r.create_at, update_at: r.update_at,
    delete_at: r.delete_at, remote_id: '', channel_id: r.channel_id,
  };
}

/** Serialise a file info row. */
export function fileInfoJson(f: FileInfoRecord): FileInfoJson {
  return {
    id: f.id, user_id: f.creator_id, post_id: f.post_id, channel_id: f.channel_id, create_at: f.create_at, update_at: f.update_at,
    delete_at: f.delete_at, name: f.name, extension: f.extension, size: f.size, mime_type: f.mime_type,
    has_preview_image: false, mini_preview: null, remote_id: '', archived: false,
  };
}

/** The live (not deleted) reactions of a post, oldest first. */
export function reactionsOf(store: Store, postId: string): ReactionRecord[] {
  return store.findMany('reactions', 'post_id', postId).filter((r) => r.delete_at === 0).sort((a, b) => a.create_at - b.create_at);
}

/** The live file infos attached to a post, oldest first. */
export function fileInfosOf(store: Store, postId: string): FileInfoRecord[] {
  return store.findMany('fileInfos', 'post_id', postId).filter((f) => f.delete_at === 0).sort((a, b) => a.create_at - b.create_at);
}

/** `metadata` of a post: its reactions and files, each key left out when empty (Mattermost's omitempty). */
export function postMetadata(store: Store, post: PostRecord): PostMetadataJson {
  const out: PostMetadataJson = {};
  const reactions = post.has_reactions === true ? reactionsOf(store, post.id) : [];
  if (reactions.length > 0) out.reactions = reactions.map(reactionJson);
  const files = post.file_ids.length > 0 ? fileInfosOf(store, post.id) : [];
  if (files.length > 0) out.files = files.map(fileInfoJson);
  return out;
}
