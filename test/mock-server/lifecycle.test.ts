/**
 * The whole token lifecycle over supertest, as the issue describes it: enable the feature, grant
 * the role, create a token, use it, post with post:all into a private channel and a DM,
 * disable/enable, deactivate/reactivate, flag off (bot token and password session unaffected),
 * revoke.
 */
import { expect } from 'chai';
import { defaultSeed } from '../../mock-server/index.js';
import {
  API, bearer, createPat, expectError, login, meStatus, setRoles, startTestMock, type TestMock,
} from './support/mock.js';

describe('mock server: the whole token lifecycle (supertest)', () => {
  let t: TestMock;
  before(async () => {
    const seed = defaultSeed();
    t = await startTestMock({ seed: { ...seed, bots: [{ username: 'lifecycle-bot', owner: 'sysadmin' }], config: undefined } });
  });
  after(async () => { await t.mock.close(); });

  it('walks every step with the effect visible on the very next request', async () => {
    const patch = (settings: Record<string, unknown>) => t.http.put(`${API}/config/patch`).set(bearer(t.admin)).send({ ServiceSettings: settings }).expect(200);

    // feature off by default: creating a token is 501
    expectError(await t.http.post(`${API}/users/me/tokens`).set(bearer(t.admin)).send({ description: 'x' }), 501, 'app.user_access_token.disabled');
    // 1. enable the feature
    await patch({ EnableUserAccessTokens: true });
    expect((await t.http.get(`${API}/config/client?format=old`)).body.EnableUserAccessTokens).to.equal('true');
    // 2. grant the role (plus post:all)
    expectError(await t.http.post(`${API}/users/me/tokens`).set(bearer(t.user)).send({ description: 'x' }), 403, 'api.context.permissions.app_error');
    await setRoles(t, t.userId, 'system_user system_user_access_token system_post_all');
    // 3. create a token, 4. use it
    const pat = await createPat(t, t.user, 'me', { description: 'lifecycle' });
    const me = await t.http.get(`${API}/users/me`).set(bearer(pat.token));
    expect(me.status).to.equal(200);
    expect(me.body.id).to.equal(t.userId);
    // 5. post with post:all into a private channel and a DM the user is not a member of
    const privateId = t.mock.seeded.channels['private-1']?.id ?? '';
    const inPrivate = await t.http.post(`${API}/posts`).set(bearer(pat.token)).send({ channel_id: privateId, message: 'into private' });
    expect(inPrivate.status, JSON.stringify(inPrivate.body)).to.equal(201);
    expect(inPrivate.body).to.include({ user_id: t.userId, channel_id: privateId });
    const third = await t.http.post(`${API}/users`).set(bearer(t.admin)).send({ username: 'third', email: 'third@example.com', password: 'Third-pass1' });
    const dm = await t.http.post(`${API}/channels/direct`).set(bearer(t.admin)).send([t.adminId, third.body.id]);
    expect(dm.status).to.equal(201);
    const inDm = await t.http.post(`${API}/posts`).set(bearer(pat.token)).send({ channel_id: dm.body.id, message: 'into a DM' });
    expect(inDm.status, JSON.stringify(inDm.body)).to.equal(201);
    // 6. disable → 401; enable → the same secret works
    await t.http.post(`${API}/users/tokens/disable`).set(bearer(t.admin)).send({ token_id: pat.id }).expect(200);
    expect(await meStatus(t, pat.token)).to.equal(401);
    await t.http.post(`${API}/users/tokens/enable`).set(bearer(t.admin)).send({ token_id: pat.id }).expect(200);
    expect(await meStatus(t, pat.token)).to.equal(200);
    // 7. deactivate → 401 (the login session is gone too); reactivate → the same token works
    await t.http.put(`${API}/users/${t.userId}/active`).set(bearer(t.admin)).send({ active: false }).expect(200);
    expect(await meStatus(t, pat.token)).to.equal(401);
    expect(await meStatus(t, t.user)).to.equal(401);
    await t.http.put(`${API}/users/${t.userId}/active`).set(bearer(t.admin)).send({ active: true }).expect(200);
    expect(await meStatus(t, pat.token)).to.equal(200);
    // 8. flag off: the token 401 at once, a password session fine, a bot token fine
    const botId = t.mock.seeded.bots['lifecycle-bot']?.id ?? '';
    const botPat = await createPat(t, t.admin, botId, { description: 'bot' });
    const userSession = await login(t.http, 'user-1', 'SampleUs@r-1');
    await patch({ EnableUserAccessTokens: false });
    expect(await meStatus(t, pat.token)).to.equal(401);
    expect(await meStatus(t, userSession)).to.equal(200);
    expect(await meStatus(t, botPat.token)).to.equal(200);
    await patch({ EnableUserAccessTokens: true });
    expect(await meStatus(t, pat.token)).to.equal(200);
    // 9. revoke → 401 for good, 404 on get
    await t.http.post(`${API}/users/tokens/revoke`).set(bearer(userSession)).send({ token_id: pat.id }).expect(200);
    expect(await meStatus(t, pat.token)).to.equal(401);
    expectError(await t.http.get(`${API}/users/tokens/${pat.id}`).set(bearer(t.admin)), 404, 'app.user_access_token.get_by_user.app_error');
    expect(await meStatus(t, pat.token)).to.equal(401);
  });
});
