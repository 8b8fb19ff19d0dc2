/**
 * The self-contained demo every example falls back to when no Mattermost URL and token are given:
 * an in-process mock server (in memory, any free port) whose personal access tokens and bot
 * accounts start **disabled**, as on a fresh Mattermost, so the admin steps the docs describe are
 * really needed and really done, through the REST API, by a logged-in system admin.
 *
 * @example
 * ```ts
 * const demo = await startDemo({ print: console.log });
 * const bot = await demo.createBot('my-bot', 'system_user system_post_all');
 * const pat = await demo.admin.createUserAccessToken(bot.user_id, 'my-bot token');
 * await demo.close();
 * ```
 */
import { defaultSeed, startMockServer, type MockServerOptions } from 'mattermost-pat/mock-server';
import type { Bot } from '@mattermost/types/bots';
import { login, type Client } from './client.js';
import type { Print } from './cli.js';

/** What a demo needs from a running mock server (a test may pass the one it started). */
export interface DemoServer {
  readonly url: string;
  readonly seeded: { readonly sysadmin: { readonly username: string; readonly password: string } };
  /** Wait until the events emitted so far reached the mock's webhooks (absent on a real server). */
  flushEvents?(): Promise<void>;
  close(): Promise<void>;
}

export interface DemoOptions {
  print: Print;
  /** Use this server instead of starting one (it is not closed by `close()`). */
  server?: DemoServer;
  /** Extra options for the mock started here (e.g. `webhooks`, `webhookSecret`). */
  mock?: MockServerOptions;
}

export interface Demo {
  readonly url: string;
  /** Client4 logged in as the seeded system admin. */
  readonly admin: Client;
  /** Create a bot account owned by the admin,, with `roles` (a space-separated string). */
  createBot(username: string, roles: string, description?: string): Promise<Bot>;
  /** Wait until the mock's signed events emitted so far have been delivered (no-op elsewhere). */
  flushEvents(): Promise<void>;
  /** Stop the mock if this demo started it. */
  close(): Promise<void>;
}

/**
 * A fresh mock server where an administrator has just switched on personal access tokens and
 * bot account creation (System Console > Integrations), both off by default.
 */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  const { print } = options;
  const seed = defaultSeed();
  seed.config = { ServiceSettings: { EnableUserAccessTokens: false, EnableBotAccountCreation: false } };
  const server: DemoServer = options.server ?? await startMockServer({ port: 0, inMemory: true, seed, ...options.mock });
  const owned = options.server === undefined;
  try {
    print(`demo: ${owned ? 'started an in-process mock Mattermost at' : 'using the Mattermost at'} ${server.url}`);
    const { username, password } = server.seeded.sysadmin;
    const admin = await login(server.url, username, password);
    print(`admin: logged in as ${username}`);
    await admin.patchConfig({ ServiceSettings: { EnableUserAccessTokens: true, EnableBotAccountCreation: true } });
    print('admin: enabled personal access tokens and bot accounts (ServiceSettings.EnableUserAccessTokens, EnableBotAccountCreation)');
    return {
      url: server.url,
      admin,
      async createBot(botName, roles, description = `${botName} (mattermost-pat example)`) {
        const bot = await admin.createBot({ username: botName, display_name: botName, description });
        await admin.updateUserRoles(bot.user_id, roles);
        print(`admin: created bot @${botName} with roles "${roles}"`);
        return bot;
      },
      async flushEvents() {
        await server.flushEvents?.();
      },
      async close() {
        if (owned) await server.close();
      },
    };
  } catch (err) {
    if (owned) await server.close();
    throw err;
  }
}
