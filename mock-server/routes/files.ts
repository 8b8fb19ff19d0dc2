/**
 * File routes (Mattermost `api4/file.go`): `POST /files` (multipart, streamed with busboy: file
 * parts, `channel_id` as a field or query parameter, optional `client_ids`; or a raw body with
 * `channel_id` and `filename` in the query; 201 `{file_infos, client_ids}`), `GET /files/{id}` (the bytes with `Content-Type` and
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
import { AppError, invalidBodyParam, invalidUrlParam } from '../errors.js';
import { isValidId } from '../../middleware/util/ids.js';
import { getPrincipal } from '../../middleware/auth/principal.js';
import { BODY_DEFAULTS, lingeringClose, timedOut } from '../body.js';
import type { MockContext } from '../context.js';
import { sendJson } from '../respond.js';
import {
  fileSettings, fileTooLarge, getFileInfo, postFileInfos, readFileBytes, requireUploadPermission, uploadFiles, type UploadedFile,
} from '../services/files.js';
import { idParam, queryBool } from './params.js';

/** What a multipart upload carried. */
interface MultipartUpload {
  channelIds: string[];
  clientIds: string[];
  files: UploadedFile[];
}

/** Parts and fields a form may have; Mattermost reads at most 10 KB of a field value. */
const LIMITS = { files: 32, fields: 64, parts: 128, fieldSize: 10 * 1024 };

/** Drop the rest of a refused upload without buffering it (bounded, as `bodyReader` does), and close after the answer. */
function drain(ctx: Context): void {
  ctx.set('Connection', 'close');
  lingeringClose(ctx, BODY_DEFAULTS.lingerBytes, BODY_DEFAULTS.lingerMs);
}

/** Calls `onStall` when no chunk of the request body arrived for `BODY_DEFAULTS.timeoutMs`; returns the disarm function. */
function stallTimer(ctx: Context, onStall: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(onStall, BODY_DEFAULTS.timeoutMs);
  };
  ctx.req.on('data', arm);
  arm();
  return () => {
    clearTimeout(timer);
    ctx.req.off('data', arm);
  };
}

/**
 * Stream a multipart body with busboy, like `uploadFileMultipart`: fields `channel_id` and
 * `client_ids`; any other field → 400 naming it; every part with a file name is a file. The whole
 * body is bounded by `maxBytes`, so memory stays bounded whatever the client sends: beyond it,
 * 413 and the rest of the body is drained, not buffered.
 */
function readMultipart(ctx: Context, maxBytes: number): Promise<MultipartUpload> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: ctx.req.headers, limits: { ...LIMITS, fileSize: maxBytes } });
    } catch {
      reject(new AppError('api.file.upload_file.read_request.app_error'));
      return;
    }
    const upload: MultipartUpload = { channelIds: [], clientIds: [], files: [] };
    let total = 0;
    let failed = false;
    const fail = (err: AppError) => {
      if (failed) return;
      failed = true;
      disarm();
      ctx.req.unpipe(parser);
      drain(ctx);
      reject(err);
    };
    const disarm = stallTimer(ctx, () => fail(timedOut(BODY_DEFAULTS.timeoutMs)));
    parser.on('field', (name, value) => {
      if (name === 'channel_id') upload.channelIds.push(value);
      else if (name === 'client_ids') upload.clientIds.push(value);
      else fail(invalidBodyParam(name));
    });
    parser.on('file', (_name, stream, info) => {
      const filename = info.filename ?? '';
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > maxBytes) fail(fileTooLarge(filename, total, maxBytes));
        else if (!failed) chunks.push(chunk);
      });
      stream.on('limit', () => fail(fileTooLarge(filename, total, maxBytes)));
      stream.on('end', () => {
        if (!failed) upload.files.push({ name: filename, mimeType: info.mimeType ?? '', bytes: Buffer.concat(chunks) });
      });
    });
    parser.on('error', () => fail(new AppError('api.file.upload_file.read_request.app_error')));
    parser.on('close', () => {
      disarm();
      if (!failed) resolve(upload);
    });
    ctx.req.pipe(parser);
  });
}

/** Read a raw (non-multipart) upload body, bounded by `maxBytes` (413 beyond, the rest drained). */
function readRaw(ctx: Context, filename: string, maxBytes: number): Promise<Buffer> {
  const { req } = ctx;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err: AppError | undefined): void => {
      disarm();
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (err === undefined) resolve(Buffer.concat(chunks));
      else reject(err);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        done(fileTooLarge(filename, size, maxBytes));
        drain(ctx);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => done(undefined);
    const onError = (): void => done(new AppError('api.file.upload_file.read_request.app_error'));
    const disarm = stallTimer(ctx, () => {
      req.pause();
      done(timedOut(BODY_DEFAULTS.timeoutMs));
    });
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
  });
}

/** `RequireChannelId` on a channel id from the query or the form: 400 `invalid_url_param` naming `channel_id`. */
function requireChannelId(channelId: string): string {
  if (!isValidId(channelId)) throw invalidUrlParam('channel_id');
  return channelId;
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
    if (!enabled) {
      drain(ctx);
      throw new AppError('api.file.attachments.disabled.app_error');
    }
    const length = ctx.get('Content-Length');
    if (length === '0') throw new AppError('api.file.upload_file.read_request.app_error', { detailed: 'Content-Length should not be 0' });
    if (Number.isFinite(Number(length)) && Number(length) > maxFileSize) {
      drain(ctx);
      throw fileTooLarge(typeof ctx.query.filename === 'string' ? ctx.query.filename : '', Number(length), maxFileSize);
    }
    const queryChannel = typeof ctx.query.channel_id === 'string' ? ctx.query.channel_id : '';
    if (!ctx.is('multipart/form-data')) {
      // `uploadFileSimple`: the body is the file; channel_id, filename and client_id in the query.
      const channelId = requireChannelId(queryChannel);
      const filename = typeof ctx.query.filename === 'string' ? ctx.query.filename : '';
      if (filename === '') throw invalidUrlParam('filename');
      requireUploadPermission(server.store, caller, channelId);
      const bytes = await readRaw(ctx, filename, maxFileSize);
      const clientId = typeof ctx.query.client_id === 'string' ? ctx.query.client_id : '';
      const infos = await uploadFiles(server, caller, channelId, [{ name: filename, mimeType: ctx.get('Content-Type'), bytes }]);
      sendJson(ctx, { file_infos: infos, client_ids: clientId === '' ? [] : [clientId] }, { status: 201, newline: true });
      return;
    }
    if (queryChannel !== '') requireUploadPermission(server.store, caller, requireChannelId(queryChannel));
    const upload = await readMultipart(ctx, maxFileSize);
    const formChannel = upload.channelIds.find((id) => id !== '') ?? '';
    if (queryChannel !== '' && upload.channelIds.some((id) => id !== queryChannel)) throw new AppError('api.file.upload_file.multiple_channel_ids.app_error');
    const channelId = queryChannel !== '' ? queryChannel : formChannel;
    if (channelId === '') throw invalidBodyParam('channel_id');
    requireChannelId(channelId);
    const { clientIds, files } = upload;
    if (clientIds.length > 0 && clientIds.length !== files.length) {
      throw new AppError('api.file.upload_file.incorrect_number_of_client_ids.app_error', { params: { NumClientIds: clientIds.length, NumFiles: files.length } });
    }
    const infos = await uploadFiles(server, caller, channelId, files);
    sendJson(ctx, { file_infos: infos, client_ids: clientIds }, { status: 201, newline: true });
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
