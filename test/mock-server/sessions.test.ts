import { expect } from 'chai';
import {
  API, UNKNOWN_ID, bearer, createPat, expectError, expectPermission, login, meStatus, setRoles, startTestMock, type TestMock,
} from './support/mock.js';
import { PRIMARY_KEY, type CollectionName } from '../../mock-server/db/schema.js';

const PAT_LIFETIME = 3_153_600_000_000;

/** Everything the store holds, as one string, plus its commit count: equal before/after = nothing written. */
function dump(t: TestMock): string {
  const collections = Object.keys(PRIMARY_KEY) as CollectionName[];
  return JSON.stringify([t.mock.store.config, ...collections.map((c) => [...t.mock.store.all(c)])]);
}

describe('mock server: sessions', () => {
  let t: TestMock;
  beforeEach(async () => { t = await startTestMock({ developerMode: true }); });
  afterEach(async () => { await t.mock.close(); });

  it('lists PAT sessions with Mattermost\'s shape: blank token, UserAccessToken props, +100 years, team_members', async () => {
    await setRoles(t, t.userId, 'system_user system_user_access_token');
    const before = Date.now();
    const pat = await createPat(t, t.user);
    expect(await meStatus(t, pat.token)).to.equal(200);
    const res = await t.http.get(`${API}/users/me/sessions`).set(bearer(t.user));
    expect(res.status).to.equal(200);
    const patSession = (res.body as Array<Record<string, unknown>>).find((s) => (s.props as Record<string, string>).type === 'UserAccessToken');
    expect(patSession).to.not.equal(undefined);
    const s = patSession as Record<string, unknown>;
    expect(Object.keys(s)).to.deep.equal(['id', 'token', 'create_at', 'expires_at', 'last_activity_at', 'user_id', 'device_id', 'roles', 'is_oauth', 'expired_notify', 'props', 'team_members', 'local']);
    expect(s).to.include({ token: '', user_id: t.userId, device_id: '', is_oauth: false, roles: 'system_user system_user_access_token' });
    expect(s.props).to.deep.equal({ type: 'UserAccessToken', user_access_token_id: pat.id, is_guest: 'false' });
    expect(s.expires_at as number).to.be.at.least(before + PAT_LIFETIME).and.at.most(Date.now() + PAT_LIFETIME);
    expect(s.team_members).to.be.an('array').with.lengthOf(1);
    expect((s.team_members as Array<{ team_id: string }>)[0]?.team_id).to.equal(t.mock.seeded.team?.id);
    const loginSession = (res.body as Array<{ props: Record<string, string> }>).find((x) => x.props.type === undefined);
    expect(loginSession?.props.csrf).to.have.lengthOf(26);
    expect(JSON.stringify(res.body)).not.to.include(pat.token).and.not.include(t.user);
  });

  it('clamps the PAT session expiry to the token expiry', async () => {
    const expiresAt = Date.now() + 3_600_000;
    const pat = await createPat(t, t.admin, 'me', { description: 'short', expires_at: expiresAt });
    expect(await meStatus(t, pat.token)).to.equal(200);
    const [session] = t.mock.store.findMany('sessions', 'token_id', pat.id);
    expect(session?.expires_at).to.equal(expiresAt);
  });

  it('caps PAT sessions apart from login sessions: first uses past 500 PAT sessions evict PAT sessions, never the login session', async () => {
    const now = Date.now();
    // 499 PAT sessions already (older than the login session), then 11 first uses through the API.
    await t.mock.store.commit(Array.from({ length: 499 }, (_, i) => ({
      op: 'put' as const,
      collection: 'sessions' as const,
      record: {
        id: `patfill${String(i).padStart(19, '0')}`, token_digest: `pat-digest-${i}`, user_id: t.adminId, create_at: now - 100_000 + i,
        expires_at: now + 3_600_000, last_activity_at: now - 100_000 + i, device_id: '', roles: 'system_admin system_user', is_oauth: false,
        props: { type: 'UserAccessToken', user_access_token_id: `tok${String(i).padStart(23, '0')}`, is_guest: 'false' },
      },
    })));
    const loginSessions = t.mock.store.findMany('sessions', 'user_id', t.adminId).filter((s) => s.props.type !== 'UserAccessToken');
    expect(loginSessions).to.have.lengthOf(1);
    const loginSession = loginSessions[0];
    // The login session is the least recently used row of all: with one shared cap it would go first.
    await t.mock.store.commit([{ op: 'put', collection: 'sessions', record: { ...loginSession!, last_activity_at: now - 200_000 } }]);
    const revoked: string[] = [];
    t.mock.hooks.on('session.revoked', ({ sessionId }) => { revoked.push(sessionId); });
    for (let i = 0; i < 11; i++) {
      const pat = await createPat(t, t.admin, 'me', { description: `burst ${i}` });
      expect(await meStatus(t, pat.token)).to.equal(200);
    }
    const sessions = t.mock.store.findMany('sessions', 'user_id', t.adminId);
    expect(sessions.filter((s) => s.props.type === 'UserAccessToken')).to.have.lengthOf(500);
    expect(t.mock.store.get('sessions', loginSession!.id), 'the login session stays').to.not.equal(undefined);
    expect(revoked).to.have.lengthOf(10).and.not.include(loginSession!.id);
    expect(t.mock.store.get('sessions', `patfill${'0'.repeat(19)}`), 'least recently used PAT session is gone').to.equal(undefined);
    expect(await meStatus(t, t.admin), 'still logged in').to.equal(200);
  });

  it('caps login sessions at 500: a new login revokes the least recently used login session, never a PAT session', async () => {
    const pat = await createPat(t, t.admin);
    expect(await meStatus(t, pat.token)).to.equal(200);
    const now = Date.now();
    await t.mock.store.commit(Array.from({ length: 499 }, (_, i) => ({
      op: 'put' as const,
      collection: 'sessions' as const,
      record: {
        id: `logfill${String(i).padStart(19, '0')}`, token_digest: `login-digest-${i}`, user_id: t.adminId, create_at: now - 100_000 + i,
        expires_at: now + 3_600_000, last_activity_at: now - 100_000 + i, device_id: '', roles: 'system_admin system_user', is_oauth: false, props: { csrf: 'x' },
      },
    })));
    const patSession = t.mock.store.findMany('sessions', 'token_id', pat.id)[0];
    await t.mock.store.commit([{ op: 'put', collection: 'sessions', record: { ...patSession!, last_activity_at: now - 300_000 } }]);
    const fresh = await login(t.http, 'sysadmin', 'Sys@dmin-sample1');
    const sessions = t.mock.store.findMany('sessions', 'user_id', t.adminId);
    expect(sessions.filter((s) => s.props.type !== 'UserAccessToken')).to.have.lengthOf(500);
    expect(t.mock.store.get('sessions', `logfill${'0'.repeat(19)}`), 'least recently used login session is gone').to.equal(undefined);
    expect(t.mock.store.get('sessions', patSession!.id), 'the PAT session stays').to.not.equal(undefined);
    expect(await meStatus(t, fresh)).to.equal(200);
    expect(await meStatus(t, pat.token)).to.equal(200);
  });

  it('a refused ?access_token=<PAT> request writes nothing: no session row, no commit; the PAT\'s first real use still mints one', async () => {
    const pat = await createPat(t, t.admin);
    const before = dump(t);
    let commits = 0;
    const commit = t.mock.store.commit.bind(t.mock.store);
    t.mock.store.commit = (mutations) => { commits += 1; return commit(mutations); };
    for (const path of ['/users/me', '/system/ping', '/users/me/tokens']) {
      const res = await t.http.get(`${API}${path}?access_token=${pat.token}`);
      expectError(res, 401, 'api.context.token_provided.app_error');
    }
    // An unknown query token is refused as any bad token, and writes nothing either.
    expectError(await t.http.get(`${API}/users/me?access_token=${'q'.repeat(26)}`), 401, 'api.context.session_expired.app_error');
    expect(commits).to.equal(0);
    expect(dump(t)).to.equal(before);
    expect(t.mock.store.findMany('sessions', 'token_id', pat.id)).to.deep.equal([]);
    // Refusals were not cached as principals either: the header use mints the row now, and the query is still refused.
    expect(await meStatus(t, pat.token)).to.equal(200);
    const minted = t.mock.store.findMany('sessions', 'token_id', pat.id);
    expect(minted).to.have.lengthOf(1);
    const afterMint = dump(t);
    expectError(await t.http.get(`${API}/users/me?access_token=${pat.token}`), 401, 'api.context.token_provided.app_error');
    expect(dump(t)).to.equal(afterMint);
  });

  it('400 malformed id, 403 edit_other_users for someone else\'s sessions, admins may list them', async () => {
    expectError(await t.http.get(`${API}/users/123/sessions`).set(bearer(t.user)), 400, 'api.context.invalid_url_param.app_error');
    expectPermission(await t.http.get(`${API}/users/${t.adminId}/sessions`).set(bearer(t.user)), 'edit_other_users');
    const res = await t.http.get(`${API}/users/${t.userId}/sessions`).set(bearer(t.admin));
    expect(res.status).to.equal(200);
    expect(res.body).to.have.lengthOf(1);
  });

  it('revoke one session: checks in order, then the session is gone (a PAT mints a fresh one)', async () => {
    const pat = await createPat(t, t.admin);
    expect(await meStatus(t, pat.token)).to.equal(200);
    const [patSession] = t.mock.store.findMany('sessions', 'token_id', pat.id);
    const id = patSession?.id ?? '';
    expectPermission(await t.http.post(`${API}/users/${t.adminId}/sessions/revoke`).set(bearer(t.user)).send({ session_id: id }), 'edit_other_users');
    const empty = await t.http.post(`${API}/users/${t.adminId}/sessions/revoke`).set(bearer(t.admin)).send({});
    expectError(empty, 400, 'api.context.invalid_body_param.app_error');
    expect(empty.body.message).to.include('session_id');
    expectError(await t.http.post(`${API}/users/${t.adminId}/sessions/revoke`).set(bearer(t.admin)).send({ session_id: UNKNOWN_ID }), 400, 'app.session.get.app_error');
    expectError(await t.http.post(`${API}/users/${t.userId}/sessions/revoke`).set(bearer(t.admin)).send({ session_id: id }), 400, 'api.context.invalid_url_param.app_error');
    const revoked: string[] = [];
    t.mock.hooks.on('session.revoked', ({ sessionId }) => { revoked.push(sessionId); });
    const res = await t.http.post(`${API}/users/${t.adminId}/sessions/revoke`).set(bearer(t.admin)).send({ session_id: id });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ status: 'OK' });
    expect(revoked).to.deep.equal([id]);
    expect(t.mock.store.get('sessions', id)).to.equal(undefined);
    expect(await meStatus(t, pat.token)).to.equal(200);
    expect(t.mock.store.findMany('sessions', 'token_id', pat.id)[0]?.id).to.not.equal(id);
  });

  it('revoking a login session refuses its token at once', async () => {
    const token = await login(t.http, 'user-1', 'SampleUs@r-1');
    const sessions = t.mock.store.findMany('sessions', 'user_id', t.userId);
    const target = sessions.at(-1);
    await t.http.post(`${API}/users/me/sessions/revoke`).set(bearer(t.user)).send({ session_id: target?.id }).expect(200);
    expect(await meStatus(t, token)).to.equal(401);
    expect(await meStatus(t, t.user)).to.equal(200);
  });

  it('revoke all: every session of the user goes (login and PAT); the token itself survives', async () => {
    const pat = await createPat(t, t.admin, t.userId);
    expect(await meStatus(t, pat.token)).to.equal(200);
    expectPermission(await t.http.post(`${API}/users/${t.adminId}/sessions/revoke/all`).set(bearer(t.user)), 'edit_other_users');
    await t.http.post(`${API}/users/${t.userId}/sessions/revoke/all`).set(bearer(t.admin)).expect(200);
    expect(t.mock.store.findMany('sessions', 'user_id', t.userId)).to.deep.equal([]);
    expect(await meStatus(t, t.user)).to.equal(401);
    expect(await meStatus(t, pat.token)).to.equal(200);
    expect(await meStatus(t, t.admin), 'other users untouched').to.equal(200);
  });
});
