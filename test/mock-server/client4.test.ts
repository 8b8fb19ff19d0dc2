/**
 * The same lifecycle with the official `@mattermost/client` Client4 over real HTTP against
 * `startMockServer({ port: 0 })`: the client must work unchanged (Token header on login,
 * exact `application/json`, Mattermost error bodies surfacing as ClientError ids).
 */
import { Client4 } from '@mattermost/client';
import { expect } from 'chai';
import { defaultSeed, type MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';

interface ClientErrorLike { status_code?: number; server_error_id?: string }

/** The status and error id a Client4 call fails with (or an assertion error when it succeeds). */
async function failure(call: Promise<unknown>): Promise<{ status: number | undefined; id: string | undefined }> {
  try {
    await call;
  } catch (err) {
    const e = err as ClientErrorLike;
    return { status: e.status_code, id: e.server_error_id };
  }
  throw new Error('expected the call to fail');
}

function client(url: string): Client4 {
  const c = new Client4();
  c.setUrl(url);
  return c;
}

describe('mock server: the lifecycle with the official Client4 over HTTP', () => {
  let mock: MockServer;
  before(async () => {
    const seed = defaultSeed();
    mock = await startMockServer({ port: 0, inMemory: true, seed: { ...seed, bots: [{ username: 'client4-bot', owner: 'sysadmin' }], config: undefined } });
  });
  after(async () => { await mock.close(); });

  it('works unchanged end to end', async () => {
    expect(mock.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const admin = client(mock.url);
    const adminUser = await admin.login('sysadmin', 'Sys@dmin-sample1');
    expect(adminUser.username).to.equal('sysadmin');
    expect(admin.getToken()).to.have.lengthOf(26);
    expect((await admin.ping(false) as { status: string }).status).to.equal('OK');

    const user = client(mock.url);
    const me0 = await user.login('user-1', 'SampleUs@r-1');
    const userId = me0.id;

    // feature off by default → 501; enable it
    expect(await failure(admin.createUserAccessToken(adminUser.id, 'x'))).to.deep.equal({ status: 501, id: 'app.user_access_token.disabled' });
    await admin.patchConfig({ ServiceSettings: { EnableUserAccessTokens: true } } as never);
    expect((await admin.getClientConfig() as Record<string, string>).EnableUserAccessTokens).to.equal('true');

    // grant the role; create and use a token
    expect((await failure(user.createUserAccessToken(userId, 'x'))).status).to.equal(403);
    await admin.updateUserRoles(userId, 'system_user system_user_access_token system_post_all');
    const created = await user.createUserAccessToken(userId, 'client4');
    expect(created).to.include({ user_id: userId, description: 'client4', is_active: true });
    expect(created.token).to.have.lengthOf(26);
    const pat = client(mock.url);
    pat.setToken(created.token ?? '');
    expect((await pat.getMe()).id).to.equal(userId);
    const got = await admin.getUserAccessToken(created.id);
    expect(got).to.not.have.property('token');
    expect((await user.getUserAccessTokensForUser(userId)).map((x) => x.id)).to.deep.equal([created.id]);

    // post:all into a private channel and a DM
    const privateId = mock.seeded.channels['private-1']?.id ?? '';
    const p1 = await pat.createPost({ channel_id: privateId, message: 'client4 private' } as never);
    expect(p1.user_id).to.equal(userId);
    const third = await admin.createUser({ username: 'c4-third', email: 'c4@example.com', password: 'Third-pass1' } as never, '', '', '');
    const dm = await admin.createDirectChannel([adminUser.id, third.id]);
    const p2 = await pat.createPost({ channel_id: dm.id, message: 'client4 dm' } as never);
    expect(p2.channel_id).to.equal(dm.id);

    // sessions: the PAT session as Mattermost shows it
    const sessions = await user.getSessions(userId);
    const patSession = sessions.find((s) => s.props?.type === 'UserAccessToken');
    expect(patSession?.props).to.deep.include({ user_access_token_id: created.id });
    expect(patSession?.token).to.equal('');

    // disable / enable
    await admin.disableUserAccessToken(created.id);
    expect(await failure(pat.getMe())).to.deep.equal({ status: 401, id: 'api.context.session_expired.app_error' });
    await admin.enableUserAccessToken(created.id);
    expect((await pat.getMe()).id).to.equal(userId);

    // deactivate / reactivate
    await admin.updateUserActive(userId, false);
    expect((await failure(pat.getMe())).status).to.equal(401);
    await admin.updateUserActive(userId, true);
    expect((await pat.getMe()).id).to.equal(userId);

    // flag off: token 401 at once, password session and bot token fine
    const botId = mock.seeded.bots['client4-bot']?.id ?? '';
    const botToken = await admin.createUserAccessToken(botId, 'bot');
    const bot = client(mock.url);
    bot.setToken(botToken.token ?? '');
    const userAgain = client(mock.url);
    await userAgain.login('user-1', 'SampleUs@r-1');
    await admin.patchConfig({ ServiceSettings: { EnableUserAccessTokens: false } } as never);
    expect((await failure(pat.getMe())).status).to.equal(401);
    expect((await userAgain.getMe()).id).to.equal(userId);
    expect((await bot.getMe()).id).to.equal(botId);
    await admin.patchConfig({ ServiceSettings: { EnableUserAccessTokens: true } } as never);
    expect((await pat.getMe()).id).to.equal(userId);

    // revoke: 401 for good, 404 on get
    await userAgain.revokeUserAccessToken(created.id);
    expect((await failure(pat.getMe())).status).to.equal(401);
    expect(await failure(admin.getUserAccessToken(created.id))).to.deep.equal({ status: 404, id: 'app.user_access_token.get_by_user.app_error' });

    // logout
    const sessionToken = userAgain.getToken();
    await userAgain.logout();
    const stale = client(mock.url);
    stale.setToken(sessionToken);
    expect((await failure(stale.getMe())).status).to.equal(401);
  });
});
