/**
 * Test controls: mock-only HTTP routes for test suites that run the mock as a process (Python, Go,
 * shell), under `/__mock/` — a prefix Mattermost never serves, so no client can mistake them for
 * the API. They are OFF unless `testControls: true` (`--test-controls`): a mock left running on a
 * shared host must not let anyone wipe it.
 *
 * | Route | Effect | Answer |
 * |---|---|---|
 * | `POST /__mock/reset` | database back to the seed, every session dropped, clock offset 0 | `{"status":"OK"}` |
 * | `GET /__mock/clock` | — | `{"now": ms, "offset_ms": ms}` |
 * | `POST /__mock/clock/advance` `{"ms": n}` | clock forward by n ms (n ≥ 0): tokens and sessions whose `expires_at` is passed are refused | `{"now", "offset_ms"}` |
 *
 * Bad input answers Mattermost's 400 `api.context.invalid_body_param.app_error` naming `ms`.
 *
 * @example
 * ```ts
 * app.use(testControls({ reset: () => mock.reset(), clock })); // after the body reader
 * // curl -X POST localhost:8065/__mock/clock/advance -d '{"ms":3600000}'
 * ```
 */
import Router from '@koa/router';
import { invalidBodyParam } from '../middleware/errors/shortcuts.js';
import type { MockClock } from './clock.js';
import { maybeJsonObject } from './body.js';
import { sendJson, statusOk } from './respond.js';

/** The URL prefix of every test control. */
export const TEST_CONTROLS_PREFIX = '/__mock';

export interface TestControlsOptions {
  /** Back to the seed (the mock server's `reset()`). */
  reset(): Promise<void>;
  /** The clock every part of the mock reads. */
  clock: MockClock;
}

/**
 * The test-control routes as one Koa middleware.
 *
 * @example
 * ```ts
 * if (options.testControls) app.use(testControls({ reset, clock }));
 * ```
 */
export function testControls(options: TestControlsOptions): ReturnType<Router['routes']> {
  const { reset, clock } = options;
  const router = new Router({ prefix: TEST_CONTROLS_PREFIX });
  const clockBody = () => ({ now: clock.now(), offset_ms: clock.offsetMs });
  router.post('/reset', async (ctx) => {
    await reset();
    clock.reset();
    statusOk(ctx);
  });
  router.get('/clock', (ctx) => {
    sendJson(ctx, clockBody());
  });
  router.post('/clock/advance', (ctx) => {
    const ms = maybeJsonObject(ctx)?.ms;
    if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0) throw invalidBodyParam('ms');
    clock.advance(ms);
    sendJson(ctx, clockBody());
  });
  return router.routes();
}
