/**
 * mocha hooks for a suite mock: `useTestMattermost()` registers `before` (start), `after`
 * (close) and, with `resetEach`, `beforeEach` (reset) through mocha's globals. Call it at the top
 * of a file (root hooks) or inside a `describe` (that suite's hooks).
 *
 * @example
 * ```ts
 * import { useTestMattermost } from 'mattermost-pat/testing/mocha';
 * describe('my bot', () => {
 *   const mm = useTestMattermost({ resetEach: true });
 *   it('posts', async () => { const bot = await mm.createBot(); await bot.client.getMe(); });
 * });
 * ```
 */
import { START_TIMEOUT_MS, useWithHooks, type TestMattermost, type UseTestMattermostOptions } from './index.js';

/** The part of mocha's hook context used here. */
interface MochaHookContext { timeout?(ms: number): unknown }
type MochaHook = (fn: (this: MochaHookContext) => Promise<void>) => void;

function mochaGlobal(name: 'before' | 'after' | 'beforeEach'): MochaHook {
  const hook = (globalThis as Record<string, unknown>)[name];
  if (typeof hook !== 'function') throw new Error(`mattermost-pat/testing/mocha: mocha's global ${name}() is missing: load this module from a file mocha runs`);
  return hook as MochaHook;
}

/**
 * Start a mock for the enclosing suite (see {@link useWithHooks}).
 *
 * @example
 * ```ts
 * const mm = useTestMattermost({ onUnhandledRequest: 'error' });
 * ```
 */
export function useTestMattermost(options: UseTestMattermostOptions = {}): TestMattermost {
  const wrap = (hook: MochaHook) => (fn: () => Promise<void>) => hook(function run() {
    this.timeout?.(START_TIMEOUT_MS);
    return fn();
  });
  return useWithHooks({ beforeAll: wrap(mochaGlobal('before')), afterAll: wrap(mochaGlobal('after')), beforeEach: wrap(mochaGlobal('beforeEach')) }, options);
}

export * from './index.js';
