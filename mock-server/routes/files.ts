/**
 * File routes (Mattermost `api4/file.go`): `POST /files` (multipart, streamed with busboy: `files`
 * parts, `channel_id` as a field or query parameter, optional `client_ids`; 201
 * `{file_infos, client_ids}`), `GET /files/{id}` (the bytes with `Content-Type` and
 * `Content-Disposition`), `GET /files/{id}/info` and `GET /posts/{id}/files/info`. Rules are in
 * `services/files.ts`.
 *
 * @example
 * ```ts
 * fileRoutes(router, server);
 * // POST /api/v4/files (multipart: channel_id, files=@a.txt) → 201 {"file_infos":[…],"client_ids":[]}
 * ```
 */
import type Router from '@koa/router';
import busboy from 'busboy';
import type { Context } from 'koa';
import { AppError, invalidBodyParam } from '../errors.js';
import { isValidId } from '../../middleware/util/ids.js';
import { getPrincipal } from '../../middleware/auth/principal.js';
import type { MockContext } from '../context.js';
import { sendJson } from '../respond.js';
import {
  fileSettings, fileTooLarge, getFileInfo, postFileInfos, readFileBytes, requireUploadPermission, uploadFiles, type UploadedFile,
} from '../services/files.js';
import { idParam, queryBool } from './params.js';

/** What a multipart upload carried. */
interface MultipartUpload {
  fields: Record<string, string[]>;
  files: UploadedFile[];
}

/** Parts and fields a form may have (Mattermost reads at most as many files as it allows per post, with room to spare). */
const LIMITS = { files: 32, fields: 64, parts: 128, fieldSize: 64 * 1024 };

/**
 * Stream a multipart body with busboy. The whole body is bounded by `maxBytes` (Mattermost
 * refuses a request whose length exceeds `MaxFileSize`), so memory stays bounded whatever the
 * client sends: beyond it, 413 and the rest of the body is drained, not buffered.
 */
function readMultipart(ctx: Context, maxBytes: number): Promise<MultipartUpload> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: ctx.req.headers, limits: { ...LIMITS, fileSize: maxBytes } });
    } catch {
      reject(new AppError('api.file.upload_file.multipart.app_error'));
      return;
    }
    const fields: Record<string, string[]> = {};
    const files: UploadedFile[] = [];
    let total = 0;
    let failed = false;
    const fail = (err: AppError) => {
      if (failed) return;
      failed = true;
      ctx.req.unpipe(parser);
      ctx.req.resume();
      ctx.set('Connection', 'close');
      reject(err);
    };
    parser.on('field', (name, value) => { (fields[name] ??= []).push(value); });
    parser.on('file', (name, stream, info) => {
      if (name !== 'files') {
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > maxBytes) fail(fileTooLarge(info.filename ?? '', total, maxBytes));
        else if (!failed) chunks.push(chunk);
      });
      stream.on('limit', () => fail(fileTooLarge(info.filename ?? '', total, maxBytes)));
      stream.on('end', () => {
        if (!failed) files.push({ name: info.filename ?? '', mimeType: info.mimeType ?? '', bytes: Buffer.concat(chunks) });
      });
    });
    parser.on('error', () => fail(new AppError('api.file.upload_file.multipart.app_error')));
    parser.on('close', () => { if (!failed) resolve({ fields, files }); });
    ctx.req.pipe(parser);
  });
}

/** `Content-Disposition` as Mattermost's `WriteFileResponse`: inline for media, attachment otherwise or with `?download=1`. */
function disposition(name: string, mime: string, download: boolean): string {
  const inline = !download && /^(image|video|audio)\//.test(mime) && mime !== 'image/svg+xml';
  const plain = name.replace(/["\\\r\n]/g, '_');
  return `${inline ? 'inline' : 'attachment'};filename="${plain}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** Register the file routes. */
export function fileRoutes(router: Router, server: MockContext): void {
  const auth = server.requireSession;

  router.post('/files', auth, async (ctx) => {
    const caller = getPrincipal(ctx);
    const { maxFileSize, enabled } = fileSettings(server.store);
    if (!enabled) throw new AppError('api.file.attachments.disabled.app_error');
    const declared = Number(ctx.get('Content-Length') || '0');
    if (Number.isFinite(declared) && declared > maxFileSize) {
      ctx.req.resume();
      ctx.set('Connection', 'close');
      throw fileTooLarge('', declared, maxFileSize);
    }
    if (!ctx.is('multipart/form-data')) throw new AppError('api.file.upload_file.multipart.app_error');
    const queryChannel = typeof ctx.query.channel_id === 'string' ? ctx.query.channel_id : '';
    // Check the query's channel before reading the body, as Mattermost does for it.
    if (queryChannel !== '') {
      if (!isValidId(queryChannel)) throw invalidBodyParam('channel_id');
      requireUploadPermission(server.store, caller, queryChannel);
    }
    const upload = await readMultipart(ctx, maxFileSize);
    const channelId = queryChannel !== '' ? queryChannel : upload.fields.channel_id?.[0] ?? '';
    if (!isValidId(channelId)) throw invalidBodyParam('channel_id');
    if (upload.files.length === 0) throw invalidBodyParam('files');
    const clientIds = upload.fields.client_ids ?? [];
    if (clientIds.length > 0 && clientIds.length !== upload.files.length) {
      throw new AppError('api.file.upload_file.incorrect_number_of_client_ids.app_error', { params: { NumClientIds: clientIds.length, NumFiles: upload.files.length } });
    }
    const infos = await uploadFiles(server, caller, channelId, upload.files);
    sendJson(ctx, { file_infos: infos, client_ids: clientIds }, { status: 201 });
  });

  router.get('/files/:file_id', auth, async (ctx) => {
    const { info, bytes } = await readFileBytes(server, getPrincipal(ctx), idParam(ctx, 'file_id'));
    ctx.status = 200;
    ctx.set('Content-Type', info.mime_type);
    ctx.set('Content-Disposition', disposition(info.name, info.mime_type, queryBool(ctx, 'download')));
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Last-Modified', new Date(info.update_at).toUTCString());
    ctx.body = bytes;
  });

  router.get('/files/:file_id/info', auth, (ctx) => {
    sendJson(ctx, getFileInfo(server, getPrincipal(ctx), idParam(ctx, 'file_id')));
  });

  router.get('/posts/:post_id/files/info', auth, (ctx) => {
    sendJson(ctx, postFileInfos(server, getPrincipal(ctx), idParam(ctx, 'post_id')));
  });
}
