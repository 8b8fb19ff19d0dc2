/**
 * `GET /system/ping`: readiness. No session needed; answers `{"status":"OK", …}` like Mattermost,
 * and `"status":"unhealthy"` with 500 (200 with `use_rest_semantics=true`) once the store accepts
 * no more writes (a full disk, an I/O error). With `get_server_status=true` it adds
 * `database_status` and `filestore_status` to the body and as headers, as Mattermost's
 * `getSystemPing` does.
 *
 * Differs from Mattermost: Mattermost reports the database only with `get_server_status=true`
 * (its plain ping checks goroutines); the mock's plain ping reports the store too, so a supervisor
 * polling the plain ping notices a server that can no longer write.
 *
 * @example
 * ```ts
 * systemRoutes(router, server);
 * // curl http://127.0.0.1:8065/api/v4/system/ping → {"ActiveSearchBackend":"database",…,"status":"OK"}
 * ```
 */
import type Router from '@koa/router';
import type { MockContext } from '../context.js';
import { sendJson } from '../respond.js';
import { MOCK_VERSION } from '../services/config.js';

const OK = 'OK';
const UNHEALTHY = 'unhealthy';

/**
 * Register the system routes.
 *
 * @example
 * ```ts
 * systemRoutes(router, server);
 * ```
 */
export function systemRoutes(router: Router, server: MockContext): void {
  router.get('/system/ping', server.optionalSession, (ctx) => {
    const writeError = server.store.stats().writeError;
    const database = writeError === undefined ? OK : UNHEALTHY;
    const body: Record<string, string> = {
      ActiveSearchBackend: 'database',
      AndroidLatestVersion: '',
      AndroidMinVersion: '',
      IosLatestVersion: '',
      IosMinVersion: '',
      Version: MOCK_VERSION,
      status: database,
    };
    if (ctx.query.get_server_status === 'true') {
      body.database_status = database;
      body.filestore_status = OK;
      ctx.set('status', database);
      ctx.set('database_status', database);
      ctx.set('filestore_status', OK);
    }
    const failing = database !== OK && ctx.query.use_rest_semantics !== 'true';
    sendJson(ctx, body, { status: failing ? 500 : 200 });
  });
}
