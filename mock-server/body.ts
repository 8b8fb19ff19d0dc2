/**
 * Request bodies for the mock server: `bodyReader()` reads the raw body once, bounded (413
 * `api.context.request_body_too_large.app_error` beyond the limit), and keeps it as a string; route
 * handlers then decode it the way the Mattermost handler they emulate does:
 * `jsonObject()` (typed decode: not a JSON object → 400 invalid_body_param), `stringMap()`
 * (Mattermost's `MapFromJSON`: invalid JSON or non-object → `{}`, non-string values dropped),
 * `jsonBody()` (any JSON value, for services that decode it themselves). The body is parsed once,
 * by `bodyReader()`; the decoders reuse that parse.
 *
 * A body that stops arriving for `timeoutMs` answers 408 (`invalid_body_param`, `Connection:
 * close`): a slow client cannot hold a connection for minutes. An oversized body answers 413 with
 * `Connection: close` and then, as nginx's lingering close does, the rest of the upload is read
 * and discarded (up to `lingerBytes` and `lingerMs`) before the socket closes: closing a socket
 * with unread data sends a TCP reset, and the client would see `EPIPE` or "fetch failed" instead
 * of the 413.
 *
 * @example
 * ```ts
 * app.use(bodyReader({ limit: 1024 * 1024 }));
 * router.post('/users/tokens/revoke', (ctx) => {
 *   const { token_id = '' } = stringMap(ctx);
 * });
 * router.post('/users/:user_id/tokens', (ctx) => {
 *   const body = jsonObject(ctx, 'user_access_token'); // 400 Name=user_access_token when not an object
 * });
 * ```
 */
import type { IncomingMessage } from 'node:http';
import type { Context, Middleware } from 'koa';
import { AppError, invalidBodyParam } from './errors.js';
import * as v from 'valibot';
import { anyObject, decodeBody, isPlainObject as isObject } from './schemas/json.js';

export interface BodyReaderOptions {
  /** Maximum body size in bytes. Default 1 MiB. */
  limit?: number;
  /** Longest wait for the next chunk of a body, in ms (then 408). Default 30 000. */
  timeoutMs?: number;
  /** After a 413: at most this many more bytes are read and discarded before closing. Default 64 MiB. */
  lingerBytes?: number;
  /** After a 413: the socket is closed at the latest this many ms after the answer. Default 10 000. */
  lingerMs?: number;
}

/** Defaults of {@link BodyReaderOptions}. */
export const BODY_DEFAULTS = { limit: 1024 * 1024, timeoutMs: 30_000, lingerBytes: 64 * 1024 * 1024, lingerMs: 10_000 } as const;

declare module 'koa' {
  interface DefaultState {
    /** The raw request body ('' when none), set by `bodyReader()`. */
    rawBody?: string;
    /** The raw body parsed as JSON (undefined when empty or not JSON), set by `bodyReader()`. */
    parsedBody?: unknown;
  }
}

/**
 * Read the request body (bounded) into `ctx.state.rawBody`; also sets `ctx.request.body` to the parsed JSON when it parses.
 *
 * @example
 * ```ts
 * app.use(bodyReader({ limit: 1024 * 1024 })); // 413 beyond the limit
 * ```
 */
export function bodyReader(options: BodyReaderOptions = {}): Middleware {
  const settings = { ...BODY_DEFAULTS, ...options };
  // Not async: a GET (most requests) passes straight on, without a promise of its own.
  return function readBody(ctx, next) {
    ctx.state.rawBody = '';
    ctx.state.parsedBody = undefined;
    if (ctx.method === 'GET' || ctx.method === 'HEAD' || ctx.method === 'OPTIONS') return next();
    // File uploads are streamed by their route (routes/files.ts), bounded by FileSettings.MaxFileSize.
    if (ctx.method === 'POST' && /^\/api\/v4\/files\/?$/.test(ctx.path)) return next();
    return readLimited(ctx, settings).then((raw) => {
      // Go's decoder refuses JSON nested deeper than 10000; deep nesting would also overflow the
      // stack of every recursive step after parsing (clone, merge, serialize) and answer 500.
      if (tooDeep(raw, MAX_DEPTH)) throw invalidBodyParam('body');
      ctx.state.rawBody = raw;
      const parsed = tryParse(raw);
      ctx.state.parsedBody = parsed;
      if (parsed !== undefined) (ctx.request as { body?: unknown }).body = parsed;
      return next();
    });
  };
}

/** Deepest JSON nesting a body may have. */
const MAX_DEPTH = 512;

/** Whether `raw` opens more than `max` nested arrays/objects (brackets inside strings ignored). One pass, no parse. */
function tooDeep(raw: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped char
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

function tooLarge(): AppError {
  return new AppError('api.context.request_body_too_large.app_error', { headers: { Connection: 'close' } });
}

/**
 * Go's `ReadTimeout` fails the handler's body decode; the mock answers it as 408 and closes.
 * Exported for routes that stream their own body (file uploads).
 *
 * @example
 * ```ts
 * throw timedOut(BODY_DEFAULTS.timeoutMs);
 * ```
 */
export function timedOut(timeoutMs: number): AppError {
  return new AppError('api.context.invalid_body_param.app_error', {
    status: 408, params: { Name: 'body' }, detailed: `no request body data for ${timeoutMs} ms`, headers: { Connection: 'close' },
  });
}

/**
 * After a 413: keep reading (and dropping) what the client still sends, so the answer reaches it
 * before the socket closes. Node's server ends a `Connection: close` response with
 * `socket.destroySoon()`, which would close with unread data (a TCP reset); here that becomes a
 * half-close (FIN after the answer) and the socket is destroyed once the client is done, or after
 * `lingerBytes` / `lingerMs`, whichever comes first. Exported for routes that stream their own
 * body (file uploads refused mid-stream).
 *
 * @example
 * ```ts
 * lingeringClose(ctx, BODY_DEFAULTS.lingerBytes, BODY_DEFAULTS.lingerMs);
 * ```
 */
export function lingeringClose(ctx: Context, lingerBytes: number, lingerMs: number): void {
  const { req } = ctx;
  const socket = req.socket;
  let discarded = 0;
  const timer = setTimeout(() => socket.destroy(), lingerMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  const closeWhenFlushed = socket.destroySoon.bind(socket);
  socket.destroySoon = function halfClose() {
    if (req.complete) {
      closeWhenFlushed();
      return;
    }
    socket.end();
    req.once('end', closeWhenFlushed);
  };
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > lingerBytes) socket.destroy();
  });
  req.resume();
}

interface ReadSettings { limit: number; timeoutMs: number; lingerBytes: number; lingerMs: number }

/**
 * One body being read. The listeners and the timer are module functions that find this through
 * the request (`this` of an emitter's listener), so a read makes no closures of its own.
 */
interface BodyRead {
  readonly ctx: Context;
  readonly settings: ReadSettings;
  readonly chunks: Buffer[];
  size: number;
  /** The declared `Content-Length` (-1 when none): once that many bytes came, the body is whole. */
  readonly expected: number;
  timer: NodeJS.Timeout | undefined;
  resolve(value: string): void;
  reject(err: AppError): void;
}

const READS = new WeakMap<IncomingMessage, BodyRead>();

function finish(req: IncomingMessage, read: BodyRead, err: AppError | undefined, value = ''): void {
  clearTimeout(read.timer);
  READS.delete(req);
  req.off('data', onBodyData);
  req.off('end', onBodyEnd);
  req.off('error', onBodyError);
  req.off('aborted', onBodyError);
  if (err === undefined) read.resolve(value);
  else read.reject(err);
}

function onBodyData(this: IncomingMessage, chunk: Buffer | string): void {
  const read = READS.get(this);
  if (read === undefined) return;
  const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  read.size += buf.length;
  const { limit, lingerBytes, lingerMs } = read.settings;
  if (read.size > limit) {
    finish(this, read, tooLarge());
    lingeringClose(read.ctx, lingerBytes, lingerMs);
    return;
  }
  read.chunks.push(buf);
  // The declared length came: the parser ends the message right after this chunk, with nothing
  // more. Done now, without waiting for the stream's 'end' (a tick later).
  if (read.size === read.expected) {
    onBodyEnd.call(this);
    return;
  }
  restartGapTimer(this, read);
}

/** The gap is counted from now: the read's one timer, started or restarted. */
function restartGapTimer(req: IncomingMessage, read: BodyRead): void {
  if (read.timer === undefined) read.timer = setTimeout(onBodyTimeout, read.settings.timeoutMs, req);
  else read.timer.refresh();
}

function onBodyEnd(this: IncomingMessage): void {
  const read = READS.get(this);
  if (read === undefined) return;
  const { chunks } = read;
  // Most bodies arrive in one chunk: decoded as it is, not copied into a new buffer first.
  finish(this, read, undefined, chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8'));
}

/** The client went away mid-body (`aborted`) or the stream failed: nobody reads the answer; 400 ends the request cleanly. */
function onBodyError(this: IncomingMessage): void {
  const read = READS.get(this);
  if (read !== undefined) finish(this, read, invalidBodyParam('body'));
}

function onBodyTimeout(req: IncomingMessage): void {
  const read = READS.get(req);
  if (read === undefined) return;
  req.pause();
  finish(req, read, timedOut(read.settings.timeoutMs));
}

function readLimited(ctx: Context, settings: ReadSettings): Promise<string> {
  const { limit, lingerBytes, lingerMs } = settings;
  const { req } = ctx;
  const declared = Number(req.headers['content-length'] || '0');
  if (Number.isFinite(declared) && declared > limit) {
    lingeringClose(ctx, lingerBytes, lingerMs);
    return Promise.reject(tooLarge());
  }
  // Node's parser frames a body by Content-Length unless Transfer-Encoding is sent.
  const expected = req.headers['transfer-encoding'] === undefined && Number.isSafeInteger(declared) && declared > 0 ? declared : -1;
  return new Promise<string>((resolve, reject) => {
    const read: BodyRead = { ctx, settings, chunks: [], size: 0, expected, timer: undefined, resolve, reject };
    READS.set(req, read);
    // `on`, not `once`: finish() takes all four off at the first that ends the read, and a
    // `once` would wrap each listener in a new function for nothing.
    req.on('data', onBodyData);
    req.on('end', onBodyEnd);
    req.on('error', onBodyError);
    req.on('aborted', onBodyError);
    // Already read to the end by someone else: nothing more will come.
    if (req.readableEnded) {
      onBodyEnd.call(req);
      return;
    }
    // Armed a tick later: Node's parser pushes a body that came with the headers before that
    // tick runs, and such a read (most) is done by then, with no timer to set and clear.
    process.nextTick(armBodyTimer, req);
  });
}

/** Start the gap timer of a read that has had no chunk yet (a chunk arms it itself). */
function armBodyTimer(req: IncomingMessage): void {
  const read = READS.get(req);
  if (read !== undefined && read.timer === undefined) restartGapTimer(req, read);
}

function tryParse(raw: string): unknown {
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The raw body string ('' when none or not read).
 *
 * @example
 * ```ts
 * const text = rawBody(ctx); // '' when the request had no body
 * ```
 */
export function rawBody(ctx: Context): string {
  return ctx.state.rawBody ?? '';
}

/**
 * The request body parsed as JSON (any value), or `undefined` when it is empty or not JSON.
 *
 * @example
 * ```ts
 * const input = parseTeamInput(jsonBody(ctx)); // the service decides what is acceptable
 * ```
 */
export function jsonBody(ctx: Context): unknown {
  return ctx.state.parsedBody;
}

/**
 * Typed decode of a JSON object body (Go `json.NewDecoder(r.Body).Decode(&struct)`): a missing
 * body, invalid JSON, an array or a scalar → 400 `invalid_body_param` naming `name`.
 *
 * @example
 * ```ts
 * const user = jsonObject(ctx, 'user'); // 400 'Invalid or missing user in request body.' unless an object
 * ```
 */
export function jsonObject(ctx: Context, name: string): Record<string, unknown> {
  return decodeBody(anyObject, jsonBody(ctx), name);
}

/**
 * Like {@link jsonObject} but `undefined` instead of throwing.
 *
 * @example
 * ```ts
 * const body = maybeJsonObject(ctx); // undefined for '[]', 'null', 'not json'
 * ```
 */
export function maybeJsonObject(ctx: Context): Record<string, unknown> | undefined {
  const parsed = jsonBody(ctx);
  return isObject(parsed) ? parsed : undefined;
}

/** A JSON object of strings (`map[string]string`). */
const StringMap = v.pipe(anyObject, v.record(v.string(), v.string()));

/**
 * Mattermost's `model.MapFromJSON`: a JSON object of strings. Invalid JSON, arrays or scalars
 * become `{}`; non-string values are dropped (Go would fail the whole decode and return `{}`,
 * so a body with any non-string value is `{}` too).
 *
 * @example
 * ```ts
 * const { token_id = '' } = stringMap(ctx); // '{"token_id":5}' and 'junk' both give {}
 * ```
 */
export function stringMap(ctx: Context): Record<string, string> {
  const result = v.safeParse(StringMap, jsonBody(ctx));
  return result.success ? result.output : {};
}
