/**
 * The route modules of the mock server, in registration order: every module with literal
 * segments under `/users` (tokens, user lookups, statuses) before user routes, so
 * `/users/tokens…`, `/users/autocomplete`, `/users/status/ids`… never reach `/users/:user_id`
 * (`test/mock-server/route-order.test.ts` checks every one); then sessions, config, system, logs,
 * the content modules, and last the catch-list of routes the mock does not emulate.
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
import { fileRoutes } from './files.js';
import { logRoutes } from './logs.js';
import { hookRoutes, incomingWebhookEndpoint } from './hooks.js';
import { notEmulatedRoutes } from './not-emulated.js';
import { postRoutes } from './posts.js';
import { reactionRoutes } from './reactions.js';
import { sessionRoutes } from './sessions.js';
import { statusRoutes } from './status.js';
import { systemRoutes } from './system.js';
import { teamRoutes } from './teams.js';
import { tokenRoutes } from './tokens.js';
import { userQueryRoutes } from './user-queries.js';
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
  return [
    tokenRoutes, userQueryRoutes, statusRoutes, sessionRoutes, userRoutes, configRoutes, systemRoutes, logRoutes, botRoutes, teamRoutes,
    channelRoutes, postRoutes, reactionRoutes, fileRoutes, commandRoutes, hookRoutes, notEmulatedRoutes,
  ];
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
