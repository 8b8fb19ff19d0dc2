/**
 * Personal access token routes (Mattermost's `api4/user.go`), all `APISessionRequired`. Registered before the
 * user routes so `/users/tokens…` never reaches `/users/:user_id`.
 *
 * | Method | Path |
 * | --- | --- |
 * | POST | `/users/{user_id}/tokens` |
 * | GET | `/users/{user_id}/tokens` |
 * | GET | `/users/tokens` |
 * | POST | `/users/tokens/search` |
 * | GET | `/users/tokens/{token_id}` |
 * | POST | `/users/tokens/revoke`, `/disable`, `/enable`, `/rotate` |
 * | GET | `/users/tokens/non_compliant/count` |
 * | POST | `/users/tokens/non_compliant/revoke` |
 *
 * @example
 * ```ts
 * tokenRoutes(router, server);
 * ```
 */
import type Router from '@koa/router';
import { getPrincipal } from '../../middleware/auth/principal.js';
import { maybeJsonObject, stringMap } from '../body.js';
import type { MockContext } from '../context.js';
import { pageParams, sendJson, statusOk } from '../respond.js';
import {
  countNonCompliant, createToken, disableToken, enableToken, getToken, listAllTokens, listUserTokens,
  revokeNonCompliant, revokeToken, rotateToken, searchTokens,
} from '../services/tokens.js';
import { issuedTokenJson, sanitizedToken } from '../services/views.js';
import { alnumParam } from './params.js';

/**
 * Register the token routes.
 *
 * @example
 * ```ts
 * tokenRoutes(router, server); // before userRoutes
 * ```
 */
export function tokenRoutes(router: Router, server: MockContext): void {
  const auth = server.requireSession;

  router.get('/users/tokens', auth, (ctx) => {
    const { page, perPage } = pageParams(ctx);
    sendJson(ctx, listAllTokens(server, getPrincipal(ctx), page, perPage).map(sanitizedToken));
  });
  router.post('/users/tokens/search', auth, (ctx) => {
    sendJson(ctx, searchTokens(server, getPrincipal(ctx), maybeJsonObject(ctx)).map(sanitizedToken));
  });
  router.post('/users/tokens/revoke', auth, async (ctx) => {
    await revokeToken(server, getPrincipal(ctx), stringMap(ctx).token_id ?? '');
    statusOk(ctx);
  });
  router.post('/users/tokens/disable', auth, async (ctx) => {
    await disableToken(server, getPrincipal(ctx), stringMap(ctx).token_id ?? '');
    statusOk(ctx);
  });
  router.post('/users/tokens/enable', auth, async (ctx) => {
    await enableToken(server, getPrincipal(ctx), stringMap(ctx).token_id ?? '');
    statusOk(ctx);
  });
  router.post('/users/tokens/rotate', auth, async (ctx) => {
    sendJson(ctx, issuedTokenJson(await rotateToken(server, getPrincipal(ctx), maybeJsonObject(ctx))), { newline: true });
  });
  router.get('/users/tokens/non_compliant/count', auth, (ctx) => {
    sendJson(ctx, countNonCompliant(server, getPrincipal(ctx)));
  });
  router.post('/users/tokens/non_compliant/revoke', auth, async (ctx) => {
    sendJson(ctx, await revokeNonCompliant(server, getPrincipal(ctx)));
  });
  router.get('/users/tokens/:token_id', auth, (ctx) => {
    sendJson(ctx, sanitizedToken(getToken(server, getPrincipal(ctx), alnumParam(ctx, 'token_id'))), { newline: true });
  });
  router.post('/users/:user_id/tokens', auth, async (ctx) => {
    const token = await createToken(server, getPrincipal(ctx), alnumParam(ctx, 'user_id'), maybeJsonObject(ctx));
    sendJson(ctx, issuedTokenJson(token), { newline: true });
  });
  router.get('/users/:user_id/tokens', auth, (ctx) => {
    const { page, perPage } = pageParams(ctx);
    sendJson(ctx, listUserTokens(server, getPrincipal(ctx), alnumParam(ctx, 'user_id'), page, perPage).map(sanitizedToken));
  });
}
