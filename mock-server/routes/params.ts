/**
 * URL and query parameters as Mattermost's router and handlers read them:
 * `{user_id:[A-Za-z0-9]+}`-style segments (a segment with other characters matches no Mattermost
 * route, so it answers the 404 of an unknown route, `api.context.404.app_error`, not a 400), id
 * segments (`me` = the caller where allowed), and boolean query flags.
 *
 * @example
 * ```ts
 * router.get('/users/:user_id', (ctx) => getUser(server, getPrincipal(ctx), alnumParam(ctx, 'user_id')));
 * ```
 */
import type { Context } from 'koa';
import { AppError } from '../errors.js';
import { requireId } from '../services/input.js';

/**
 * The route parameter `name`, or a 404 when it is not `[A-Za-z0-9]+`.
 *
 * @example
 * ```ts
 * alnumParam(ctx, 'user_id'); // 'not-valid!' → 404 api.context.404.app_error
 * ```
 */
export function alnumParam(ctx: { params: Record<string, string | undefined> }, name: string): string {
  const value = ctx.params[name] ?? '';
  if (!/^[A-Za-z0-9]+$/.test(value)) throw new AppError('api.context.404.app_error');
  return value;
}

/**
 * A 26-char id URL parameter (`me` = the caller when `me` is given): 404 when not alphanumeric,
 * 400 `invalid_url_param` when not an id.
 *
 * @example
 * ```ts
 * idParam(ctx, 'user_id', caller.userId); // 'me' → the caller's id
 * ```
 */
export function idParam(ctx: { params: Record<string, string | undefined> }, name: string, me?: string): string {
  return requireId(alnumParam(ctx, name), name, me);
}

/**
 * Go's `strconv.ParseBool` on a query parameter (anything else is false).
 *
 * @example
 * ```ts
 * queryBool(ctx, 'include_deleted'); // ?include_deleted=true → true
 * ```
 */
export function queryBool(ctx: Context, name: string): boolean {
  const value = ctx.query[name];
  return typeof value === 'string' && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value);
}
