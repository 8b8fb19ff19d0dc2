/**
 * Config routes: `GET /config`, `PUT /config`, `PUT /config/patch` (need `manage_system`), and the
 * client config `GET /config/client?format=old` (no session needed; string values, including
 * `EnableUserAccessTokens`).
 *
 * @example
 * ```ts
 * configRoutes(router, server);
 * ```
 */
import type Router from '@koa/router';
import { getPrincipal } from '../../middleware/auth/principal.js';
import { maybeJsonObject } from '../body.js';
import type { MockContext } from '../context.js';
import { sendJson } from '../respond.js';
import { clientConfig, patchConfig, readConfig, updateConfig } from '../services/config.js';

/**
 * Register the config routes.
 *
 * @example
 * ```ts
 * configRoutes(router, server);
 * ```
 */
export function configRoutes(router: Router, server: MockContext): void {
  const auth = server.requireSession;
  router.get('/config', auth, (ctx) => {
    sendJson(ctx, readConfig(server, getPrincipal(ctx)));
  });
  router.put('/config', auth, async (ctx) => {
    sendJson(ctx, await updateConfig(server, getPrincipal(ctx), maybeJsonObject(ctx)));
  });
  router.put('/config/patch', auth, async (ctx) => {
    sendJson(ctx, await patchConfig(server, getPrincipal(ctx), maybeJsonObject(ctx)));
  });
  router.get('/config/client', server.optionalSession, (ctx) => {
    sendJson(ctx, clientConfig(server));
  });
}
