/**
 * JSON responses the way Mattermost writes them: `Content-Type` exactly `application/json`
 * (no charset: `@mattermost/client` compares the header with `===`), `json.NewEncoder` bodies end
 * with a newline, `json.Marshal` + `Write` bodies do not, and `{"status":"OK"}` has no newline.
 *
 * @example
 * ```ts
 * sendJson(ctx, token, { newline: true });   // create/get token: encoder style
 * sendJson(ctx, tokens);                     // lists: marshal style
 * statusOk(ctx);                             // {"status":"OK"}
 * ```
 */
import type { Context } from 'koa';
import { viewJson } from './services/views.js';

export interface SendJsonOptions {
  /** HTTP status. Default 200. */
  status?: number;
  /** Append `\n` (Go `json.NewEncoder`). Default false. */
  newline?: boolean;
}

/**
 * Write `value` as JSON with `Content-Type: application/json`.
 *
 * @example
 * ```ts
 * sendJson(ctx, post, { status: 201, newline: true });
 * ```
 */
export function sendJson(ctx: Context, value: unknown, options: SendJsonOptions = {}): void {
  // A memoized view of a frozen record keeps its JSON text: serialized once, not per request.
  sendJsonText(ctx, viewJson(value), options);
}

/**
 * Like {@link sendJson}, for a value already serialized (`json` is its `JSON.stringify` text).
 *
 * @example
 * ```ts
 * sendJsonText(ctx, createdPostJson(server.store, post), { status: 201, newline: true });
 * ```
 */
export function sendJsonText(ctx: Context, json: string, options: SendJsonOptions = {}): void {
  const { status = 200, newline = false } = options;
  ctx.status = status;
  // What ctx.set() ends in, without its per-call arrays; before the body, so Koa keeps the type.
  if (!ctx.headerSent) ctx.res.setHeader('Content-Type', 'application/json');
  ctx.body = newline ? `${json}\n` : json;
}

/**
 * Mattermost's `ReturnStatusOK`: 200 `{"status":"OK"}`.
 *
 * @example
 * ```ts
 * await revokeToken(server, caller, tokenId);
 * statusOk(ctx);
 * ```
 */
export function statusOk(ctx: Context): void {
  sendJson(ctx, { status: 'OK' });
}

/**
 * Mattermost's `page`/`per_page` query parsing: `page` default 0, `per_page` default 60 and at
 * most 200 (larger values clamp to 200); negative or garbage values fall back to the default.
 * `pageSize` is accepted as a legacy alias of `per_page`.
 *
 * @example
 * ```ts
 * const { page, perPage } = pageParams(ctx); // ?page=2&per_page=500 → { page: 2, perPage: 200 }
 * ```
 */
export function pageParams(ctx: Context, defaults: { perPage?: number; maxPerPage?: number } = {}): { page: number; perPage: number } {
  const { perPage: defPerPage = 60, maxPerPage = 200 } = defaults;
  const int = (raw: unknown): number | undefined => {
    if (typeof raw !== 'string' || !/^\d+$/.test(raw)) return undefined;
    const n = Number(raw);
    return Number.isSafeInteger(n) ? n : undefined;
  };
  const page = int(ctx.query.page) ?? 0;
  let perPage = int(ctx.query.per_page) ?? int(ctx.query.pageSize) ?? defPerPage;
  if (perPage > maxPerPage) perPage = maxPerPage;
  return { page, perPage };
}
