/**
 * Status and preference routes (Mattermost `api4/status.go`, `api4/preference.go`):
 * `GET`/`PUT /users/{id}/status`, `POST /users/status/ids`, `GET`/`PUT /users/{id}/preferences`
 * and `POST /users/{id}/preferences/delete`. Rules are in `services/status.ts` and
 * `services/preferences.ts`.
 *
 * @example
 * ```ts
 * statusRoutes(router, server);
 * // PUT /api/v4/users/me/status {"user_id":"<me>","status":"dnd"} → the new status
 * ```
 */
import type Router from '@koa/router';
import { getPrincipal } from '../../middleware/auth/principal.js';
import { jsonBody } from '../body.js';
import type { MockContext } from '../context.js';
import { sendJson, statusOk } from '../respond.js';
import { parseUserIds } from '../services/channel-members.js';
import { deletePreferences, getPreferences, savePreferences } from '../services/preferences.js';
import { getStatus, parseStatus, updateStatus } from '../services/status.js';
import { idParam } from './params.js';

/** Register the status and preference routes (`/users/status/ids` before the `/users/:user_id/…` ones). */
export function statusRoutes(router: Router, server: MockContext): void {
  const auth = server.requireSession;

  router.post('/users/status/ids', auth, (ctx) => {
    sendJson(ctx, parseUserIds(jsonBody(ctx)).map((id) => getStatus(server, id)));
  });

  router.get('/users/:user_id/status', auth, (ctx) => {
    const caller = getPrincipal(ctx);
    sendJson(ctx, getStatus(server, idParam(ctx, 'user_id', caller.userId)));
  });

  router.put('/users/:user_id/status', auth, async (ctx) => {
    const caller = getPrincipal(ctx);
    const userId = idParam(ctx, 'user_id', caller.userId);
    sendJson(ctx, await updateStatus(server, caller, userId, parseStatus(jsonBody(ctx))));
  });

  router.get('/users/:user_id/preferences', auth, (ctx) => {
    const caller = getPrincipal(ctx);
    sendJson(ctx, getPreferences(server, caller, idParam(ctx, 'user_id', caller.userId)));
  });

  router.put('/users/:user_id/preferences', auth, async (ctx) => {
    const caller = getPrincipal(ctx);
    await savePreferences(server, caller, idParam(ctx, 'user_id', caller.userId), jsonBody(ctx));
    statusOk(ctx);
  });

  router.post('/users/:user_id/preferences/delete', auth, async (ctx) => {
    const caller = getPrincipal(ctx);
    await deletePreferences(server, caller, idParam(ctx, 'user_id', caller.userId), jsonBody(ctx));
    statusOk(ctx);
  });
}
