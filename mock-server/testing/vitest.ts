/**
 * vitest hooks for a suite mock: `useTestMattermost()` registers `beforeAll` (start), `afterAll`
 * (close) and, with `resetEach`, `beforeEach` (reset): vitest's globals with `globals: true`,
 * else `import { beforeAll, afterAll, beforeEach } from 'vitest'` (loaded when this module is).
 *
 * @example
 * ```ts
 * import { it } from 'vitest';
 * import { useTestMattermost } from 'mattermost-pat/testing/vitest';
 * const mm = useTestMattermost();
 * it('bot', async () => { const bot = await mm.createBot(); await bot.client.getMe(); });
 * ```
 */
import { useWithHooks, type TestMattermost, type UseTestMattermostOptions } from './index.js';
import { runnerHooks } from './runner-hooks.js';

const hooks = await runnerHooks('vitest', 'vitest');

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
