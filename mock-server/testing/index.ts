/**
 * `mattermost-pat/testing`: a mock Mattermost for a test suite in one call, and what a test needs
 * from it: the URL, an admin `Client4` (the official client), `createBot({ roles })`,
 * `createToken(userId)`, `reset()` and `close()`. Always in memory (parallel suites share
 * nothing) on a free port, from {@link testSeed} unless a seed is given. Runner hooks live in
 * their own modules, so only the one imported is loaded: `mattermost-pat/testing/mocha`,
 * `/node-test`, `/vitest`, `/jest`.
 *
 * Needs `@mattermost/client` installed next to this package (the admin client is a `Client4`).
 *
 * @example
 * ```ts
 * import { startTestMattermost } from 'mattermost-pat/testing';
 * const mm = await startTestMattermost();
 * const bot = await mm.createBot({ roles: 'system_user system_post_all' });
 * await bot.client.getMe();              // the bot, through its personal access token
 * await mm.reset();                      // back to the seed; mm.admin is logged in again
 * await mm.close();
 * ```
 */
import mattermostClient from '@mattermost/client';
import type { Client4 } from '@mattermost/client';
import { defaultSeed, startMockServer, type MockServer, type MockServerOptions, type SeedInput, type SeededInfo } from '../index.js';

const { Client4: Client4Class } = mattermostClient;

/** Options of {@link startTestMattermost}: the mock's, but always in memory and on port 0 by default. */
export type TestMattermostOptions = Omit<MockServerOptions, 'dbFile' | 'inMemory'>;

/** What {@link TestMattermost.createBot} makes. */
export interface CreateBotOptions {
  /** Default `test-bot-<n>`, unique for this mock. */
  username?: string;
  display_name?: string;
  description?: string;
  /** Space-separated roles given to the bot's user after creation (e.g. `system_user system_post_all`). Default: Mattermost's `system_user`. */
  roles?: string;
}

/** A bot with a personal access token and a client using it. */
export interface TestBot {
  /** The bot's user id. */
  readonly userId: string;
  readonly username: string;
  /** The token's secret (only known here: the server keeps its digest). */
  readonly token: string;
  readonly tokenId: string;
  /** A Client4 authenticated with {@link TestBot.token}. */
  readonly client: Client4;
}

/** A personal access token just created. */
export interface TestToken {
  readonly id: string;
  /** The secret. */
  readonly token: string;
}

/** A running mock for a suite. */
export interface TestMattermost {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** The mock server itself (store, logs, hooks, clock…). */
  readonly mock: MockServer;
  /** The seeded system admin, logged in (again after every {@link TestMattermost.reset}). */
  readonly admin: Client4;
  /** Seeded logins and ids. */
  readonly seeded: SeededInfo;
  /** A new Client4 for this mock, with `token` when given. */
  client(token?: string): Client4;
  /** Create a bot (owned by the admin), give it `roles`, and a personal access token for it. */
  createBot(options?: CreateBotOptions): Promise<TestBot>;
  /** Create a personal access token for `userId` (as the admin). */
  createToken(userId: string, description?: string): Promise<TestToken>;
  /** Move the mock's clock forward by `ms` (expiry tests: no sleeping). */
  advanceClock(ms: number): void;
  /** Database back to the seed, sessions dropped, clock offset 0; the admin logs in again. */
  reset(): Promise<void>;
  /** Stop the mock. */
  close(): Promise<void>;
}

/**
 * The seed of {@link startTestMattermost}: the mock's default seed (`sysadmin`, `user-1`, team
 * `ad-1` with Town Square, Off-Topic and `private-1`, tokens enabled) with bot account creation
 * enabled too, so `createBot()` works out of the box.
 *
 * @example
 * ```ts
 * const seed = testSeed();
 * seed.tokens = [{ user: 'sysadmin', token: 'fixedadmintoken00000000001' }];
 * const mm = await startTestMattermost({ seed });
 * ```
 */
export function testSeed(): SeedInput {
  const seed = defaultSeed();
  seed.config = { ...seed.config, ServiceSettings: { ...seed.config?.ServiceSettings, EnableBotAccountCreation: true } };
  return seed;
}

function newClient(url: string, token?: string): Client4 {
  const client = new Client4Class();
  client.setUrl(url);
  client.setIncludeCookies(false); // Node has no cookie jar: the token header only
  if (token !== undefined) client.setToken(token);
  return client;
}

/**
 * Start a mock for a suite.
 *
 * @example
 * ```ts
 * const mm = await startTestMattermost({ seed: testSeed(), onUnhandledRequest: 'error' });
 * ```
 */
export async function startTestMattermost(options: TestMattermostOptions = {}): Promise<TestMattermost> {
  const mock = await startMockServer({ port: 0, seed: testSeed(), fastSeedPasswords: true, ...options, inMemory: true });
  const admin = newClient(mock.url);
  const login = async () => {
    const { sysadmin } = mock.seeded;
    if (!sysadmin.roles.split(' ').includes('system_admin')) {
      throw new Error('startTestMattermost: the seed has no user with the system_admin role (the admin client logs in as the first one)');
    }
    await admin.login(sysadmin.username, sysadmin.password);
  };
  try {
    await login();
  } catch (err) {
    await mock.close();
    throw err;
  }
  let bots = 0;
  const createToken = async (userId: string, description = 'test token'): Promise<TestToken> => {
    const created = await admin.createUserAccessToken(userId, description);
    if (typeof created.token !== 'string') throw new Error(`createToken: the mock returned token ${created.id} without its secret`);
    return { id: created.id, token: created.token };
  };
  return {
    url: mock.url,
    mock,
    admin,
    get seeded() { return mock.seeded; },
    client: (token) => newClient(mock.url, token),
    async createBot(bot = {}) {
      bots += 1;
      const created = await admin.createBot({
        username: bot.username ?? `test-bot-${bots}`, display_name: bot.display_name ?? '', description: bot.description ?? '',
      });
      if (bot.roles !== undefined) await admin.updateUserRoles(created.user_id, bot.roles);
      const token = await createToken(created.user_id, 'test bot token');
      return { userId: created.user_id, username: created.username, token: token.token, tokenId: token.id, client: newClient(mock.url, token.token) };
    },
    createToken,
    advanceClock: (ms) => { mock.clock.advance(ms); },
    async reset() {
      await mock.reset();
      mock.clock.reset();
      await login();
    },
    close: () => mock.close(),
  };
}

/** How a runner registers suite hooks (`before`/`after` in mocha and node:test, `beforeAll`/`afterAll` in vitest and jest). */
export interface SuiteHooks {
  beforeAll(fn: () => Promise<void>): void;
  afterAll(fn: () => Promise<void>): void;
  beforeEach(fn: () => Promise<void>): void;
}

/** Options of the runner hooks (`useTestMattermost`). */
export interface UseTestMattermostOptions extends TestMattermostOptions {
  /** Reset to the seed before each test (not only once per suite). Default false. */
  resetEach?: boolean;
}

/**
 * Register the hooks that start a mock before the suite and close it after, and return a handle
 * whose members work once the suite has started (inside tests and later hooks). The runner
 * modules call this with their own hooks.
 *
 * @example
 * ```ts
 * const mm = useWithHooks({ beforeAll: before, afterAll: after, beforeEach }, { resetEach: true });
 * ```
 */
export function useWithHooks(hooks: SuiteHooks, options: UseTestMattermostOptions = {}): TestMattermost {
  const { resetEach = false, ...serverOptions } = options;
  let current: TestMattermost | undefined;
  const started = (): TestMattermost => {
    if (current === undefined) throw new Error('mattermost-pat/testing: the mock is not started yet: use it inside tests or hooks, not at module load');
    return current;
  };
  hooks.beforeAll(async () => { current = await startTestMattermost(serverOptions); });
  if (resetEach) hooks.beforeEach(() => started().reset());
  hooks.afterAll(async () => {
    const mm = current;
    current = undefined;
    if (mm !== undefined) await mm.close();
  });
  return {
    get url() { return started().url; },
    get mock() { return started().mock; },
    get admin() { return started().admin; },
    get seeded() { return started().seeded; },
    client: (token) => started().client(token),
    createBot: (bot) => started().createBot(bot),
    createToken: (userId, description) => started().createToken(userId, description),
    advanceClock: (ms) => started().advanceClock(ms),
    reset: () => started().reset(),
    close: () => started().close(),
  };
}

/** How long a runner waits for the mock to start (the first start hashes the seed's passwords). */
export const START_TIMEOUT_MS = 30_000;

export type { MockServer, SeedInput, SeededInfo } from '../index.js';
