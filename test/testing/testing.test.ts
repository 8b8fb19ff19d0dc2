/**
 * mattermost-pat/testing: the suite mock in one call, over real HTTP with the official Client4,
 * and the vitest/jest hook modules wired to recorded global hooks (the runners themselves are not
 * installed; mocha and node:test run for real in runners.test.ts).
 */
import { expect } from 'chai';
import mattermostClient from '@mattermost/client';
import { startTestMattermost, testSeed, useWithHooks, type TestMattermost } from '../../mock-server/testing/index.js';

const { ClientError } = mattermostClient;

async function statusOf(call: () => Promise<unknown>): Promise<number> {
  try {
    await call();
    return 200;
  } catch (err) {
    if (err instanceof ClientError && typeof err.status_code === 'number') return err.status_code;
    throw err;
  }
}

describe('mattermost-pat/testing', () => {
  let mm: TestMattermost | undefined;
  afterEach(async () => { await mm?.close(); mm = undefined; });

  it('startTestMattermost: a url on a free port and an admin Client4 logged in as the seeded sysadmin', async () => {
    mm = await startTestMattermost();
    expect(mm.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const me = await mm.admin.getMe();
    expect([me.username, me.roles]).to.deep.equal(['sysadmin', 'system_admin system_user']);
    expect(mm.mock.store.config.ServiceSettings.EnableBotAccountCreation).to.equal(true);
  });

  it('createBot({ roles }): a bot with those roles and a working token; createToken(userId) for a user', async () => {
    mm = await startTestMattermost();
    const bot = await mm.createBot({ roles: 'system_user system_post_all' });
    expect(bot.username).to.equal('test-bot-1');
    expect(bot.token).to.match(/^[a-z0-9]{26}$/);
    const me = await bot.client.getMe();
    expect([me.id, me.is_bot, me.roles]).to.deep.equal([bot.userId, true, 'system_user system_post_all']);
    const second = await mm.createBot({ username: 'named-bot', display_name: 'Named' });
    expect((await second.client.getMe()).roles).to.equal('system_user');

    const token = await mm.createToken(mm.seeded.user1.id, 'for user-1');
    expect((await mm.client(token.token).getMe()).username).to.equal('user-1');
    expect(await statusOf(() => mm!.client('a'.repeat(26)).getMe())).to.equal(401);
  });

  it('reset(): back to the seed (bots and tokens gone), the admin client works again', async () => {
    mm = await startTestMattermost();
    const bot = await mm.createBot();
    await mm.reset();
    expect(await statusOf(() => bot.client.getMe())).to.equal(401);
    expect(await statusOf(() => mm!.admin.getUser(bot.userId))).to.equal(404);
    expect((await mm.admin.getMe()).username).to.equal('sysadmin');
    // The bot name is free again, and a new one is numbered on.
    expect((await mm.createBot()).username).to.equal('test-bot-2');
  });

  it('advanceClock(ms) expires a token with expires_at; reset() puts the clock back', async () => {
    mm = await startTestMattermost();
    const now = mm.mock.clock.now();
    const created = await mm.admin.createUserAccessToken(mm.seeded.user1.id, 'short-lived', now + 60_000);
    const user = mm.client(created.token);
    expect((await user.getMe()).username).to.equal('user-1');
    mm.advanceClock(60_001);
    expect(await statusOf(() => user.getMe())).to.equal(401);
    await mm.reset();
    expect(mm.mock.clock.offsetMs).to.equal(0);
  });

  it('always in memory; a seed without a system admin is refused with a clear message', async () => {
    const seed = testSeed();
    seed.users = [{ username: 'plain', password: 'Passw0rd!', roles: 'system_user' }];
    seed.teams = [];
    seed.channels = [];
    let thrown: unknown;
    try {
      mm = await startTestMattermost({ seed });
    } catch (err) {
      thrown = err;
    }
    expect(String(thrown)).to.include('the seed has no user with the system_admin role');
  });

  it('useWithHooks: members throw before the suite starts; hooks start, reset each test, and close', async () => {
    const recorded: Record<'beforeAll' | 'afterAll' | 'beforeEach', Array<() => Promise<void>>> = { beforeAll: [], afterAll: [], beforeEach: [] };
    const handle = useWithHooks({
      beforeAll: (fn) => recorded.beforeAll.push(fn), afterAll: (fn) => recorded.afterAll.push(fn), beforeEach: (fn) => recorded.beforeEach.push(fn),
    }, { resetEach: true });
    expect(() => handle.url).to.throw('the mock is not started yet');
    expect(recorded.beforeAll).to.have.lengthOf(1);
    expect(recorded.beforeEach).to.have.lengthOf(1);
    await recorded.beforeAll[0]!();
    const bot = await handle.createBot();
    await recorded.beforeEach[0]!();
    expect(await statusOf(() => bot.client.getMe())).to.equal(401);
    const url = handle.url;
    await recorded.afterAll[0]!();
    expect(() => handle.url).to.throw('not started');
    expect(await fetch(`${url}/api/v4/system/ping`).then(() => 'answered', () => 'closed')).to.equal('closed');
  });

  for (const runner of ['vitest', 'jest'] as const) {
    it(`mattermost-pat/testing/${runner}: registers beforeAll/afterAll through the runner's globals; without them, a clear error`, async () => {
      const g = globalThis as Record<string, unknown>;
      const missing = await import(`../../mock-server/testing/${runner}.ts?no-globals`).then(() => 'loaded', (err: unknown) => String(err));
      expect(missing).to.include(`mattermost-pat/testing/${runner}: no ${runner} hooks`);

      const recorded: Array<[string, () => Promise<void>, unknown]> = [];
      for (const name of ['beforeAll', 'afterAll', 'beforeEach']) g[name] = (fn: () => Promise<void>, timeout: unknown) => recorded.push([name, fn, timeout]);
      try {
        const mod = (await import(`../../mock-server/testing/${runner}.ts?globals`)) as typeof import('../../mock-server/testing/vitest.js');
        const handle = mod.useTestMattermost();
        expect(recorded.map(([name, , timeout]) => [name, timeout])).to.deep.equal([['beforeAll', 30_000], ['afterAll', 30_000]]);
        await recorded[0]![1]();
        expect((await handle.admin.getMe()).username).to.equal('sysadmin');
        await recorded[1]![1]();
      } finally {
        for (const name of ['beforeAll', 'afterAll', 'beforeEach']) delete g[name];
      }
    });
  }
});
