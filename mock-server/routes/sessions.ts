/**
 * Session routes: `GET /users/{user_id}/sessions`, `POST /users/{user_id}/sessions/revoke`
 * (`{"session_id"}`), `POST /users/{user_id}/sessions/revoke/all`. All `APISessionRequired`.
 *
 * @example
 * ```ts
 * sessionRoutes(router, server);
 * ```
 */
import type Router from '@koa/router';
import { getPrincipal } from '../../middleware/auth/principal.js';
import { stringMap } from '../body.js';
import type { MockContext } from '../context.js';
import { sendJson, statusOk } from '../respond.js';
import { listSessions, revokeAllSessions, revokeSession } from '../services/sessions.js';
import { sessionListJson } from '../services/views.js';
import { alnumParam } from './params.js';

/**
 * Register the session routes.
 *
 * @example
 * ```ts
 * sessionRoutes(router, server);
 * ```
 */
export function sessionRoutes(router: Router, server: MockContext): void {
  const auth = server.requireSession;
  router.get('/users/:user_id/sessions', auth, (ctx) => {
    sendJson(ctx, sessionListJson(listSessions(server, getPrincipal(ctx), alnumParam(ctx, 'user_id'))));
  });
  router.post('/users/:user_id/sessions/revoke', auth, async (ctx) => {
    await revokeSession(server, getPrincipal(ctx), alnumParam(ctx, 'user_id'), stringMap(ctx).session_id ?? '');
    statusOk(ctx);
  });
  router.post('/users/:user_id/sessions/revoke/all', auth, async (ctx) => {
    await revokeAllSessions(server, getPrincipal(ctx), alnumParam(ctx, 'user_id'));
    statusOk(ctx);
  });
}
