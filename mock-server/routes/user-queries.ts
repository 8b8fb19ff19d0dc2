/**
 * User lookup routes with literal segments under `/users` (Mattermost `api4/user.go`):
 * `GET /users`, `GET /users/email/{email}`, `POST /users/ids`, `POST /users/usernames`,
 * `POST /users/search`, `GET /users/autocomplete`. Registered before `routes/users.ts`, so no
 * literal path reaches `/users/:user_id` (`test/mock-server/route-order.test.ts` checks it).
 * Rules are in `services/user-queries.ts`.
 *
 * @example
 * ```ts
 * userQueryRoutes(router, server); // before userRoutes
 * // GET /api/v4/users/autocomplete?in_team=…&name=sam → {"users":[…]}
 * ```
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { invalidUrlParam } from '../errors.js';
import { isValidId } from '../../middleware/util/ids.js';
import { getPrincipal } from '../../middleware/auth/principal.js';
import { jsonBody } from '../body.js';
import type { MockContext } from '../context.js';
import { pageParams, sendJson } from '../respond.js';
import { parseUserIds } from '../services/channel-members.js';
import {
  autocompleteUsers, getUserByEmail, getUsersByIds, getUsersByUsernames, listUsers, parseUserSearch, parseUsernames, searchUsers,
} from '../services/user-queries.js';
import { queryBool } from './params.js';

/** An optional id query parameter: absent or '' → undefined; not an id → 400 `invalid_url_param` naming it. */
export function idQuery(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  if (typeof value !== 'string' || value === '') return undefined;
  if (!isValidId(value)) throw invalidUrlParam(name);
  return value;
}

/** An optional non-negative integer query parameter (400 naming it when malformed). */
function intQuery(ctx: Context, name: string): number | undefined {
  const value = ctx.query[name];
  if (typeof value !== 'string' || value === '') return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw invalidUrlParam(name);
  return Number(value);
}

/** Mattermost's autocomplete limit: default and maximum 100. */
const AUTOCOMPLETE_LIMIT = 100;

/** Register the user lookup routes (before `userRoutes`). */
export function userQueryRoutes(router: Router, server: MockContext): void {
  const auth = server.requireSession;

  router.get('/users', auth, (ctx) => {
    const { page, perPage } = pageParams(ctx);
    const role = typeof ctx.query.role === 'string' ? ctx.query.role : undefined;
    const sort = typeof ctx.query.sort === 'string' ? ctx.query.sort : undefined;
    sendJson(ctx, listUsers(server, getPrincipal(ctx), {
      page, perPage, inTeam: idQuery(ctx, 'in_team'), notInTeam: idQuery(ctx, 'not_in_team'), inChannel: idQuery(ctx, 'in_channel'),
      notInChannel: idQuery(ctx, 'not_in_channel'), withoutTeam: queryBool(ctx, 'without_team'), active: queryBool(ctx, 'active'),
      inactive: queryBool(ctx, 'inactive'), role, sort,
    }));
  });

  router.get('/users/email/:email', auth, (ctx) => {
    sendJson(ctx, getUserByEmail(server, getPrincipal(ctx), ctx.params.email ?? ''));
  });

  router.post('/users/ids', auth, (ctx) => {
    sendJson(ctx, getUsersByIds(server, parseUserIds(jsonBody(ctx)), intQuery(ctx, 'since') ?? 0));
  });

  router.post('/users/usernames', auth, (ctx) => {
    sendJson(ctx, getUsersByUsernames(server, parseUsernames(jsonBody(ctx))));
  });

  router.post('/users/search', auth, (ctx) => {
    sendJson(ctx, searchUsers(server, getPrincipal(ctx), parseUserSearch(jsonBody(ctx))));
  });

  router.get('/users/autocomplete', auth, (ctx) => {
    const limit = Math.min(intQuery(ctx, 'limit') ?? AUTOCOMPLETE_LIMIT, AUTOCOMPLETE_LIMIT) || AUTOCOMPLETE_LIMIT;
    const name = typeof ctx.query.name === 'string' ? ctx.query.name : '';
    sendJson(ctx, autocompleteUsers(server, getPrincipal(ctx), { name, inTeam: idQuery(ctx, 'in_team'), inChannel: idQuery(ctx, 'in_channel'), limit }));
  });
}
