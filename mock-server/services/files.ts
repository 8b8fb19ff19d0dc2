/**
 * Files (Mattermost `api4/file.go` + `app/file.go`): uploads (`POST /files`) stored as
 * `fileInfos` rows plus their bytes in {@link blobsFor} (beside the database or in memory), the
 * size limit of `FileSettings.MaxFileSize` (default 100 MB), reading a file and its info, and the
 * infos of a post. A post created with `file_ids` attaches the caller's unattached uploads of
 * that channel (`services/posts.ts`).
 *
 * @example
 * ```ts
 * const infos = await uploadFiles(server, caller, channelId, [{ name: 'a.txt', mimeType: 'text/plain', bytes }]);
 * const { info, bytes } = await readFile(server, caller, infos[0].id);
 * ```
 */
import { AppError, permissionError } from '../errors.js';
import { newId } from '../../middleware/util/ids.js';
import type { FileInfoRecord, Mutation, Store } from '../db/schema.js';
import { sessionHasPermissionToChannel, sessionHasPermissionToChannelByPost, type Caller } from './channel-permissions.js';
import type { ServiceContext } from './context.js';
import { blobsFor } from './file-blobs.js';

import { fileInfoJson, fileInfosOf, type FileInfoJson } from './post-metadata.js';

/** Mattermost's default `FileSettings.MaxFileSize`: 100 MB. */
export const DEFAULT_MAX_FILE_SIZE = 100 * 1024 * 1024;

/** `FileSettings.MaxFileSize` (bytes) and `EnableFileAttachments` from the config, with Mattermost's defaults. */
export function fileSettings(store: Store): { maxFileSize: number; enabled: boolean } {
  const section = store.config.FileSettings ?? {};
  const max = section.MaxFileSize;
  return {
    maxFileSize: typeof max === 'number' && Number.isSafeInteger(max) && max > 0 ? max : DEFAULT_MAX_FILE_SIZE,
    enabled: section.EnableFileAttachments !== false,
  };
}

/** 413 `api.file.upload_file.too_large_detailed.app_error` for an upload beyond `limit` bytes. */
export function fileTooLarge(filename: string, length: number, limit: number): AppError {
  return new AppError('api.file.upload_file.too_large_detailed.app_error', { params: { Filename: filename, Length: length, Limit: limit } });
}

/** One uploaded part. */
export interface UploadedFile {
  name: string;
  mimeType: string;
  bytes: Buffer;
}

const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', svg: 'image/svg+xml',
  txt: 'text/plain', md: 'text/markdown', csv: 'text/csv', json: 'application/json', pdf: 'application/pdf',
  zip: 'application/zip', html: 'text/html', mp4: 'video/mp4', mp3: 'audio/mpeg',
};

/** `model.GetInfoForBytes`'s name, extension and MIME type: by extension first (as `mime.TypeByExtension`), else the part's. */
function describe(name: string, partType: string): { name: string; extension: string; mime: string } {
  const base = name.replace(/^.*[\\/]/, '').slice(0, 256) || 'file';
  const dot = base.lastIndexOf('.');
  const extension = dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
  return { name: base, extension, mime: MIME_BY_EXTENSION[extension] ?? (partType !== '' ? partType : 'application/octet-stream') };
}

/**
 * The permission part of `POST /files` (`SessionHasPermissionToChannelContent`): `upload_file` on
 * the channel (403, also for an unknown channel). The route checks the channel id first.
 */
export function requireUploadPermission(store: Store, caller: Caller, channelId: string): void {
  if (!sessionHasPermissionToChannel(store, caller, channelId, 'upload_file')) throw permissionError(caller.userId, 'upload_file');
}

/** Store the uploads of `POST /files`: bytes first, then the infos in one commit. Returns their JSON in upload order. */
export async function uploadFiles(deps: ServiceContext, caller: Caller, channelId: string, files: readonly UploadedFile[]): Promise<FileInfoJson[]> {
  const { store } = deps;
  requireUploadPermission(store, caller, channelId);
  const now = deps.now();
  const blobs = blobsFor(store);
  const records: FileInfoRecord[] = [];
  for (const file of files) {
    const { name, extension, mime } = describe(file.name, file.mimeType);
    const record: FileInfoRecord = {
      id: newId(), creator_id: caller.userId, post_id: '', channel_id: channelId, create_at: now, update_at: now, delete_at: 0,
      name, extension, size: file.bytes.length, mime_type: mime,
    };
    await blobs.put(record.id, file.bytes);
    records.push(record);
  }
  const mutations: Mutation[] = records.map((record) => ({ op: 'put', collection: 'fileInfos', record }));
  await store.commit(mutations);
  return records.map(fileInfoJson);
}

/**
 * A file info the caller may read: unknown or deleted → 404 `app.file_info.get.app_error`; the
 * uploader may always read it; anyone else needs `read_channel` on the channel of the post it is
 * attached to (403; `SessionHasPermissionToChannelByPost`, so never before it is attached).
 */
export function getFileInfo(deps: ServiceContext, caller: Caller, fileId: string): FileInfoJson {
  return fileInfoJson(readableFile(deps.store, caller, fileId));
}

function readableFile(store: Store, caller: Caller, fileId: string): FileInfoRecord {
  const info = store.get('fileInfos', fileId);
  if (info === undefined || info.delete_at !== 0) throw new AppError('app.file_info.get.app_error', { detailed: `file_id=${fileId}` });
  if (info.creator_id !== caller.userId && !sessionHasPermissionToChannelByPost(store, caller, info.post_id, 'read_channel')) {
    throw permissionError(caller.userId, 'read_channel');
  }
  return info;
}

/** `GET /files/{id}`: the same checks as {@link getFileInfo}, then the bytes (404 when they are gone). */
export async function readFileBytes(deps: ServiceContext, caller: Caller, fileId: string): Promise<{ info: FileInfoJson; bytes: Buffer }> {
  const info = readableFile(deps.store, caller, fileId);
  const bytes = await blobsFor(deps.store).get(info.id);
  if (bytes === undefined) throw new AppError('app.file_info.get.app_error', { detailed: `file_id=${fileId} (no bytes)` });
  return { info: fileInfoJson(info), bytes };
}

/** `GET /posts/{id}/files/info`: `read_channel_content` on the post's channel (403, also for an unknown post); deleted post → 404. */
export function postFileInfos(deps: ServiceContext, caller: Caller, postId: string): FileInfoJson[] {
  const { store } = deps;
  if (!sessionHasPermissionToChannelByPost(store, caller, postId, 'read_channel_content')) throw permissionError(caller.userId, 'read_channel_content');
  const post = store.get('posts', postId);
  if (post === undefined || post.delete_at !== 0) throw new AppError('app.post.get.app_error', { detailed: `post_id=${postId}` });
  return fileInfosOf(store, postId).map(fileInfoJson);
}
