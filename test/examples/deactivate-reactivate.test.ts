import { expect } from 'chai';
import { run } from '../../examples/deactivate-reactivate.js';
import { ExampleFailure } from '../../examples/lib/cli.js';
import { login, type Client } from '../../examples/lib/client.js';
import type { HookEventName } from '../../middleware/hooks/hook-bus.js';
import type { MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';
import { bareEnv, collector, runExample } from './support/run-example.js';

const SESSION_EXPIRED = '401 api.context.session_expired.app_error';

describe('examples/deactivate-reactivate', () => {
  let mock: MockServer;
  let admin: Client;
  let events: string[];

  beforeEach(async () => {
    mock = await startMockServer({ port: 0, inMemory: true });
    admin = await login(mock.url, mock.seeded.sysadmin.username, mock.seeded.sysadmin.password);
    events = [];
    mock.hooks.onAny((event: HookEventName, payload) => {
      if (event !== 'config.changed') events.push(`${event}:${'userId' in payload ? payload.userId : ''}`);
    });
  });
  afterEach(async () => { await mock.close(); });

  const failureOf = async (promise: Promise<unknown>): Promise<ExampleFailure> => {
    const err = await promise.then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(ExampleFailure);
    return err as ExampleFailure;
  };

  it('demo: the token survives deactivation and works again after reactivation; disable/enable; revoke removes it', async () => {
    const out = collector();
    const result = await run({ env: {}, print: out.print, server: mock });
    const bot = mock.store.findOne('users', 'username', 'lifecycle-bot')!;
    expect(bot.is_bot).to.equal(true);
    expect(result.botUserId).to.equal(bot.id);

    expect(result.steps).to.deep.equal([
      { step: '1. fresh token', me: 'ok', sessions: 1 },
      { step: '2. account deactivated', me: SESSION_EXPIRED, sessions: 0 },
      { step: '3. account reactivated, same token', me: 'ok', sessions: 1 },
      { step: '4a. token disabled', me: SESSION_EXPIRED, sessions: 0 },
      { step: '4b. token enabled', me: 'ok', sessions: 1 },
      { step: '5. token revoked', me: SESSION_EXPIRED, sessions: 0 },
    ]);
    // What the server went through, in order (the hook bus of the mock).
    expect(events.filter((e) => e.endsWith(bot.id))).to.deep.equal([
      `user.roles_changed:${bot.id}`,
      `token.created:${bot.id}`,
      `user.deactivated:${bot.id}`,
      `user.activated:${bot.id}`,
      `token.disabled:${bot.id}`,
      `token.enabled:${bot.id}`,
      `token.revoked:${bot.id}`,
    ]);
    // End state: account active, the token gone, no session left.
    expect(bot.delete_at).to.equal(0);
    expect(mock.store.get('tokens', result.tokenId)).to.equal(undefined);
    expect(mock.store.findMany('tokens', 'user_id', bot.id)).to.deep.equal([]);
    expect(mock.store.findMany('sessions', 'user_id', bot.id)).to.deep.equal([]);

    const text = out.text();
    expect(text).to.include('2. account deactivated: the token is kept (active), only unusable');
    expect(text).to.include('3. account reactivated, same token: GET /users/me with the token -> ok (@lifecycle-bot); sessions of this token: 1');
    expect(text).to.include(`5. token revoked: GET /users/tokens/${result.tokenId} -> 404 app.user_access_token.get_by_user.app_error`);
    expect(out.lines.at(-1)).to.match(/^done: works -> deactivated/);
  });

  it('exits 1 with the step when the server does not behave (a deactivation that does not take effect)', async () => {
    // A server that answers OK to the deactivation but does nothing.
    const original = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (/\/users\/[a-z0-9]{26}\/active$/.test(url) && typeof init?.body === 'string' && init.body.includes('false')) {
        return new Response('{"status":"OK"}', { status: 200, headers: { 'Content-Type': 'application/json' } });
      }
      return original(input, init);
    };
    try {
      const err = await failureOf(run({ env: {}, print: () => {}, server: mock }));
      expect(err.exitCode).to.equal(1);
      expect(err.message).to.equal('2. account deactivated: the token still works, expected it to be refused');
    } finally {
      globalThis.fetch = original;
    }
  });

  describe('against MM_URL with an admin MM_TOKEN', () => {
    beforeEach(async () => {
      await admin.patchConfig({ ServiceSettings: { EnableBotAccountCreation: true } });
    });

    it('creates MM_BOT when missing, reuses it on the next run, and reactivates it when found deactivated', async () => {
      const env = { MM_URL: mock.url, MM_TOKEN: admin.getToken(), MM_BOT: 'ops-bot' };
      const out1 = collector();
      const first = await run({ env, print: out1.print });
      expect(out1.lines[0]).to.equal('admin: created bot @ops-bot');
      const botId = mock.store.findOne('users', 'username', 'ops-bot')!.id;
      expect(first.botUserId).to.equal(botId);

      await admin.updateUserActive(botId, false);
      const out2 = collector();
      const second = await run({ env, print: out2.print });
      expect(out2.lines[0]).to.equal('admin: reactivated the existing bot @ops-bot');
      expect(second.botUserId).to.equal(botId);
      expect(second.tokenId).to.not.equal(first.tokenId);
      expect(mock.store.get('users', botId)!.delete_at).to.equal(0);
      expect(mock.store.findMany('tokens', 'user_id', botId)).to.deep.equal([]);
    });

    it('refuses (exit 2) to deactivate an account that is not a bot', async () => {
      const err = await failureOf(run({ env: { MM_URL: mock.url, MM_TOKEN: admin.getToken(), MM_BOT: 'user-1' }, print: () => {} }));
      expect(err.exitCode).to.equal(2);
      expect(err.message).to.match(/^@user-1 is not a bot account/);
      expect(mock.store.get('users', mock.seeded.user1.id)!.delete_at).to.equal(0);
      expect(events).to.deep.equal([]);
    });

    it('exit 1 with a reason when bots cannot be created', async () => {
      await admin.patchConfig({ ServiceSettings: { EnableBotAccountCreation: false } });
      const err = await failureOf(run({ env: { MM_URL: mock.url, MM_TOKEN: admin.getToken() }, print: () => {} }));
      expect(err.exitCode).to.equal(1);
      expect(err.message).to.equal('cannot create bot @pat-lifecycle-bot: 403 api.bot.create_disabled (is bot account creation enabled?)');
    });
  });

  it('as a process with no environment: runs the demo and exits 0', async () => {
    const res = await runExample('deactivate-reactivate');
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stderr).to.equal('');
    expect(res.stdout).to.include(`2. account deactivated: GET /users/me with the token -> ${SESSION_EXPIRED}; sessions of the account: 0`);
    expect(res.stdout).to.include('4b. token enabled: GET /users/me with the token -> ok (@lifecycle-bot); sessions of this token: 1');
    expect(res.stdout).to.match(/^done: works -> deactivated/m);
  });

  it('as a process with MM_TOKEN only: exits 2 with one line', async () => {
    const res = await runExample('deactivate-reactivate', [], bareEnv({ MM_TOKEN: 'x' }));
    expect(res.code).to.equal(2);
    expect(res.stderr).to.equal('error: set both MM_URL and MM_TOKEN (or neither, for the demo)\n');
  });
});
