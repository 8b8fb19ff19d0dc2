/**
 * Mattermost routes the mock deliberately does not emulate. Each answers 501
 * `api.mock.not_emulated.app_error` naming the route, and logs one `warn` line (`route not
 * emulated`), so a developer can tell "the mock does not do this" from "wrong path" (an unknown
 * path answers Mattermost's 404 `api.context.404.app_error`). Registered last: a route the mock
 * does implement always wins. Keep the list honest: only real Mattermost API v4 routes.
 *
 * @example
 * ```ts
 * notEmulatedRoutes(router, server); // last
 * // GET /api/v4/users/<id>/image → 501 api.mock.not_emulated.app_error; log: route not emulated GET /users/{user_id}/image
 * ```
 */
import type Router from '@koa/router';
import { AppError } from '../errors.js';
import type { MockContext } from '../context.js';

type Method = 'get' | 'post' | 'put' | 'delete';

/** [method, Koa path] of each Mattermost route left out. */
export const NOT_EMULATED: ReadonlyArray<readonly [Method, string]> = [
  ['get', '/users/:user_id/image'],
  ['post', '/users/:user_id/image'],
  ['get', '/users/:user_id/image/default'],
  ['post', '/users/:user_id/typing'],
  ['get', '/users/:user_id/teams/unread'],
  ['get', '/users/:user_id/channels/:channel_id/unread'],
  ['post', '/users/:user_id/posts/:post_id/set_unread'],
  ['get', '/users/:user_id/posts/flagged'],
  ['post', '/posts/:post_id/pin'],
  ['post', '/posts/:post_id/unpin'],
  ['get', '/channels/:channel_id/pinned'],
  ['get', '/channels/:channel_id/timezones'],
  ['put', '/channels/:channel_id/members/:user_id/roles'],
  ['put', '/channels/:channel_id/members/:user_id/notify_props'],
  ['post', '/teams/:team_id/posts/search'],
  ['post', '/teams/:team_id/channels/search'],
  ['get', '/files/:file_id/thumbnail'],
  ['get', '/files/:file_id/preview'],
  ['get', '/files/:file_id/link'],
  ['post', '/teams/:team_id/files/search'],
  ['get', '/emoji'],
  ['post', '/emoji'],
  ['get', '/emoji/name/:emoji_name'],
  ['get', '/plugins'],
  ['get', '/plugins/webapp'],
];

/** `/users/:user_id/image` → `/users/{user_id}/image` (the OpenAPI spelling, for the log and the error). */
const openApiPath = (path: string): string => path.replace(/:([a-z_]+)/g, '{$1}');

/** Register the catch-list (after every implemented route). */
export function notEmulatedRoutes(router: Router, server: MockContext): void {
  for (const [method, path] of NOT_EMULATED) {
    const route = `${method.toUpperCase()} /api/v4${openApiPath(path)}`;
    router[method](path, server.requireSession, () => {
      server.logger.warn('route not emulated', { route });
      throw new AppError('api.mock.not_emulated.app_error', { detailed: route });
    });
  }
}
