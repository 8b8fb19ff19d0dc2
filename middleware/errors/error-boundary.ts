/**
 * `errorBoundary()`: the one place errors become responses. An `AppError` is rendered as
 * Mattermost's body `{id, message, detailed_error, request_id, status_code}` with its status and
 * headers, `Content-Type: application/json` exactly (no charset: the official client checks it)
 * and an `X-Request-ID` header. Body-parser / http-errors 4xx errors map to registry ids
 * (413 → `api.context.request_body_too_large.app_error`, bad JSON → `invalid_body_param`…);
 * anything else becomes a 500 `api.context.internal.app_error` without internals, and is logged.
 *
 * @example
 * ```ts
 * import { requestId, errorBoundary, AppError } from 'mattermost-pat';
 * app.use(requestId());
 * app.use(errorBoundary({ developerMode: () => config.ServiceSettings.EnableDeveloper, logger }));
 * app.use(() => { throw new AppError('api.context.404.app_error'); });
 * ```
 */
import type Koa from 'koa';
import { AppError, isAppError, type AppErrorBody } from './app-error.js';
import { newId } from '../util/ids.js';
import { REQUEST_ID_HEADER } from '../http/request-id.js';
import { silentLogger, type Logger } from '../logger.js';

type Flag = boolean | (() => boolean);

export interface ErrorBoundaryOptions {
  /** `ServiceSettings.EnableDeveloper`: render `detailed_error`. Default false (always `""`). */
  developerMode?: Flag;
  /** `ExperimentalEnableHardenedMode`: every 5xx body becomes `{"id":"","message":"Internal Server Error",…}`. */
  hardened?: Flag;
  /** 5xx errors are logged at error level, 4xx not at all. Default: silent. */
  logger?: Logger;
}

/** The exact Content-Type of every error body. */
export const JSON_CONTENT_TYPE = 'application/json';

/** Headers describing a body that the error body replaces. */
const STALE_HEADERS = ['content-length', 'content-encoding', 'content-disposition', 'content-range', 'etag', 'last-modified'];

interface HttpErrorLike {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  type?: unknown;
  message?: unknown;
  headers?: unknown;
}

const asFlag = (flag: Flag) => (typeof flag === 'function' ? flag : () => flag);

/**
 * Map a non-AppError (http-errors, koa-bodyparser, ctx.throw) to a registry error.
 * @example
 * ```ts
 * toAppError(Object.assign(new Error('too big'), { status: 413, expose: true })).id; // 'api.context.request_body_too_large.app_error'
 * ```
 */
export function toAppError(err: unknown): AppError<string> {
  if (isAppError(err)) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as HttpErrorLike;
  const raw = typeof e.status === 'number' ? e.status : e.statusCode;
  const status = typeof raw === 'number' && Number.isInteger(raw) ? raw : 500;
  if (status < 400 || status >= 500 || e.expose === false) {
    return new AppError('api.context.internal.app_error', { cause: err });
  }
  const headers = headersOf(e.headers);
  const type = typeof e.type === 'string' ? e.type : '';
  const detailed = typeof e.message === 'string' ? e.message : '';
  const base = { cause: err, detailed, headers };
  switch (status) {
    case 401: return new AppError('api.context.session_expired.app_error', base);
    case 403: return new AppError('api.context.permissions.app_error', base);
    case 404: return new AppError('api.context.404.app_error', base);
    case 405: return new AppError('api.context.method_not_allowed.app_error', base);
    case 413: return new AppError('api.context.request_body_too_large.app_error', base);
    case 429: return new AppError('api.context.rate_limited.app_error', base);
    default:
      if (status === 400 || status === 411 || status === 415 || status === 422 || type.startsWith('entity.')
        || type.startsWith('request.') || type.endsWith('.unsupported')) {
        return new AppError('api.context.invalid_body_param.app_error', { ...base, status, params: { Name: 'body' } });
      }
      return new AppError('api.context.invalid_param.app_error', { ...base, status, params: { Name: 'request' } });
  }
}

/** Resolves the boundary's promise to undefined, whatever the chain resolved to. */
function ignoreValue(): void {}

function headersOf(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

/**
 * Serialise an AppError as Mattermost does (keys in Go struct order).
 * @example
 * ```ts
 * JSON.stringify(renderAppError(new AppError('api.context.404.app_error'), ctx.state.requestId ?? ''));
 * ```
 */
export function renderAppError(err: AppError<string>, requestId: string, options: { developerMode?: boolean; hardened?: boolean } = {}): AppErrorBody {
  if (options.hardened === true && err.status >= 500) {
    return { id: '', message: 'Internal Server Error', detailed_error: '', request_id: requestId, status_code: 500 };
  }
  return {
    id: err.id,
    message: err.message,
    detailed_error: options.developerMode === true ? err.detailed : '',
    request_id: requestId,
    status_code: err.status,
  };
}

/**
 * Render every error thrown downstream as Mattermost's JSON error body.
 * @example
 * ```ts
 * app.use(requestId());
 * app.use(errorBoundary({ logger }));
 * ```
 */
export function errorBoundary(options: ErrorBoundaryOptions = {}): Koa.Middleware {
  const { developerMode = false, hardened = false, logger = silentLogger } = options;
  const isDeveloper = asFlag(developerMode);
  const isHardened = asFlag(hardened);

  const render = (ctx: Koa.Context, thrown: unknown) => {
    const err = toAppError(thrown);
    let requestId = ctx.state.requestId;
    if (requestId === undefined) {
      requestId = newId();
      ctx.state.requestId = requestId;
    }
    if (err.status >= 500) {
      const cause = isAppError(thrown) ? thrown.cause : thrown;
      logger.error('request failed', {
        id: err.id, status: err.status, request_id: requestId, path: ctx.path, method: ctx.method,
        error: cause instanceof Error ? cause.message : cause === undefined ? err.message : String(cause),
        stack: cause instanceof Error ? cause.stack : undefined,
      });
    }
    if (ctx.headerSent || !ctx.writable) return;
    const body = renderAppError(err, requestId, { developerMode: isDeveloper(), hardened: isHardened() });
    for (const name of STALE_HEADERS) ctx.remove(name);
    ctx.status = body.status_code ?? err.status;
    ctx.body = JSON.stringify(body);
    ctx.set('Content-Type', JSON_CONTENT_TYPE);
    ctx.set(REQUEST_ID_HEADER, requestId);
    for (const [name, value] of Object.entries(err.headers)) {
      if (name.toLowerCase() === 'set-cookie') ctx.append('Set-Cookie', value);
      else ctx.set(name, value);
    }
  };

  // Not an async function: the chain's own promise takes the error handler, with no extra step
  // per request.
  return function errorBoundaryMiddleware(ctx, next) {
    let downstream: Promise<unknown>;
    try {
      downstream = next();
    } catch (err) {
      render(ctx, err);
      return Promise.resolve();
    }
    return downstream.then(ignoreValue, (err: unknown) => render(ctx, err));
  };
}
