/**
 * The route modules of the mock server, in registration order: token routes before user routes
 * (so `/users/tokens…` never reaches `/users/:user_id`), then sessions, config, system, logs and
 * the bots/teams/channels/posts modules.
 *
 * @example
 * ```ts
 * const app = createApp({ server, routes: routeModules() });
 * ```
 */
import type { RouteModule } from '../app.js';
import { botRoutes } from './bots.js';
import { channelRoutes } from './channels.js';
import { commandRoutes } from './commands.js';
import { configRoutes } from './config.js';
import { logRoutes } from './logs.js';
import { hookRoutes, incomingWebhookEndpoint } from './hooks.js';
import { postRoutes } from './posts.js';
import { sessionRoutes } from './sessions.js';
import { systemRoutes } from './system.js';
import { teamRoutes } from './teams.js';
import { tokenRoutes } from './tokens.js';
import { userRoutes } from './users.js';

/**
 * Every route module, in registration order.
 *
 * @example
 * ```ts
 * for (const register of routeModules()) register(router, server);
 * ```
 */
export function routeModules(): RouteModule[] {
  return [tokenRoutes, sessionRoutes, userRoutes, configRoutes, systemRoutes, logRoutes, botRoutes, teamRoutes, channelRoutes, postRoutes, commandRoutes, hookRoutes];
}

/**
 * Route modules mounted outside `/api/v4` (Mattermost's `web` package): the incoming-webhook URL.
 *
 * @example
 * ```ts
 * const app = createApp({ server, routes: routeModules(), rootRoutes: rootRouteModules() });
 * ```
 */
export function rootRouteModules(): RouteModule[] {
  return [incomingWebhookEndpoint];
}
