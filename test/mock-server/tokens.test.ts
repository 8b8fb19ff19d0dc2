import { expect } from 'chai';
import {
  API, UNKNOWN_ID, bearer, createPat, expectError, expectPermission, meStatus, setRoles, startTestMock, type TestMock,
} from './support/mock.js';

const TOKEN_ROLE = 'system_user system_user_access_token';
const DAY = 86_400_000;

describe('mock server: personal access tokens', () => {
  let t: TestMock;
  beforeEach(async () => { t = await startTestMock({ developerMode: true }); });
  afterEach(async () => { await t.mock.close(); });

  describe('POST /users/{user_id}/tokens', () => {
    it('answers 200 with the full token JSON once, newline-terminated, and the secret works', async () => {
      const res = await t.http.post(`${API}/users/me/tokens`).set(bearer(t.admin)).send({ description: 'ci' });
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.equal('application/json');
      expect(res.text.endsWith('}\n')).to.equal(true);
      expect(Object.keys(res.body)).to.deep.equal(['id', 'token', 'user_id', 'description', 'is_active', 'expires_at']);
      expect(res.body).to.include({ user_id: t.adminId, description: 'ci', is_active: true, expires_at: 0 });
      expect(res.body.id).to.have.lengthOf(26);
      expect(res.body.token).to.have.lengthOf(26).and.not.equal(res.body.id);
      expect(await meStatus(t, res.body.token)).to.equal(200);
      const stored = t.mock.store.get('tokens', res.body.id);
      expect(JSON.stringify(stored)).not.to.include(res.body.token);
      expect(JSON.stringify([...t.mock.store.all('sessions')])).not.to.include(res.body.token);
    });

    it('requires a session (401)', async () => {
      const res = await t.http.post(`${API}/users/me/tokens`).send({ description: 'x' });
      expectError(res, 401, 'api.context.session_expired.app_error');
      expect(res.headers['www-authenticate']).to.match(/^Bearer realm="mattermost"/);
    });

    it('400 invalid_url_param user_id for a malformed id', async () => {
      const res = await t.http.post(`${API}/users/123/tokens`).set(bearer(t.admin)).send({ description: 'x' });
      expectError(res, 400, 'api.context.invalid_url_param.app_error');
      expect(res.body.message).to.equal('Invalid or missing user_id parameter in request URL.');
    });

    it('404 for an unknown user even when the caller has no permission (existence before permissions)', async () => {
      const res = await t.http.post(`${API}/users/${UNKNOWN_ID}/tokens`).set(bearer(t.user)).send({ description: 'x' });
      expectError(res, 404, 'app.user.missing_account.const');
    });

    it('400 user_access_token for a body that is not a JSON object or has wrong types', async () => {
      for (const body of ['not json', '[]', '"str"', '42', '{"description":5}', '{"description":"x","expires_at":"soon"}', '{"description":"x","expires_at":1.5}', '{"description":"x","is_active":"yes"}']) {
        const res = await t.http.post(`${API}/users/me/tokens`).set(bearer(t.admin)).set('Content-Type', 'application/json').send(body);
        expectError(res, 400, 'api.context.invalid_body_param.app_error');
        expect(res.body.message).to.equal('Invalid or missing user_access_token in request body.');
      }
    });

    it('400 description before the permission check (missing, empty or null, as Go decodes it)', async () => {
      for (const body of [{ description: '' }, {}, { description: null, expires_at: null }]) {
        const res = await t.http.post(`${API}/users/me/tokens`).set(bearer(t.user)).send(body);
        expectError(res, 400, 'api.context.invalid_body_param.app_error');
        expect(res.body.message).to.equal('Invalid or missing description in request body.');
      }
    });

    it('403 create_user_access_token without the role; with it, 200', async () => {
      expectPermission(await t.http.post(`${API}/users/me/tokens`).set(bearer(t.user)).send({ description: 'x' }), 'create_user_access_token');
      await setRoles(t, t.userId, TOKEN_ROLE);
      const created = await createPat(t, t.user);
      expect(created.user_id).to.equal(t.userId);
    });

    it('403 edit_other_users when acting on another user', async () => {
      await setRoles(t, t.userId, TOKEN_ROLE);
      expectPermission(await t.http.post(`${API}/users/${t.adminId}/tokens`).set(bearer(t.user)).send({ description: 'x' }), 'edit_other_users');
    });

    it('an admin may create tokens for another user', async () => {
      const created = await createPat(t, t.admin, t.userId);
      expect(created.user_id).to.equal(t.userId);
      expect(await meStatus(t, created.token)).to.equal(200);
    });

    it('501 when EnableUserAccessTokens is off, but 403 beats 501', async () => {
      await t.http.put(`${API}/config/patch`).set(bearer(t.admin)).send({ ServiceSettings: { EnableUserAccessTokens: false } }).expect(200);
      expectPermission(await t.http.post(`${API}/users/me/tokens`).set(bearer(t.user)).send({ description: 'x' }), 'create_user_access_token');
      const res = await t.http.post(`${API}/users/me/tokens`).set(bearer(t.admin)).send({ description: 'x' });
      expectError(res, 501, 'app.user_access_token.disabled');
    });

    it('400 for a description longer than 255 characters (255 is fine)', async () => {
      const long = await t.http.post(`${API}/users/me/tokens`).set(bearer(t.admin)).send({ description: 'é'.repeat(256) });
      expectError(long, 400, 'model.user_access_token.is_valid.description.app_error');
      await createPat(t, t.admin, 'me', { description: 'é'.repeat(255) });
    });

    it('[NEW] expires_at: past and negative refused, future kept; policy requires and caps it', async () => {
      for (const expiresAt of [Date.now() - 1000, -5]) {
        const res = await t.http.post(`${API}/users/me/tokens`).set(bearer(t.admin)).send({ description: 'x', expires_at: expiresAt });
        expectError(res, 400, 'app.user_access_token.expires_at_in_past.app_error');
      }
      const future = Date.now() + DAY;
      const ok = await createPat(t, t.admin, 'me', { description: 'x', expires_at: future });
      expect((ok as unknown as { expires_at: number }).expires_at).to.equal(future);
      await t.http.put(`${API}/config/patch`).set(bearer(t.admin)).send({ ServiceSettings: { MaximumPersonalAccessTokenLifetimeDays: 30 } }).expect(200);
      expectError(await t.http.post(`${API}/users/me/tokens`).set(bearer(t.admin)).send({ description: 'x' }), 400, 'app.user_access_token.expires_at_required.app_error');
      const far = await t.http.post(`${API}/users/me/tokens`).set(bearer(t.admin)).send({ description: 'x', expires_at: Date.now() + 31 * DAY });
      expectError(far, 400, 'app.user_access_token.expires_at_too_far.app_error');
      expect(far.body.message).to.include('(30 days)');
      await createPat(t, t.admin, 'me', { description: 'x', expires_at: Date.now() + 29 * DAY });
    });

    it('an expired token is refused (401) and the refusal is logged with its id', async () => {
      let now = Date.now();
      await t.mock.close();
      t = await startTestMock({ developerMode: true, now: () => now });
      const created = await createPat(t, t.admin, 'me', { description: 'x', expires_at: now + 60_000 });
      expect(await meStatus(t, created.token)).to.equal(200);
      now += 120_000;
      expect(await meStatus(t, created.token)).to.equal(401);
      const lines = t.mock.logs.lines().filter((l) => l.includes('token refused'));
      expect(lines.at(-1)).to.include(created.id).and.include('token_expired').and.not.include(created.token);
    });
  });

  describe('GET /users/tokens/{token_id}', () => {
    it('400 token_id for a malformed id, also the routing quirk for /search and /revoke', async () => {
      for (const path of ['/users/tokens/123', '/users/tokens/search', '/users/tokens/revoke']) {
        const res = await t.http.get(API + path).set(bearer(t.admin));
        expectError(res, 400, 'api.context.invalid_url_param.app_error');
        expect(res.body.message).to.include('token_id');
      }
    });

    it('403 read_user_access_token before the lookup; 404 with the role; 403 edit_other_users for someone else\'s', async () => {
      expectPermission(await t.http.get(`${API}/users/tokens/${UNKNOWN_ID}`).set(bearer(t.user)), 'read_user_access_token');
      await setRoles(t, t.userId, TOKEN_ROLE);
      expectError(await t.http.get(`${API}/users/tokens/${UNKNOWN_ID}`).set(bearer(t.user)), 404, 'app.user_access_token.get_by_user.app_error');
      const adminToken = await createPat(t, t.admin);
      expectPermission(await t.http.get(`${API}/users/tokens/${adminToken.id}`).set(bearer(t.user)), 'edit_other_users');
    });

    it('200 sanitized: no token key, newline-terminated', async () => {
      const created = await createPat(t, t.admin);
      const res = await t.http.get(`${API}/users/tokens/${created.id}`).set(bearer(t.admin));
      expect(res.status).to.equal(200);
      expect(res.text.endsWith('}\n')).to.equal(true);
      expect(res.body).to.deep.equal({ id: created.id, user_id: t.adminId, description: 'test token', is_active: true, expires_at: 0 });
    });
  });

  describe('GET /users/{user_id}/tokens', () => {
    it('lists in creation order with page index and per_page; [] for an unknown user; no trailing newline', async () => {
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await createPat(t, t.admin, 'me', { description: `t${i}` })).id);
      const page0 = await t.http.get(`${API}/users/me/tokens?page=0&per_page=2`).set(bearer(t.admin));
      expect(page0.status).to.equal(200);
      expect(page0.text.endsWith(']')).to.equal(true);
      expect(page0.body.map((x: { id: string }) => x.id)).to.deep.equal(ids.slice(0, 2));
      expect(page0.body[0]).not.to.have.property('token');
      const page1 = await t.http.get(`${API}/users/${t.adminId}/tokens?page=1&per_page=2`).set(bearer(t.admin));
      expect(page1.body.map((x: { id: string }) => x.id)).to.deep.equal(ids.slice(2));
      const garbage = await t.http.get(`${API}/users/me/tokens?page=x&per_page=-3`).set(bearer(t.admin));
      expect(garbage.body).to.have.lengthOf(3);
      const legacy = await t.http.get(`${API}/users/me/tokens?pageSize=1`).set(bearer(t.admin));
      expect(legacy.body).to.have.lengthOf(1);
      const none = await t.http.get(`${API}/users/${UNKNOWN_ID}/tokens`).set(bearer(t.admin));
      expect(none.status).to.equal(200);
      expect(none.text).to.equal('[]');
    });

    it('400 for a malformed user id, 403 read_user_access_token, 403 edit_other_users', async () => {
      expectError(await t.http.get(`${API}/users/123/tokens`).set(bearer(t.admin)), 400, 'api.context.invalid_url_param.app_error');
      expectPermission(await t.http.get(`${API}/users/me/tokens`).set(bearer(t.user)), 'read_user_access_token');
      await setRoles(t, t.userId, TOKEN_ROLE);
      expectPermission(await t.http.get(`${API}/users/${t.adminId}/tokens`).set(bearer(t.user)), 'edit_other_users');
      expect((await t.http.get(`${API}/users/me/tokens`).set(bearer(t.user))).body).to.deep.equal([]);
    });
  });

  describe('GET /users/tokens', () => {
    it('needs manage_system; lists every token sanitized in creation order', async () => {
      await setRoles(t, t.userId, TOKEN_ROLE);
      expectPermission(await t.http.get(`${API}/users/tokens`).set(bearer(t.user)), 'manage_system');
      expect((await t.http.get(`${API}/users/tokens`).set(bearer(t.admin))).text).to.equal('[]');
      const a = await createPat(t, t.admin);
      const b = await createPat(t, t.user);
      const res = await t.http.get(`${API}/users/tokens?per_page=10`).set(bearer(t.admin));
      expect(res.body.map((x: { id: string }) => x.id)).to.deep.equal([a.id, b.id]);
      expect(res.body.every((x: object) => !('token' in x))).to.equal(true);
      expect((await t.http.get(`${API}/users/tokens?page=1&per_page=1`).set(bearer(t.admin))).body.map((x: { id: string }) => x.id)).to.deep.equal([b.id]);
    });
  });

  describe('POST /users/tokens/search', () => {
    it('403 before decoding the body; 400 for a bad body or empty term', async () => {
      expectPermission(await t.http.post(`${API}/users/tokens/search`).set(bearer(t.user)).set('Content-Type', 'application/json').send('nope'), 'manage_system');
      const bad = await t.http.post(`${API}/users/tokens/search`).set(bearer(t.admin)).set('Content-Type', 'application/json').send('[1]');
      expectError(bad, 400, 'api.context.invalid_body_param.app_error');
      expect(bad.body.message).to.include('user_access_token_search');
      const empty = await t.http.post(`${API}/users/tokens/search`).set(bearer(t.admin)).send({ term: '' });
      expectError(empty, 400, 'api.context.invalid_body_param.app_error');
      expect(empty.body.message).to.include(' term ');
    });

    it('matches exactly on token id, user id and username', async () => {
      await setRoles(t, t.userId, TOKEN_ROLE);
      const mine = await createPat(t, t.user);
      await createPat(t, t.admin);
      const search = async (term: string) => (await t.http.post(`${API}/users/tokens/search`).set(bearer(t.admin)).send({ term })).body as Array<{ id: string }>;
      for (const term of [mine.id, t.userId, 'user-1']) {
        const hits = await search(term);
        expect(hits.map((h) => h.id), term).to.deep.equal([mine.id]);
        expect(hits[0]).not.to.have.property('token');
      }
      expect(await search('user')).to.deep.equal([]);
      expect(await search(mine.id.slice(0, 10))).to.deep.equal([]);
      expect(await search(mine.token)).to.deep.equal([]);
    });
  });

  describe('revoke / disable / enable', () => {
    it('revoke: empty or missing token_id is never 400 (403 or 404); invalid JSON is read as {}', async () => {
      expectPermission(await t.http.post(`${API}/users/tokens/revoke`).set(bearer(t.user)).send({ token_id: '' }), 'revoke_user_access_token');
      for (const body of ['{"token_id":""}', '{}', 'garbage', '[1,2]', '{"token_id":5}']) {
        const res = await t.http.post(`${API}/users/tokens/revoke`).set(bearer(t.admin)).set('Content-Type', 'application/json').send(body);
        expectError(res, 404, 'app.user_access_token.get_by_user.app_error');
      }
    });

    it('revoke: 403 edit_other_users on someone else\'s token; success kills token and sessions for good', async () => {
      const created = await createPat(t, t.admin);
      expect(await meStatus(t, created.token)).to.equal(200);
      expect(t.mock.store.findMany('sessions', 'token_id', created.id)).to.have.lengthOf(1);
      await setRoles(t, t.userId, TOKEN_ROLE);
      expectPermission(await t.http.post(`${API}/users/tokens/revoke`).set(bearer(t.user)).send({ token_id: created.id }), 'edit_other_users');
      const res = await t.http.post(`${API}/users/tokens/revoke`).set(bearer(t.admin)).send({ token_id: created.id });
      expect(res.status).to.equal(200);
      expect(res.text).to.equal('{"status":"OK"}');
      expect(await meStatus(t, created.token)).to.equal(401);
      expect(t.mock.store.findMany('sessions', 'token_id', created.id)).to.deep.equal([]);
      expectError(await t.http.get(`${API}/users/tokens/${created.id}`).set(bearer(t.admin)), 404, 'app.user_access_token.get_by_user.app_error');
      expectError(await t.http.post(`${API}/users/tokens/revoke`).set(bearer(t.admin)).send({ token_id: created.id }), 404, 'app.user_access_token.get_by_user.app_error');
    });

    it('disable (revoke_user_access_token) refuses at once, keeps the row; enable (create_user_access_token) revives the same secret', async () => {
      const created = await createPat(t, t.admin);
      expect(await meStatus(t, created.token)).to.equal(200);
      expectPermission(await t.http.post(`${API}/users/tokens/disable`).set(bearer(t.user)).send({ token_id: created.id }), 'revoke_user_access_token');
      expectPermission(await t.http.post(`${API}/users/tokens/enable`).set(bearer(t.user)).send({ token_id: created.id }), 'create_user_access_token');
      for (let i = 0; i < 2; i++) {
        const res = await t.http.post(`${API}/users/tokens/disable`).set(bearer(t.admin)).send({ token_id: created.id });
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal({ status: 'OK' });
      }
      expect(await meStatus(t, created.token)).to.equal(401);
      expect(t.mock.store.findMany('sessions', 'token_id', created.id)).to.deep.equal([]);
      expect((await t.http.get(`${API}/users/tokens/${created.id}`).set(bearer(t.admin))).body.is_active).to.equal(false);
      for (let i = 0; i < 2; i++) {
        expect((await t.http.post(`${API}/users/tokens/enable`).set(bearer(t.admin)).send({ token_id: created.id })).status).to.equal(200);
      }
      expect(t.mock.store.findMany('sessions', 'token_id', created.id), 'enable mints no session').to.deep.equal([]);
      expect(await meStatus(t, created.token)).to.equal(200);
      expectError(await t.http.post(`${API}/users/tokens/disable`).set(bearer(t.admin)).send({}), 404, 'app.user_access_token.get_by_user.app_error');
      expectError(await t.http.post(`${API}/users/tokens/enable`).set(bearer(t.admin)).send('x'), 404, 'app.user_access_token.get_by_user.app_error');
    });

    it('emits the hook event after the commit and before the response', async () => {
      const created = await createPat(t, t.admin);
      const seen: string[] = [];
      t.mock.hooks.on('token.disabled', ({ tokenId }) => {
        seen.push(`${tokenId}:${String(t.mock.store.get('tokens', tokenId)?.is_active)}`);
      });
      t.mock.hooks.on('token.revoked', ({ tokenId }) => { seen.push(`${tokenId}:${String(t.mock.store.get('tokens', tokenId))}`); });
      await t.http.post(`${API}/users/tokens/disable`).set(bearer(t.admin)).send({ token_id: created.id }).expect(200);
      expect(seen).to.deep.equal([`${created.id}:false`]);
      await t.http.post(`${API}/users/tokens/revoke`).set(bearer(t.admin)).send({ token_id: created.id }).expect(200);
      expect(seen).to.deep.equal([`${created.id}:false`, `${created.id}:undefined`]);
    });
  });

  describe('[NEW] rotate', () => {
    it('checks body, token_id, existence, active; gives a new secret and kills the old one', async () => {
      const bad = await t.http.post(`${API}/users/tokens/rotate`).set(bearer(t.admin)).set('Content-Type', 'application/json').send('[]');
      expectError(bad, 400, 'api.context.invalid_body_param.app_error');
      expect(bad.body.message).to.include('rotate_user_access_token');
      const empty = await t.http.post(`${API}/users/tokens/rotate`).set(bearer(t.admin)).send({ token_id: '' });
      expectError(empty, 400, 'api.context.invalid_body_param.app_error');
      expect(empty.body.message).to.include('token_id');
      expectPermission(await t.http.post(`${API}/users/tokens/rotate`).set(bearer(t.user)).send({ token_id: UNKNOWN_ID }), 'create_user_access_token');
      expectError(await t.http.post(`${API}/users/tokens/rotate`).set(bearer(t.admin)).send({ token_id: UNKNOWN_ID }), 404, 'app.user_access_token.get_by_user.app_error');
      const created = await createPat(t, t.admin);
      await t.http.post(`${API}/users/tokens/disable`).set(bearer(t.admin)).send({ token_id: created.id }).expect(200);
      expectError(await t.http.post(`${API}/users/tokens/rotate`).set(bearer(t.admin)).send({ token_id: created.id }), 400, 'api.user.rotate_user_access_token.disabled_token.app_error');
      await t.http.post(`${API}/users/tokens/enable`).set(bearer(t.admin)).send({ token_id: created.id }).expect(200);
      expect(await meStatus(t, created.token)).to.equal(200);
      const expiresAt = Date.now() + DAY;
      const res = await t.http.post(`${API}/users/tokens/rotate`).set(bearer(t.admin)).send({ token_id: created.id, expires_at: expiresAt });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ id: created.id, user_id: t.adminId, expires_at: expiresAt, is_active: true });
      expect(res.body.token).to.have.lengthOf(26).and.not.equal(created.token);
      expect(await meStatus(t, created.token)).to.equal(401);
      expect(await meStatus(t, res.body.token)).to.equal(200);
    });
  });

  describe('[NEW] rotate, owner gone', () => {
    it('404 app.user.missing_account.const when the token\'s owner row is missing', async () => {
      const created = await createPat(t, t.admin, t.userId);
      await t.mock.store.commit([{ op: 'delete', collection: 'users', key: t.userId }]);
      expectError(await t.http.post(`${API}/users/tokens/rotate`).set(bearer(t.admin)).send({ token_id: created.id }), 404, 'app.user.missing_account.const');
      expect(await meStatus(t, created.token), 'owner missing: refused').to.equal(401);
    });
  });

  describe('[NEW] non-compliant tokens', () => {
    it('count 0 and revoke 400 without a policy; with one, counts and revokes tokens without a fitting expiry', async () => {
      const keep = await createPat(t, t.admin, 'me', { description: 'soon', expires_at: Date.now() + DAY });
      const drop = await createPat(t, t.admin);
      expectPermission(await t.http.get(`${API}/users/tokens/non_compliant/count`).set(bearer(t.user)), 'manage_system');
      expect((await t.http.get(`${API}/users/tokens/non_compliant/count`).set(bearer(t.admin))).body).to.deep.equal({ count: 0 });
      expectError(await t.http.post(`${API}/users/tokens/non_compliant/revoke`).set(bearer(t.admin)), 400, 'app.user_access_token.revoke_non_compliant.no_policy.app_error');
      await t.http.put(`${API}/config/patch`).set(bearer(t.admin)).send({ ServiceSettings: { MaximumPersonalAccessTokenLifetimeDays: 7 } }).expect(200);
      expect((await t.http.get(`${API}/users/tokens/non_compliant/count`).set(bearer(t.admin))).body).to.deep.equal({ count: 1 });
      expect((await t.http.post(`${API}/users/tokens/non_compliant/revoke`).set(bearer(t.admin))).body).to.deep.equal({ count: 1 });
      expect(await meStatus(t, drop.token)).to.equal(401);
      expect(await meStatus(t, keep.token)).to.equal(200);
    });
  });
});
