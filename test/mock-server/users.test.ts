import { expect } from 'chai';
import {
  API, UNKNOWN_ID, bearer, createPat, expectError, expectPermission, login, meStatus, setRoles, startTestMock, type TestMock,
} from './support/mock.js';

describe('mock server: users', () => {
  let t: TestMock;
  beforeEach(async () => { t = await startTestMock({ developerMode: true }); });
  afterEach(async () => { await t.mock.close(); });

  describe('GET /users/me, /users/{id}, /users/username/{username}', () => {
    it('me: self view with auth_data "" and no secret fields; 401 without a session', async () => {
      const res = await t.http.get(`${API}/users/me`).set(bearer(t.user));
      expect(res.status).to.equal(200);
      expect(res.headers.etag).to.be.a('string');
      expect(res.body).to.include({ id: t.userId, username: 'user-1', email: 'user-1@sample.mattermost.com', auth_data: '', roles: 'system_user', delete_at: 0 });
      expect(res.body).to.have.property('notify_props');
      for (const key of ['password', 'password_hash', 'mfa_secret']) expect(res.body).not.to.have.property(key);
      expectError(await t.http.get(`${API}/users/me`), 401, 'api.context.session_expired.app_error');
    });

    it('by id: 400 malformed, 404 unknown, profile view of others (no notify_props), full view for admins', async () => {
      expectError(await t.http.get(`${API}/users/123`).set(bearer(t.user)), 400, 'api.context.invalid_url_param.app_error');
      expectError(await t.http.get(`${API}/users/not-alnum`).set(bearer(t.user)), 404, 'api.context.404.app_error');
      expectError(await t.http.get(`${API}/users/${UNKNOWN_ID}`).set(bearer(t.user)), 404, 'app.user.missing_account.const');
      const other = await t.http.get(`${API}/users/${t.adminId}`).set(bearer(t.user));
      expect(other.status).to.equal(200);
      expect(other.body.username).to.equal('sysadmin');
      expect(other.body).not.to.have.property('notify_props');
      const asAdmin = await t.http.get(`${API}/users/${t.userId}`).set(bearer(t.admin));
      expect(asAdmin.body).to.have.property('notify_props');
    });

    it('by username: 200, 404 app.user.get_by_username.app_error, 400 for an invalid name', async () => {
      expect((await t.http.get(`${API}/users/username/sysadmin`).set(bearer(t.user))).body.id).to.equal(t.adminId);
      expectError(await t.http.get(`${API}/users/username/nobody-here`).set(bearer(t.user)), 404, 'app.user.get_by_username.app_error');
      expectError(await t.http.get(`${API}/users/username/A!`).set(bearer(t.user)), 400, 'api.context.invalid_url_param.app_error');
    });
  });

  describe('POST /users', () => {
    it('creates a user anonymously (201), who can then log in; roles from non-admins are ignored', async () => {
      const res = await t.http.post(`${API}/users`).send({ username: 'new-user', email: 'new@example.com', password: 'New-pass-1', roles: 'system_admin system_user' });
      expect(res.status).to.equal(201);
      expect(res.body).to.include({ username: 'new-user', email: 'new@example.com', roles: 'system_user' });
      expect(res.body).not.to.have.property('password');
      const token = await login(t.http, 'new-user', 'New-pass-1');
      expect(await meStatus(t, token)).to.equal(200);
      expect(JSON.stringify(t.mock.store.get('users', res.body.id as string))).not.to.include('New-pass-1');
    });

    it('lets admins set roles; rejects duplicates and invalid fields with Mattermost ids', async () => {
      const res = await t.http.post(`${API}/users`).set(bearer(t.admin)).send({ username: 'tokenuser', email: 'tu@example.com', password: 'Token-pass1', roles: 'system_user system_user_access_token' });
      expect(res.status).to.equal(201);
      expect(res.body.roles).to.equal('system_user system_user_access_token');
      expectError(await t.http.post(`${API}/users`).send({ username: 'tokenuser', email: 'x@example.com', password: 'Token-pass1' }), 400, 'app.user.save.username_exists.app_error');
      expectError(await t.http.post(`${API}/users`).send({ username: 'other', email: 'TU@example.com', password: 'Token-pass1' }), 400, 'app.user.save.email_exists.app_error');
      expectError(await t.http.post(`${API}/users`).send({ username: '1bad', email: 'b@example.com', password: 'Token-pass1' }), 400, 'model.user.is_valid.username.app_error');
      expectError(await t.http.post(`${API}/users`).send({ username: 'okname', email: 'nope', password: 'Token-pass1' }), 400, 'model.user.is_valid.email.app_error');
      expectError(await t.http.post(`${API}/users`).send({ username: 'okname', email: 'ok@example.com', password: '1' }), 400, 'model.user.is_valid.pwd.app_error');
      for (const body of ['[]', 'nope', '{"username":5}']) {
        expectError(await t.http.post(`${API}/users`).set('Content-Type', 'application/json').send(body), 400, 'api.context.invalid_body_param.app_error');
      }
    });

    it('501 for anonymous sign-up when EnableUserCreation is off; admins still can', async () => {
      await t.http.put(`${API}/config/patch`).set(bearer(t.admin)).send({ TeamSettings: { EnableUserCreation: false } }).expect(200);
      expectError(await t.http.post(`${API}/users`).send({ username: 'nope1', email: 'n1@example.com', password: 'Pass-word1' }), 501, 'api.user.create_user.signup_email_disabled.app_error');
      expect((await t.http.post(`${API}/users`).set(bearer(t.admin)).send({ username: 'yes1', email: 'y1@example.com', password: 'Pass-word1' })).status).to.equal(201);
    });
  });

  describe('PUT /users/{id}/patch', () => {
    it('patches own fields; 403 edit_other_users on others; 400 on bad bodies', async () => {
      const res = await t.http.put(`${API}/users/me/patch`).set(bearer(t.user)).send({ nickname: 'sam', first_name: 'Sam' });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ nickname: 'sam', first_name: 'Sam', username: 'user-1' });
      expect(t.mock.store.get('users', t.userId)?.nickname).to.equal('sam');
      expectPermission(await t.http.put(`${API}/users/${t.adminId}/patch`).set(bearer(t.user)).send({ nickname: 'x' }), 'edit_other_users');
      expectError(await t.http.put(`${API}/users/me/patch`).set(bearer(t.user)).set('Content-Type', 'application/json').send('[1]'), 400, 'api.context.invalid_body_param.app_error');
      expectError(await t.http.put(`${API}/users/me/patch`).set(bearer(t.user)).send({ username: 'sysadmin' }), 400, 'app.user.save.username_exists.app_error');
      expect((await t.http.put(`${API}/users/${t.userId}/patch`).set(bearer(t.admin)).send({ position: 'dev' })).body.position).to.equal('dev');
    });
  });

  describe('PUT /users/{id}/active', () => {
    it('checks the body, permissions and self-deactivation rule in order', async () => {
      for (const body of ['{"active":"false"}', '{}', 'junk', '[true]']) {
        const res = await t.http.put(`${API}/users/${t.userId}/active`).set(bearer(t.admin)).set('Content-Type', 'application/json').send(body);
        expectError(res, 400, 'api.context.invalid_body_param.app_error');
        expect(res.body.message).to.include('active');
      }
      expectError(await t.http.put(`${API}/users/${t.adminId}/active`).set(bearer(t.user)).send({ active: false }), 403, 'api.user.update_active.permissions.app_error');
      expectError(await t.http.put(`${API}/users/${t.userId}/active`).set(bearer(t.user)).send({ active: true }), 403, 'api.user.update_active.permissions.app_error');
      expectError(await t.http.put(`${API}/users/${t.userId}/active`).set(bearer(t.user)).send({ active: false }), 401, 'api.user.update_active.not_enable.app_error');
      expectError(await t.http.put(`${API}/users/${UNKNOWN_ID}/active`).set(bearer(t.admin)).send({ active: false }), 404, 'app.user.missing_account.const');
      await t.http.put(`${API}/config/patch`).set(bearer(t.admin)).send({ TeamSettings: { EnableUserDeactivation: true } }).expect(200);
      expect((await t.http.put(`${API}/users/me/active`).set(bearer(t.user)).send({ active: false })).status).to.equal(200);
      expect(await meStatus(t, t.user)).to.equal(401);
    });

    it('deactivation deletes every session and keeps tokens (401); reactivation revives the same token', async () => {
      const pat = await createPat(t, t.admin, t.userId);
      expect(await meStatus(t, pat.token)).to.equal(200);
      const events: string[] = [];
      t.mock.hooks.on('user.deactivated', ({ userId }) => { events.push(`off:${userId}`); });
      t.mock.hooks.on('user.activated', ({ userId }) => { events.push(`on:${userId}`); });
      const res = await t.http.put(`${API}/users/${t.userId}/active`).set(bearer(t.admin)).send({ active: false });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ status: 'OK' });
      expect(t.mock.store.findMany('sessions', 'user_id', t.userId)).to.deep.equal([]);
      expect(t.mock.store.get('tokens', pat.id)?.is_active).to.equal(true);
      expect(await meStatus(t, pat.token)).to.equal(401);
      expect(await meStatus(t, t.user)).to.equal(401);
      expect((await t.http.get(`${API}/users/${t.userId}`).set(bearer(t.admin))).body.delete_at).to.be.above(0);
      await t.http.put(`${API}/users/${t.userId}/active`).set(bearer(t.admin)).send({ active: true }).expect(200);
      expect(await meStatus(t, pat.token)).to.equal(200);
      expect(events).to.deep.equal([`off:${t.userId}`, `on:${t.userId}`]);
    });

    it('deactivating an owner disables their bots (DisableBotsWhenOwnerIsDeactivated) and the bot token stops working', async () => {
      await t.mock.close();
      t = await startTestMock({
        developerMode: true,
        seed: {
          users: [
            { username: 'sysadmin', password: 'Sys@dmin-sample1', roles: 'system_admin system_user' },
            { username: 'user-1', password: 'SampleUs@r-1', roles: 'system_user system_user_access_token' },
            { username: 'owner', password: 'Owner-pass1', roles: 'system_user' },
          ],
          bots: [{ username: 'robot', owner: 'owner' }],
          config: { ServiceSettings: { EnableUserAccessTokens: true } },
        },
      });
      const botId = t.mock.seeded.bots.robot?.id ?? '';
      const ownerId = t.mock.seeded.users.owner?.id ?? '';
      const botPat = await createPat(t, t.admin, botId);
      expect(await meStatus(t, botPat.token)).to.equal(200);
      await t.http.put(`${API}/users/${ownerId}/active`).set(bearer(t.admin)).send({ active: false }).expect(200);
      expect(t.mock.store.get('bots', botId)?.delete_at).to.be.above(0);
      expect(await meStatus(t, botPat.token)).to.equal(401);
    });
  });

  describe('DELETE /users/{id}', () => {
    it('without permanent: deactivation (sessions gone, tokens kept and revived on reactivation)', async () => {
      const pat = await createPat(t, t.admin, t.userId);
      expect(await meStatus(t, pat.token)).to.equal(200);
      expectPermission(await t.http.delete(`${API}/users/${t.adminId}`).set(bearer(t.user)), 'edit_other_users');
      expectError(await t.http.delete(`${API}/users/me`).set(bearer(t.user)), 401, 'api.user.update_active.not_enable.app_error');
      expectError(await t.http.delete(`${API}/users/${UNKNOWN_ID}`).set(bearer(t.admin)), 404, 'app.user.missing_account.const');
      const res = await t.http.delete(`${API}/users/${t.userId}`).set(bearer(t.admin));
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ status: 'OK' });
      expect(await meStatus(t, pat.token)).to.equal(401);
      expect(t.mock.store.get('tokens', pat.id)).to.not.equal(undefined);
      await t.http.put(`${API}/users/${t.userId}/active`).set(bearer(t.admin)).send({ active: true }).expect(200);
      expect(await meStatus(t, pat.token)).to.equal(200);
    });

    it('permanent=true needs EnableAPIUserDeletion, then deletes the user, its tokens and sessions', async () => {
      const pat = await createPat(t, t.admin, t.userId);
      expect(await meStatus(t, pat.token)).to.equal(200);
      expectError(await t.http.delete(`${API}/users/${t.userId}?permanent=true`).set(bearer(t.admin)), 401, 'api.user.delete_user.not_enabled.app_error');
      await t.http.put(`${API}/config/patch`).set(bearer(t.admin)).send({ ServiceSettings: { EnableAPIUserDeletion: true } }).expect(200);
      await t.http.delete(`${API}/users/${t.userId}?permanent=true`).set(bearer(t.admin)).expect(200);
      expect(await meStatus(t, pat.token)).to.equal(401);
      expect(t.mock.store.get('users', t.userId)).to.equal(undefined);
      expect(t.mock.store.get('tokens', pat.id)).to.equal(undefined);
      expect(t.mock.store.findMany('sessions', 'user_id', t.userId)).to.deep.equal([]);
      expect(t.mock.store.findMany('teamMembers', 'user_id', t.userId)).to.deep.equal([]);
      expectError(await t.http.get(`${API}/users/${t.userId}`).set(bearer(t.admin)), 404, 'app.user.missing_account.const');
    });
  });

  describe('PUT /users/{id}/roles', () => {
    it('validates roles, license, permission, user, role existence and the last admin, in order', async () => {
      const put = (session: string, id: string, roles: unknown) => t.http.put(`${API}/users/${id}/roles`).set(bearer(session)).send({ roles });
      for (const roles of ['system_admin', 'Bad Role', 'x'.repeat(65)]) {
        const res = await put(t.user, t.userId, roles);
        expectError(res, 400, 'api.context.invalid_body_param.app_error');
        expect(res.body.message).to.include('roles');
      }
      expectError(await put(t.user, t.userId, 'system_user system_manager'), 400, 'api.user.update_user_roles.license.app_error');
      expectPermission(await put(t.user, t.userId, 'system_user'), 'manage_roles');
      const missing = await put(t.admin, UNKNOWN_ID, 'system_user');
      expectError(missing, 400, 'app.user.missing_account.const');
      expectError(await put(t.admin, t.userId, 'system_user no_such_role'), 400, 'app.role.check_roles_exist.role_not_found');
      expectError(await put(t.admin, t.adminId, 'system_user'), 400, 'app.user.update.lastAdmin.app_error');
    });

    it('takes effect on existing PAT sessions at once (roles rewritten, hook emitted)', async () => {
      await setRoles(t, t.userId, 'system_user system_user_access_token');
      const pat = await createPat(t, t.user);
      expect((await t.http.get(`${API}/users/me/tokens`).set(bearer(pat.token))).status).to.equal(200);
      const changed: string[] = [];
      t.mock.hooks.on('user.roles_changed', ({ roles }) => { changed.push(roles); });
      await setRoles(t, t.userId, 'system_user');
      expect(changed).to.deep.equal(['system_user']);
      for (const s of t.mock.store.findMany('sessions', 'user_id', t.userId)) expect(s.roles).to.equal('system_user');
      expectPermission(await t.http.get(`${API}/users/me/tokens`).set(bearer(pat.token)), 'read_user_access_token');
      await setRoles(t, t.userId, 'system_user system_user_access_token');
      expect((await t.http.get(`${API}/users/me/tokens`).set(bearer(pat.token))).status).to.equal(200);
    });
  });
});
