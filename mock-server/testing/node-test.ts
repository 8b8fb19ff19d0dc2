/**
 * node:test hooks for a suite mock: `useTestMattermost()` registers `before` (start), `after`
 * (close) and, with `resetEach`, `beforeEach` (reset) from `node:test`. Call it at the top of a
 * file or inside a `describe`.
 *
 * @example
 * ```ts
 * import { test } from 'node:test';
 * import { useTestMattermost } from 'mattermost-pat/testing/node-test';
 * const mm = useTestMattermost();
 * test('bot', async () => { const bot = await mm.createBot(); await bot.client.getMe(); });
 * ```
 */
import { after, before, beforeEach } from 'node:test';
import { START_TIMEOUT_MS, useWithHooks, type TestMattermost, type UseTestMattermostOptions } from './index.js';

/**
 * Start a mock for the enclosing suite (see {@link useWithHooks}).
 *
 * @example
 * ```ts
 * const mm = useTestMattermost({ resetEach: true });
 * ```
 */
export function useTestMattermost(options: UseTestMattermostOptions = {}): TestMattermost {
  const timeout = { timeout: START_TIMEOUT_MS };
  return useWithHooks({
    beforeAll: (fn) => { before(fn, timeout); },
    afterAll: (fn) => { after(fn, timeout); },
    beforeEach: (fn) => { beforeEach(fn, timeout); },
  }, options);
}

export * from './index.js';
