/**
 * `GET /system/ping`: readiness. No session needed; answers `{"status":"OK", …}` like Mattermost.
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
    sendJson(ctx, {
      ActiveSearchBackend: 'database',
      AndroidLatestVersion: '',
      AndroidMinVersion: '',
      IosLatestVersion: '',
      IosMinVersion: '',
      Version: MOCK_VERSION,
      status: 'OK',
    });
  });
}
