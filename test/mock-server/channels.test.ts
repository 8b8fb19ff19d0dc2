import { expect } from 'chai';
import { startContentMock } from './support/content.js';
import { API, UNKNOWN_ID, bearer, expectError, expectPermission, type TestMock } from './support/mock.js';

describe('mock server: channels', () => {
  let t: TestMock;
  let teamId: string;
  let privateId: string;
  before(async () => {
    t = await startContentMock();
    teamId = t.mock.seeded.team?.id ?? '';
    privateId = t.mock.seeded.channels['private-1'].id;
  });
  after(async () => { await t.mock.close(); });

  const create = (token: string, body: Record<string, unknown>) => t.http.post(`${API}/channels`).set(bearer(token)).send(body);

  it('POST /channels: 201 Channel JSON; the creator is channel_user channel_admin', async () => {
    const res = await create(t.user, { team_id: teamId, name: 'builds', display_name: 'Builds', type: 'O', purpose: 'CI' });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.text.endsWith('}\n')).to.equal(true);
    expect(Object.keys(res.body)).to.include.members(['id', 'team_id', 'type', 'display_name', 'name', 'header', 'purpose', 'last_post_at', 'total_msg_count', 'creator_id', 'scheme_id', 'group_constrained']);
    expect(res.body).to.include({ team_id: teamId, type: 'O', name: 'builds', display_name: 'Builds', purpose: 'CI', creator_id: t.userId, total_msg_count: 0 });
    const member = await t.http.get(`${API}/channels/${res.body.id}/members/me`).set(bearer(t.user));
    expect(member.status).to.equal(200);
    expect(member.body).to.include({ channel_id: res.body.id, user_id: t.userId, roles: 'channel_user channel_admin', scheme_user: true, scheme_admin: true });
    expectError(await create(t.admin, { team_id: teamId, name: 'builds', display_name: 'Again', type: 'P' }), 400, 'store.sql_channel.save_channel.exists.app_error');
  });

  it('POST /channels: 400 for a bad body, missing fields, invalid name or type; 403 without the team permission', async () => {
    const bad = await t.http.post(`${API}/channels`).set(bearer(t.user)).set('Content-Type', 'application/json').send('[1]');
    expectError(bad, 400, 'api.context.invalid_body_param.app_error');
    expect(bad.body.message).to.equal('Invalid or missing channel in request body.');
    expect((await create(t.user, { name: 'x', display_name: 'X', type: 'O' })).body.message).to.equal('Invalid or missing team_id in request body.');
    expect((await create(t.user, { team_id: teamId, name: 'x', type: 'O' })).body.message).to.equal('Invalid or missing display_name in request body.');
    expectError(await create(t.user, { team_id: teamId, name: 'Bad Name', display_name: 'X', type: 'O' }), 400, 'model.channel.is_valid.1_or_more.app_error');
    expectError(await create(t.user, { team_id: teamId, name: 'dm', display_name: 'X', type: 'D' }), 400, 'api.channel.create_channel.direct_channel.app_error');
    expectError(await create(t.user, { team_id: teamId, name: 'odd', display_name: 'X', type: 'Z' }), 400, 'model.channel.is_valid.type.app_error');
    expectPermission(await create(t.user, { team_id: UNKNOWN_ID, name: 'elsewhere', display_name: 'X', type: 'O' }), 'create_public_channel');
    expectPermission(await create(t.user, { team_id: UNKNOWN_ID, name: 'elsewhere', display_name: 'X', type: 'P' }), 'create_private_channel');
    expectError(await create(t.admin, { team_id: UNKNOWN_ID, name: 'elsewhere', display_name: 'X', type: 'O' }), 404, 'app.team.get.find.app_error');
  });

  it('GET /channels/{id}: 200 for members and public channels; 403 read_channel for a private one; 404; 400', async () => {
    const ts = t.mock.seeded.channels['town-square'].id;
    const res = await t.http.get(`${API}/channels/${ts}`).set(bearer(t.user));
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ id: ts, name: 'town-square', type: 'O' });
    expectPermission(await t.http.get(`${API}/channels/${privateId}`).set(bearer(t.user)), 'read_channel');
    expectError(await t.http.get(`${API}/channels/${UNKNOWN_ID}`).set(bearer(t.user)), 404, 'app.channel.get.existing.app_error');
    expectError(await t.http.get(`${API}/channels/123`).set(bearer(t.user)), 400, 'api.context.invalid_url_param.app_error');
    expectError(await t.http.get(`${API}/channels/${UNKNOWN_ID}`), 401, 'api.context.session_expired.app_error');
  });

  it('GET /teams/{team_id}/channels/name/{name}: found by team + name; a hidden private channel is a 404', async () => {
    const res = await t.http.get(`${API}/teams/${teamId}/channels/name/off-topic`).set(bearer(t.user));
    expect(res.status).to.equal(200);
    expect(res.body.id).to.equal(t.mock.seeded.channels['off-topic'].id);
    expectError(await t.http.get(`${API}/teams/${teamId}/channels/name/private-1`).set(bearer(t.user)), 404, 'app.channel.get_by_name.missing.app_error');
    expect((await t.http.get(`${API}/teams/${teamId}/channels/name/private-1`).set(bearer(t.admin))).body.id).to.equal(privateId);
    expectError(await t.http.get(`${API}/teams/${teamId}/channels/name/nope`).set(bearer(t.user)), 404, 'app.channel.get_by_name.missing.app_error');
    expectError(await t.http.get(`${API}/teams/${teamId}/channels/name/Not_Valid!`).set(bearer(t.user)), 400, 'api.context.invalid_url_param.app_error');
  });

  it('POST /channels/{id}/members: manage_private_channel_members to add someone; idempotent; then readable', async () => {
    const body = { user_id: t.userId };
    expectPermission(await t.http.post(`${API}/channels/${privateId}/members`).set(bearer(t.user)).send(body), 'manage_private_channel_members');
    const added = await t.http.post(`${API}/channels/${privateId}/members`).set(bearer(t.admin)).send(body);
    expect(added.status, JSON.stringify(added.body)).to.equal(201);
    expect(added.body).to.include({ channel_id: privateId, user_id: t.userId, roles: 'channel_user', scheme_admin: false });
    const again = await t.http.post(`${API}/channels/${privateId}/members`).set(bearer(t.admin)).send(body);
    expect(again.status).to.equal(201);
    expect(again.body.last_update_at).to.equal(added.body.last_update_at);
    expect((await t.http.get(`${API}/channels/${privateId}`).set(bearer(t.user))).status).to.equal(200);
    expectError(await t.http.post(`${API}/channels/${privateId}/members`).set(bearer(t.admin)).send({ user_id: 'short' }), 400, 'api.context.invalid_body_param.app_error');
    expectError(await t.http.post(`${API}/channels/${privateId}/members`).set(bearer(t.admin)).send({ user_id: UNKNOWN_ID }), 404, 'app.user.missing_account.const');
  });

  it('GET /channels/{id}/members/{user_id}: 403 read_channel for outsiders, 404 for non-members', async () => {
    const other = await create(t.admin, { team_id: teamId, name: 'admins-only', display_name: 'Admins', type: 'P' });
    expectPermission(await t.http.get(`${API}/channels/${other.body.id}/members/${t.adminId}`).set(bearer(t.user)), 'read_channel');
    expectError(await t.http.get(`${API}/channels/${other.body.id}/members/${t.userId}`).set(bearer(t.admin)), 404, 'app.channel.get_member.missing.app_error');
  });

  it('POST /channels/direct: type D named by the sorted ids, idempotent in either order; rules for others and unknowns', async () => {
    const res = await t.http.post(`${API}/channels/direct`).set(bearer(t.user)).send([t.userId, t.adminId]);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body).to.include({ type: 'D', team_id: '', display_name: '', name: [t.userId, t.adminId].sort().join('__') });
    const again = await t.http.post(`${API}/channels/direct`).set(bearer(t.admin)).send([t.adminId, t.userId]);
    expect(again.status).to.equal(201);
    expect(again.body.id).to.equal(res.body.id);
    expect(t.mock.store.findMany('channelMembers', 'channel_id', res.body.id).map((m) => m.user_id).sort()).to.deep.equal([t.userId, t.adminId].sort());
    expectPermission(await t.http.post(`${API}/channels/direct`).set(bearer(t.user)).send([t.adminId, UNKNOWN_ID]), 'manage_system');
    expectError(await t.http.post(`${API}/channels/direct`).set(bearer(t.user)).send([t.userId, UNKNOWN_ID]), 400, 'api.channel.create_direct_channel.invalid_user.app_error');
    expect((await t.http.post(`${API}/channels/direct`).set(bearer(t.user)).send([t.userId])).body.message).to.equal('Invalid or missing user_ids in request body.');
    expect((await t.http.post(`${API}/channels/direct`).set(bearer(t.user)).send([t.userId, 'x'])).body.message).to.equal('Invalid or missing user_id in request body.');
  });

  it('GET /users/{user_id}/teams/{team_id}/channels: the user\'s team channels and DMs by display name', async () => {
    const res = await t.http.get(`${API}/users/me/teams/${teamId}/channels`).set(bearer(t.user));
    expect(res.status).to.equal(200);
    const names = (res.body as Array<{ name: string; type: string }>).map((c) => c.name);
    expect(names).to.include.members(['town-square', 'off-topic']);
    expect(names).not.to.include('admins-only');
    expect((res.body as Array<{ type: string }>).some((c) => c.type === 'D')).to.equal(true);
    expectPermission(await t.http.get(`${API}/users/${t.adminId}/teams/${teamId}/channels`).set(bearer(t.user)), 'edit_other_users');
    expectPermission(await t.http.get(`${API}/users/me/teams/${UNKNOWN_ID}/channels`).set(bearer(t.user)), 'view_team');
  });
});

describe('content routes: malformed input is a 4xx, never a 5xx', () => {
  let t: TestMock;
  before(async () => { t = await startContentMock(); });
  after(async () => { await t.mock.close(); });

  it('answers every odd body on every write route with a Mattermost 4xx', async () => {
    const team = t.mock.seeded.team?.id ?? '';
    const ts = t.mock.seeded.channels['town-square'].id;
    const bodies = ['', 'null', '[]', '{}', '"s"', '{"a":', '[1,2]', '{"user_id":[],"channel_id":{},"message":[],"username":null,"name":7}'];
    const routes = ['/bots', `/bots/${UNKNOWN_ID}/assign/me`, '/teams', `/teams/${team}/members`, '/channels', '/channels/direct', `/channels/${ts}/members`, '/posts'];
    for (const path of routes) {
      for (const body of bodies) {
        const res = await t.http.post(`${API}${path}`).set(bearer(t.admin)).set('Content-Type', 'application/json').send(body);
        expect(res.status, `${path} ${body}: ${res.text}`).to.be.within(400, 499);
        expect(res.body.id, `${path} ${body}`).to.be.a('string').and.not.equal('');
      }
    }
  });
});
