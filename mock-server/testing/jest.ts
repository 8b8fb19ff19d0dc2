/**
 * jest hooks for a suite mock: `useTestMattermost()` registers `beforeAll` (start), `afterAll`
 * (close) and, with `resetEach`, `beforeEach` (reset): jest's injected globals, else
 * `@jest/globals` (with `injectGlobals: false`). This package is ESM: run jest with ESM support
 * (`node --experimental-vm-modules node_modules/.bin/jest`).
 *
 * @example
 * ```ts
 * import { useTestMattermost } from 'mattermost-pat/testing/jest';
 * const mm = useTestMattermost();
 * test('bot', async () => { const bot = await mm.createBot(); await bot.client.getMe(); });
 * ```
 */
import { useWithHooks, type TestMattermost, type UseTestMattermostOptions } from './index.js';
import { runnerHooks } from './runner-hooks.js';

const hooks = await runnerHooks('jest', '@jest/globals');

/**
 * Start a mock for the enclosing suite (see {@link useWithHooks}).
 *
 * @example
 * ```ts
 * const mm = useTestMattermost({ resetEach: true });
 * ```
 */
export function useTestMattermost(options: UseTestMattermostOptions = {}): TestMattermost {
  return useWithHooks(hooks, options);
}

export * from './index.js';
