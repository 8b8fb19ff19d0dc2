/**
 * The `beforeAll`/`afterAll`/`beforeEach` of runners that name them so (vitest, jest): their
 * globals when the runner injects them, else the runner's own module, imported by name at run
 * time so this package never depends on the runner, not even for types.
 */
import { START_TIMEOUT_MS, type SuiteHooks } from './index.js';

type Hook = (fn: () => Promise<void>, timeoutMs?: number) => void;
interface RunnerHooks { beforeAll: Hook; afterAll: Hook; beforeEach: Hook }

const isHooks = (value: unknown): value is RunnerHooks => {
  const v = value as Partial<Record<keyof RunnerHooks, unknown>> | undefined;
  return typeof v?.beforeAll === 'function' && typeof v.afterAll === 'function' && typeof v.beforeEach === 'function';
};

/**
 * The runner's hooks: from `globalThis`, else from `moduleName` (`vitest`, `@jest/globals`).
 *
 * @example
 * ```ts
 * const hooks = await runnerHooks('vitest', 'vitest');
 * ```
 */
export async function runnerHooks(runner: string, moduleName: string): Promise<SuiteHooks> {
  let hooks: unknown = globalThis;
  if (!isHooks(hooks)) {
    try {
      hooks = await import(moduleName) as unknown;
    } catch (err) {
      throw new Error(`mattermost-pat/testing/${runner}: no ${runner} hooks: neither global beforeAll/afterAll nor the "${moduleName}" module (${err instanceof Error ? err.message : String(err)})`, { cause: err });
    }
    if (!isHooks(hooks)) throw new Error(`mattermost-pat/testing/${runner}: "${moduleName}" has no beforeAll/afterAll/beforeEach`);
  }
  const h = hooks;
  return {
    beforeAll: (fn) => h.beforeAll(fn, START_TIMEOUT_MS),
    afterAll: (fn) => h.afterAll(fn, START_TIMEOUT_MS),
    beforeEach: (fn) => h.beforeEach(fn, START_TIMEOUT_MS),
  };
}
