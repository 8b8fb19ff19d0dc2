import { expect } from 'chai';
import { API, bearer, createPat, expectError, login, meStatus, startTestMock, type TestMock } from './support/mock.js';

describe('mock server: login and logout', () => {
  let t: TestMock;
  beforeEach(async () => { t = await startTestMock(); });
  afterEach(async () => { await t.mock.close(); });

  it('answers 200 with the self view of the user and the session token in the Token header, no cookies for plain clients', async () => {
    const res = await t.http.post(`${API}/users/login`).send({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' });
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.equal('application/json');
    expect(res.headers.token).to.have.lengthOf(26);
    expect(res.headers['set-cookie']).to.equal(undefined);
    expect(res.body).to.include({ id: t.adminId, username: 'sysadmin', auth_data: '', roles: 'system_admin system_user' });
    for (const key of ['password', 'password_hash', 'mfa_secret']) expect(res.body).not.to.have.property(key);
    expect(await meStatus(t, res.headers.token as string)).to.equal(200);
    const stored = t.mock.store.findMany('sessions', 'user_id', t.adminId);
    expect(JSON.stringify(stored)).not.to.include(res.headers.token as string);
  });

  it('accepts the email as login_id, case-insensitively', async () => {
    const token = await login(t.http, 'User-1@Sample.Mattermost.com', 'SampleUs@r-1');
    expect(await meStatus(t, token)).to.equal(200);
  });

  it('sets MMAUTHTOKEN (HttpOnly), MMUSERID and MMCSRF with X-Requested-With: XMLHttpRequest; the cookie authenticates', async () => {
    const res = await t.http.post(`${API}/users/login`).set('X-Requested-With', 'XMLHttpRequest').send({ login_id: 'user-1', password: 'SampleUs@r-1' });
    expect(res.status).to.equal(200);
    const cookies = res.headers['set-cookie'] as unknown as string[];
    const find = (name: string) => cookies.find((c) => c.startsWith(`${name}=`)) ?? '';
    expect(find('MMAUTHTOKEN')).to.include(`MMAUTHTOKEN=${String(res.headers.token)}`).and.include('HttpOnly');
    expect(find('MMUSERID')).to.include(`MMUSERID=${t.userId}`).and.not.include('HttpOnly');
    const csrf = /^MMCSRF=([^;]+)/.exec(find('MMCSRF'))?.[1] ?? '';
    expect(csrf).to.have.lengthOf(26);
    const me = await t.http.get(`${API}/users/me`).set('Cookie', `MMAUTHTOKEN=${String(res.headers.token)}`);
    expect(me.status).to.equal(200);
    expect(me.body.id).to.equal(t.userId);
    // cookie-borne POST without CSRF header nor X-Requested-With: refused as a CSRF attempt
    const csrfFail = await t.http.post(`${API}/users/me/tokens`).set('Cookie', `MMAUTHTOKEN=${String(res.headers.token)}`).send({ description: 'x' });
    expectError(csrfFail, 401, 'api.context.session_expired.app_error');
    const withCsrf = await t.http.post(`${API}/users/me/tokens`).set('Cookie', `MMAUTHTOKEN=${String(res.headers.token)}`).set('X-CSRF-Token', csrf).send({ description: 'x' });
    expectError(withCsrf, 403, 'api.context.permissions.app_error');
  });

  it('cookie + X-Requested-With passes the CSRF check unless ExperimentalStrictCSRFEnforcement is on', async () => {
    const res = await t.http.post(`${API}/users/login`).set('X-Requested-With', 'XMLHttpRequest').send({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' });
    const cookie = `MMAUTHTOKEN=${String(res.headers.token)}`;
    const patch = (strict: boolean) => t.http.put(`${API}/config/patch`).set('Cookie', cookie).set('X-Requested-With', 'XMLHttpRequest')
      .send({ ServiceSettings: { ExperimentalStrictCSRFEnforcement: strict } });
    expect((await patch(true)).status).to.equal(200);
    expectError(await patch(false), 401, 'api.context.session_expired.app_error');
    await t.http.put(`${API}/config/patch`).set(bearer(t.admin)).send({ ServiceSettings: { ExperimentalStrictCSRFEnforcement: false } }).expect(200);
    expect((await patch(false)).status).to.equal(200);
  });

  it('masks unknown users and wrong passwords as one 401 and counts failed attempts', async () => {
    for (const body of [{ login_id: 'nobody', password: 'whatever1' }, { login_id: 'user-1', password: 'wrong-password' }]) {
      const res = await t.http.post(`${API}/users/login`).send(body);
      expectError(res, 401, 'api.user.login.invalid_credentials_email_username');
      expect(res.headers.token).to.equal(undefined);
    }
    expect(t.mock.store.get('users', t.userId)?.failed_attempts).to.equal(1);
    await login(t.http, 'user-1', 'SampleUs@r-1');
    expect(t.mock.store.get('users', t.userId)?.failed_attempts).to.equal(0);
  });

  it('400 blank password; garbage bodies are read as empty maps, hence also blank_pwd', async () => {
    expectError(await t.http.post(`${API}/users/login`).send({ login_id: 'user-1', password: '' }), 400, 'api.user.login.blank_pwd.app_error');
    for (const body of ['nonsense', '[1]', '{"login_id":"user-1","password":5}']) {
      const res = await t.http.post(`${API}/users/login`).set('Content-Type', 'application/json').send(body);
      expectError(res, 400, 'api.user.login.blank_pwd.app_error');
    }
  });

  it('locks the account after MaximumLoginAttempts failures (401 too_many, even with the right password)', async () => {
    await t.http.put(`${API}/config/patch`).set(bearer(t.admin)).send({ ServiceSettings: { MaximumLoginAttempts: 2 } }).expect(200);
    for (let i = 0; i < 2; i++) {
      expectError(await t.http.post(`${API}/users/login`).send({ login_id: 'user-1', password: 'nope-nope' }), 401, 'api.user.login.invalid_credentials_email_username');
    }
    expectError(await t.http.post(`${API}/users/login`).send({ login_id: 'user-1', password: 'SampleUs@r-1' }), 401, 'api.user.check_user_login_attempts.too_many.app_error');
  });

  it('refuses deactivated users (401 inactive) and bots (401 bot_login_forbidden)', async () => {
    await t.mock.close();
    t = await startTestMock({
      seed: {
        users: [
          { username: 'sysadmin', password: 'Sys@dmin-sample1', roles: 'system_admin system_user' },
          { username: 'user-1', password: 'SampleUs@r-1' },
          { username: 'gone', password: 'Gone-pass1', deactivated: true },
        ],
        bots: [{ username: 'robot', owner: 'sysadmin' }],
      },
    });
    expectError(await t.http.post(`${API}/users/login`).send({ login_id: 'gone', password: 'Gone-pass1' }), 401, 'api.user.login.inactive.app_error');
    expectError(await t.http.post(`${API}/users/login`).send({ login_id: 'robot', password: 'anything1' }), 401, 'api.user.login.bot_login_forbidden.app_error');
  });

  it('ignores a bad token on login (APIHandler)', async () => {
    const res = await t.http.post(`${API}/users/login`).set(bearer('aaaaaaaaaaaaaaaaaaaaaaaaaa')).send({ login_id: 'user-1', password: 'SampleUs@r-1' });
    expect(res.status).to.equal(200);
  });

  it('logout deletes the calling session (next request 401) and expires the cookies', async () => {
    const token = await login(t.http, 'user-1', 'SampleUs@r-1');
    const res = await t.http.post(`${API}/users/logout`).set(bearer(token));
    expect(res.status).to.equal(200);
    expect(res.text).to.equal('{"status":"OK"}');
    expect((res.headers['set-cookie'] as unknown as string[]).some((c) => c.startsWith('MMAUTHTOKEN=;') && c.includes('Max-Age=0'))).to.equal(true);
    expect(await meStatus(t, token)).to.equal(401);
    expect(await meStatus(t, t.user), 'other sessions untouched').to.equal(200);
    expect((await t.http.post(`${API}/users/logout`)).status, 'anonymous logout is fine').to.equal(200);
  });

  it('logout with a PAT deletes only its session: the token keeps working with a fresh session', async () => {
    const pat = await createPat(t, t.admin);
    expect(await meStatus(t, pat.token)).to.equal(200);
    const [first] = t.mock.store.findMany('sessions', 'token_id', pat.id);
    await t.http.post(`${API}/users/logout`).set(bearer(pat.token)).expect(200);
    expect(t.mock.store.get('sessions', first?.id ?? '')).to.equal(undefined);
    expect(await meStatus(t, pat.token)).to.equal(200);
    const [second] = t.mock.store.findMany('sessions', 'token_id', pat.id);
    expect(second?.id).to.be.a('string').and.not.equal(first?.id);
  });
});
