/**
 * deactivate-reactivate: the lifecycle of a bot account's personal access token, as the docs
 * promise it:
 *
 *   1. the token works (and its first use mints a session);
 *   2. the account is deactivated: the token is refused and the account's sessions are gone, but
 *      the token itself is kept;
 *   3. the account is reactivated: the very same token works again, nothing recreated;
 *   4. the token is disabled, then enabled, from the owner's side (Integrations > Bot Accounts,
 *      POST /users/tokens/disable|enable): refused while disabled, working again once enabled;
 *   5. the token is revoked from the admin side (System Console, POST /users/tokens/revoke):
 *      refused for good, and gone from the server.
 *
 * Run it:
 *
 *     npx tsx examples/deactivate-reactivate.ts              # demo on an in-process mock
 *     MM_URL=https://chat.example.com MM_TOKEN=<admin token> [MM_BOT=pat-lifecycle-bot] \
 *       npx tsx examples/deactivate-reactivate.ts
 *
 * Against a real server, MM_BOT names a bot account to use (created if missing; bot account
 * creation must be enabled); it must be a bot, because it is deactivated for a moment. The token
 * created for the run is revoked at the end; the bot is left active.
 *
 * Exit codes: 0 everything behaved as documented, 1 something did not (one line on stderr),
 * 2 wrong usage. Tokens are never printed, only their ids.
 */
import { attempt, connect, outcome, secretOf, type Client } from './lib/client.js';
import { EXIT, ExampleFailure, check, isMain, runMain, type Print } from './lib/cli.js';
import { startDemo, type DemoServer } from './lib/demo.js';

export interface LifecycleOptions {
  /** Environment for MM_URL, MM_TOKEN and MM_BOT. Default `process.env`. */
  env?: Record<string, string | undefined>;
  print?: Print;
  /** Demo only: use this mock server instead of starting one. */
  server?: DemoServer;
}

/** One step: what was done and what the bot's token got from GET /users/me afterwards. */
export interface Step {
  step: string;
  /** `ok` or e.g. `401 api.context.session_expired.app_error`. */
  me: string;
  /** Sessions after the step: of the whole account after a deactivation, of this token otherwise. */
  sessions: number;
}

export interface LifecycleResult {
  botUserId: string;
  tokenId: string;
  steps: Step[];
}

/**
 * Run the example: the demo when MM_URL and MM_TOKEN are both unset, otherwise against that server.
 * Throws {@link ExampleFailure} (exit code 1, or 2 for usage) at the first step that is not as documented.
 *
 * @example
 * ```ts
 * const { steps } = await run({ env: {}, print: () => {} });
 * steps[2]; // { step: '3. account reactivated, same token', me: 'ok', sessions: 1 }
 * ```
 */
export async function run(options: LifecycleOptions = {}): Promise<LifecycleResult> {
  const { env = process.env, print = console.log } = options;
  if (env.MM_URL === undefined && env.MM_TOKEN === undefined) {
    const demo = await startDemo({ print, server: options.server });
    try {
      const bot = await demo.createBot('lifecycle-bot', 'system_user');
      return await lifecycle({ url: demo.url, admin: demo.admin, botUserId: bot.user_id, print });
    } finally {
      await demo.close();
    }
  }
  if (!env.MM_URL || !env.MM_TOKEN) throw new ExampleFailure('set both MM_URL and MM_TOKEN (or neither, for the demo)', EXIT.usage);
  const admin = connect(env.MM_URL, env.MM_TOKEN);
  const botUserId = await findOrCreateBot(admin, env.MM_BOT ?? 'pat-lifecycle-bot', print);
  return lifecycle({ url: env.MM_URL, admin, botUserId, print });
}

async function findOrCreateBot(admin: Client, username: string, print: Print): Promise<string> {
  const found = await attempt(() => admin.getUserByUsername(username));
  if (found.ok) {
    if (!found.value.is_bot) throw new ExampleFailure(`@${username} is not a bot account: this example deactivates its account, pick a bot (MM_BOT)`, EXIT.usage);
    if (found.value.delete_at !== 0) {
      await admin.updateUserActive(found.value.id, true);
      print(`admin: reactivated the existing bot @${username}`);
    } else {
      print(`admin: using the existing bot @${username}`);
    }
    return found.value.id;
  }
  check(found.status === 404, `cannot look up @${username}: ${outcome(found)}`);
  const created = await attempt(() => admin.createBot({ username, display_name: username, description: 'mattermost-pat deactivate-reactivate example' }));
  check(created.ok, `cannot create bot @${username}: ${outcome(created)} (is bot account creation enabled?)`);
  print(`admin: created bot @${username}`);
  return created.value.user_id;
}

async function lifecycle(args: { url: string; admin: Client; botUserId: string; print: Print }): Promise<LifecycleResult> {
  const { url, admin, botUserId, print } = args;
  const steps: Step[] = [];
  const pat = await admin.createUserAccessToken(botUserId, 'deactivate-reactivate example');
  const bot = connect(url, secretOf(pat)); // the integration, holding its token
  print(`admin: created a personal access token for the bot (token id ${pat.id})`);

  /** Sessions of the bot account: all of them, and those minted for this token. */
  const sessionsOf = async () => {
    const all = await admin.getSessions(botUserId);
    return { all: all.length, ofToken: all.filter((x) => x.props?.user_access_token_id === pat.id).length };
  };
  /**
   * Probe the token with GET /users/me, count the sessions, check both against the promise:
   * `expectSessions` counts this token's sessions, or all the account's with `account: true`.
   */
  const probe = async (step: string, expectWorks: boolean, expectSessions: number, account = false) => {
    const me = await attempt(() => bot.getMe());
    const counted = await sessionsOf();
    const sessions = account ? counted.all : counted.ofToken;
    const what = account ? 'sessions of the account' : 'sessions of this token';
    const got = outcome(me);
    print(`${step}: GET /users/me with the token -> ${me.ok ? `ok (@${me.value.username})` : got}; ${what}: ${sessions}`);
    check(me.ok === expectWorks, `${step}: the token ${me.ok ? 'still works' : `is refused (${got})`}, expected it to ${expectWorks ? 'work' : 'be refused'}`);
    if (!me.ok) check(me.status === 401, `${step}: refused with ${got}, expected 401`);
    check(sessions === expectSessions, `${step}: ${what}: ${sessions}, expected ${expectSessions}`);
    steps.push({ step, me: got, sessions });
  };
  const tokenState = async () => {
    const t = await attempt(() => admin.getUserAccessToken(pat.id));
    return t.ok ? (t.value.is_active ? 'active' : 'disabled') : `gone (${outcome(t)})`;
  };

  // 1. It works; the first use mints a session.
  await probe('1. fresh token', true, 1);

  // 2. Deactivate the account: sessions deleted, the token row kept (and still marked active).
  await admin.updateUserActive(botUserId, false);
  print('admin: deactivated the bot account (PUT /users/{id}/active {"active":false})');
  await probe('2. account deactivated', false, 0, true);
  const kept = await tokenState();
  check(kept === 'active', `2. account deactivated: the token should be kept untouched, it is ${kept}`);
  print(`2. account deactivated: the token is kept (${kept}), only unusable`);

  // 3. Reactivate: the same token works again; nothing was recreated.
  await admin.updateUserActive(botUserId, true);
  print('admin: reactivated the bot account (PUT /users/{id}/active {"active":true})');
  await probe('3. account reactivated, same token', true, 1);
  const tokens = await admin.getUserAccessTokensForUser(botUserId, 0, 200);
  check(tokens.some((t) => t.id === pat.id), '3. account reactivated: the token is no longer listed');

  // 4. Owner side: disable, then enable.
  await admin.disableUserAccessToken(pat.id);
  print('owner: disabled the token (POST /users/tokens/disable)');
  await probe('4a. token disabled', false, 0);
  const disabled = await tokenState();
  check(disabled === 'disabled', `4a. token disabled: the token is ${disabled}, expected disabled`);
  await admin.enableUserAccessToken(pat.id);
  print('owner: enabled the token (POST /users/tokens/enable)');
  await probe('4b. token enabled', true, 1);

  // 5. Admin side: revoke. Refused for good, and gone.
  await admin.revokeUserAccessToken(pat.id);
  print('admin: revoked the token (POST /users/tokens/revoke)');
  await probe('5. token revoked', false, 0);
  const gone = await tokenState();
  check(gone.startsWith('gone (404'), `5. token revoked: the token is ${gone}, expected it gone (404)`);
  print(`5. token revoked: GET /users/tokens/${pat.id} -> ${gone.slice('gone ('.length, -1)}`);

  print('done: works -> deactivated (refused, sessions gone, token kept) -> reactivated (same token works) -> disabled/enabled -> revoked');
  return { botUserId, tokenId: pat.id, steps };
}

if (isMain(import.meta.url)) runMain(() => run(), { noArguments: 'usage: deactivate-reactivate (no arguments: set MM_URL, MM_TOKEN [, MM_BOT], or nothing for the demo)' });
