import { expect } from 'chai';
import {
  API, bearer, createPat, expectError, expectPermission, meStatus, startTestMock, type TestMock,
} from './support/mock.js';

const SEED_WITH_BOT = {
  users: [
    { username: 'sysadmin', password: 'Sys@dmin-sample1', roles: 'system_admin system_user' },
    { username: 'user-1', password: 'SampleUs@r-1', roles: 'system_user system_user_access_token' },
  ],
  bots: [{ username: 'robot', owner: 'sysadmin', display_name: 'Robot' }],
  config: { ServiceSettings: { EnableUserAccessTokens: true } },
};

describe('mock server: config', () => {
  let t: TestMock;
  beforeEach(async () => { t = await startTestMock({ developerMode: true, seed: SEED_WITH_BOT }); });
  afterEach(async () => { await t.mock.close(); });

  it('GET /config needs manage_system', async () => {
    expectPermission(await t.http.get(`${API}/config`).set(bearer(t.user)), 'manage_system');
    const res = await t.http.get(`${API}/config`).set(bearer(t.admin));
    expect(res.status).to.equal(200);
    expect(res.body.ServiceSettings.EnableUserAccessTokens).to.equal(true);
    expect(res.body.ServiceSettings.DisableBotsWhenOwnerIsDeactivated).to.equal(true);
    expect(res.body.TeamSettings.EnableUserDeactivation).to.equal(false);
  });

  it('a seed without the setting leaves EnableUserAccessTokens false (Mattermost\'s default)', async () => {
    await t.mock.close();
    t = await startTestMock({ seed: { users: SEED_WITH_BOT.users } });
    expect(t.mock.store.config.ServiceSettings.EnableUserAccessTokens).to.equal(false);
    expect((await t.http.get(`${API}/config/client?format=old`)).body.EnableUserAccessTokens).to.equal('false');
  });

  it('PUT /config: decode before permission, typed settings, omitted settings back to defaults', async () => {
    for (const body of ['[]', 'nope', '{"ServiceSettings":5}', '{"ServiceSettings":{"EnableUserAccessTokens":"yes"}}', '{"ServiceSettings":{"MaximumLoginAttempts":1.5}}']) {
      const res = await t.http.put(`${API}/config`).set(bearer(t.user)).set('Content-Type', 'application/json').send(body);
      expectError(res, 400, 'api.context.invalid_body_param.app_error');
      expect(res.body.message).to.include('config');
    }
    expectPermission(await t.http.put(`${API}/config`).set(bearer(t.user)).send({ ServiceSettings: {} }), 'manage_system');
    const res = await t.http.put(`${API}/config`).set(bearer(t.admin)).send({ TeamSettings: { SiteName: 'Mock' }, CustomSettings: { Anything: 1 } });
    expect(res.status).to.equal(200);
    expect(res.body.TeamSettings.SiteName).to.equal('Mock');
    expect(res.body.CustomSettings).to.deep.equal({ Anything: 1 });
    expect(res.body.ServiceSettings.EnableUserAccessTokens).to.equal(false);
  });

  it('PUT /config/patch deep-merges and emits config.changed with the changed keys', async () => {
    const changes: string[][] = [];
    t.mock.hooks.on('config.changed', ({ keys }) => { changes.push(keys); });
    expectPermission(await t.http.put(`${API}/config/patch`).set(bearer(t.user)).send({ TeamSettings: { SiteName: 'x' } }), 'manage_system');
    const res = await t.http.put(`${API}/config/patch`).set(bearer(t.admin)).send({ TeamSettings: { SiteName: 'Patched' } });
    expect(res.status).to.equal(200);
    expect(res.body.TeamSettings).to.include({ SiteName: 'Patched', EnableUserDeactivation: false });
    expect(res.body.ServiceSettings.EnableUserAccessTokens).to.equal(true);
    expect(changes).to.deep.equal([['TeamSettings.SiteName']]);
    await t.http.put(`${API}/config/patch`).set(bearer(t.admin)).send({ TeamSettings: { SiteName: 'Patched' } }).expect(200);
    expect(changes, 'no change, no event').to.have.lengthOf(1);
  });

  it('a "__proto__" key in a patch is dropped, never merged into the config\'s prototype', async () => {
    const res = await t.http.put(`${API}/config/patch`).set(bearer(t.admin)).set('Content-Type', 'application/json')
      .send('{"TeamSettings":{"__proto__":{"polluted":true},"constructor":"kept as an unknown setting","SiteName":"Safe"}}');
    expect(res.status).to.equal(200);
    const teamSettings = t.mock.store.config.TeamSettings as Record<string, unknown>;
    expect(teamSettings.polluted).to.equal(undefined);
    expect(Object.getPrototypeOf(teamSettings)).to.equal(Object.prototype);
    expect(teamSettings.SiteName).to.equal('Safe');
    expect(Object.hasOwn(teamSettings, 'constructor')).to.equal(true);
  });

  it('GET /config/client?format=old needs no session and gives strings', async () => {
    const res = await t.http.get(`${API}/config/client?format=old`);
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.equal('application/json');
    expect(res.body.EnableUserAccessTokens).to.equal('true');
    expect(Object.values(res.body).every((v) => typeof v === 'string')).to.equal(true);
  });

  it('flag off: existing user PATs 401 at once, password sessions and bot tokens keep working; flag on revives them', async () => {
    const userPat = await createPat(t, t.user);
    const botId = t.mock.seeded.bots.robot?.id ?? '';
    const botPat = await createPat(t, t.admin, botId);
    expect(await meStatus(t, userPat.token)).to.equal(200);
    expect(await meStatus(t, botPat.token)).to.equal(200);
    expect(t.mock.store.findMany('sessions', 'token_id', botPat.id)[0]?.props).to.deep.equal({
      type: 'UserAccessToken', user_access_token_id: botPat.id, is_guest: 'false', is_bot: 'true',
    });
    await t.http.put(`${API}/config/patch`).set(bearer(t.admin)).send({ ServiceSettings: { EnableUserAccessTokens: false } }).expect(200);
    expect(await meStatus(t, userPat.token)).to.equal(401);
    expect(await meStatus(t, botPat.token)).to.equal(200);
    expect(await meStatus(t, t.user)).to.equal(200);
    expect((await t.http.get(`${API}/config/client?format=old`)).body.EnableUserAccessTokens).to.equal('false');
    expect(t.mock.store.get('tokens', userPat.id)?.is_active, 'tokens are kept').to.equal(true);
    expect((await t.http.get(`${API}/users/me/tokens`).set(bearer(t.user))).body, 'lists keep working').to.have.lengthOf(1);
    const botCreate = await t.http.post(`${API}/users/${botId}/tokens`).set(bearer(t.admin)).send({ description: 'bot2' });
    expect(botCreate.status, 'bot targets are exempt').to.equal(200);
    const log = t.mock.logs.lines().filter((l) => l.includes('token refused')).at(-1) ?? '';
    expect(log).to.include(userPat.id).and.include('feature_disabled').and.not.include(userPat.token);
    await t.http.put(`${API}/config/patch`).set(bearer(t.admin)).send({ ServiceSettings: { EnableUserAccessTokens: true } }).expect(200);
    expect(await meStatus(t, userPat.token)).to.equal(200);
  });
});
