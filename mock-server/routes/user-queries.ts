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
import { invalidBodyParam } from '../errors.js';
import { getPrincipal } from '../../middleware/auth/principal.js';
import { jsonBody } from '../body.js';
import type { MockContext } from '../context.js';
import { pageParams, sendJson } from '../respond.js';
import { parseStringArray } from '../services/channel-members.js';
import {
  autocompleteUsers, getUserByEmail, getUsersByIds, getUsersByUsernames, listUsers, parseUserSearch, parseUsernames, searchUsers,
} from '../services/user-queries.js';
import { userAutocompleteJson, userProfileJson } from '../services/views.js';
import { queryBool } from './params.js';

/** An optional query parameter ('' = absent). Mattermost does not validate these ids: one naming nothing fails its permission check. */
function stringQuery(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `model.UserSearchDefaultLimit` / `UserSearchMaxLimit`, which autocomplete uses too. */
const AUTOCOMPLETE_DEFAULT_LIMIT = 100;
const AUTOCOMPLETE_MAX_LIMIT = 1000;

/** Register the user lookup routes (before `userRoutes`). */
export function userQueryRoutes(router: Router, server: MockContext): void {
  const auth = server.requireSession;

  router.get('/users', auth, (ctx) => {
    const { page, perPage } = pageParams(ctx);
    const role = typeof ctx.query.role === 'string' ? ctx.query.role : undefined;
    const sort = typeof ctx.query.sort === 'string' ? ctx.query.sort : undefined;
    sendJson(ctx, listUsers(server, getPrincipal(ctx), {
      page, perPage, inTeam: stringQuery(ctx, 'in_team'), notInTeam: stringQuery(ctx, 'not_in_team'), inChannel: stringQuery(ctx, 'in_channel'),
      notInChannel: stringQuery(ctx, 'not_in_channel'), withoutTeam: queryBool(ctx, 'without_team'), active: queryBool(ctx, 'active'),
      inactive: queryBool(ctx, 'inactive'), role, sort,
    }).map(userProfileJson));
  });

  router.get('/users/email/:email', auth, (ctx) => {
    sendJson(ctx, userProfileJson(getUserByEmail(server, getPrincipal(ctx), ctx.params.email ?? '')));
  });

  router.post('/users/ids', auth, (ctx) => {
    const ids = parseStringArray(jsonBody(ctx), 'user_ids');
    const since = ctx.query.since;
    if (typeof since === 'string' && since !== '' && !/^-?\d+$/.test(since)) throw invalidBodyParam('since');
    sendJson(ctx, getUsersByIds(server, ids, typeof since === 'string' && since !== '' ? Number(since) : 0).map(userProfileJson));
  });

  router.post('/users/usernames', auth, (ctx) => {
    sendJson(ctx, getUsersByUsernames(server, parseUsernames(jsonBody(ctx))).map(userProfileJson));
  });

  router.post('/users/search', auth, (ctx) => {
    sendJson(ctx, searchUsers(server, getPrincipal(ctx), parseUserSearch(jsonBody(ctx))).map(userProfileJson));
  });

  router.get('/users/autocomplete', auth, (ctx) => {
    // Go's strconv.Atoi: garbage reads as 0 (then the default); above the maximum, the maximum.
    const raw = typeof ctx.query.limit === 'string' ? ctx.query.limit : '';
    const parsed = /^\d+$/.test(raw) ? Number(raw) : 0;
    const limit = raw === '' || parsed === 0 ? AUTOCOMPLETE_DEFAULT_LIMIT : Math.min(parsed, AUTOCOMPLETE_MAX_LIMIT);
    const name = typeof ctx.query.name === 'string' ? ctx.query.name : '';
    const found = autocompleteUsers(server, getPrincipal(ctx), { name, inTeam: stringQuery(ctx, 'in_team'), inChannel: stringQuery(ctx, 'in_channel'), limit });
    sendJson(ctx, userAutocompleteJson(found));
  });
}
