/**
 * The mock's entry points for this repository's tests, with `fastSeedPasswords` on by default.
 * Hashing the seed's passwords at the full scrypt cost (N = 2^14) on every mock start, and each
 * seeded login after it, was about a third of the unit tier's CPU; at N = 2^10 it is noise. The
 * option is said once here instead of at every call site. Everything else passes through
 * unchanged, and a test that wants the full cost says `fastSeedPasswords: false` (or imports
 * mock-server/index.js itself, as the passwords tests do). `mattermost-pat/testing` has the same
 * default on its own.
 *
 * @example
 * ```ts
 * const mock = await startMockServer({ port: 0, inMemory: true }); // seed hashed at N = 2^10
 * const app = await createMockApp({ fastSeedPasswords: false });    // the full cost, on purpose
 * ```
 */
import {
  createMockApp as createMockAppAtFullCost,
  startMockServer as startMockServerAtFullCost,
  type MockApp,
  type MockServer,
  type MockServerOptions,
} from '../../mock-server/index.js';

/**
 * `options` with `fastSeedPasswords` defaulted to true, for a factory this module does not wrap
 * (the built `dist/` entry's `startMockServer`).
 */
export function withFastSeedPasswords(options: MockServerOptions = {}): MockServerOptions {
  return { ...options, fastSeedPasswords: options.fastSeedPasswords ?? true };
}

/** {@link createMockAppAtFullCost | createMockApp} with `fastSeedPasswords` defaulted to true. */
export function createMockApp(options: MockServerOptions = {}): Promise<MockApp> {
  return createMockAppAtFullCost(withFastSeedPasswords(options));
}

/** {@link startMockServerAtFullCost | startMockServer} with `fastSeedPasswords` defaulted to true. */
export function startMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  return startMockServerAtFullCost(withFastSeedPasswords(options));
}
