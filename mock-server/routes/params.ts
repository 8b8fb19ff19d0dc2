/**
 * URL parameters as Mattermost's router matches them: `{user_id:[A-Za-z0-9]+}`-style segments. A
 * segment with other characters matches no Mattermost route, so it answers the 404 of an unknown
 * route (`api.context.404.app_error`), not a 400.
 *
 * @example
 * ```ts
 * router.get('/users/:user_id', (ctx) => getUser(server, getPrincipal(ctx), alnumParam(ctx, 'user_id')));
 * ```
 */
import { AppError } from '../../middleware/errors.js';

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
