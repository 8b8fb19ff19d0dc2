/**
 * `GET /logs`: the server's log lines (JSON strings), for callers with `get_logs`. Query `page`
 * (default 0; page 0 is the newest lines) and `logs_per_page` (default and maximum 10000).
 *
 * @example
 * ```ts
 * logRoutes(router, server);
 * ```
 */
import type Router from '@koa/router';
import { getPrincipal } from '../../middleware/auth/principal.js';
import type { MockContext } from '../context.js';
import { LOGS_PER_PAGE_MAX } from '../logs.js';
import { sendJson } from '../respond.js';
import { requirePerm } from '../services/access.js';

function intParam(raw: unknown, fallback: number): number {
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) return fallback;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : fallback;
}

/**
 * Register the log route.
 *
 * @example
 * ```ts
 * logRoutes(router, server);
 * ```
 */
export function logRoutes(router: Router, server: MockContext): void {
  router.get('/logs', server.requireSession, (ctx) => {
    requirePerm(getPrincipal(ctx), 'get_logs');
    const page = intParam(ctx.query.page, 0);
    const perPage = Math.min(intParam(ctx.query.logs_per_page, LOGS_PER_PAGE_MAX), LOGS_PER_PAGE_MAX);
    sendJson(ctx, server.logs.lines(page, perPage));
  });
}
