import { expect } from 'chai';
import { startContentMock } from './support/content.js';
import { API, UNKNOWN_ID, bearer, expectError, expectPermission, type TestMock } from './support/mock.js';

describe('mock server: teams', () => {
  let t: TestMock;
  before(async () => { t = await startContentMock(); });
  after(async () => { await t.mock.close(); });

  const createTeam = (token: string, body: Record<string, unknown>) => t.http.post(`${API}/teams`).set(bearer(token)).send(body);

  it('POST /teams: 201 unsanitized Team JSON; creator is team admin; Town Square and Off-Topic exist and are joined', async () => {
    const res = await createTeam(t.user, { name: 'eng', display_name: 'Engineering', type: 'O', allow_open_invite: true });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(Object.keys(res.body)).to.deep.equal([
      'id', 'create_at', 'update_at', 'delete_at', 'display_name', 'name', 'description', 'email', 'type', 'company_name',
      'allowed_domains', 'invite_id', 'allow_open_invite', 'scheme_id', 'group_constrained', 'policy_id', 'cloud_limits_archived',
    ]);
    expect(res.body).to.include({ name: 'eng', display_name: 'Engineering', type: 'O', allow_open_invite: true, email: 'user-1@sample.mattermost.com' });
    expect(res.body.invite_id).to.have.lengthOf(26);
    const member = await t.http.get(`${API}/teams/${res.body.id}/members/me`).set(bearer(t.user));
    expect(member.status).to.equal(200);
    expect(member.body).to.deep.equal({
      team_id: res.body.id, user_id: t.userId, roles: 'team_user team_admin', delete_at: 0,
      scheme_guest: false, scheme_user: true, scheme_admin: true, explicit_roles: '',
    });
    for (const name of ['town-square', 'off-topic']) {
      const channel = await t.http.get(`${API}/teams/${res.body.id}/channels/name/${name}`).set(bearer(t.user));
      expect(channel.status, name).to.equal(200);
      expect((await t.http.get(`${API}/channels/${channel.body.id}/members/me`).set(bearer(t.user))).status).to.equal(200);
    }
  });

  it('POST /teams: 400 for duplicates, invalid, reserved names and bad types; 400 team for a bad body', async () => {
    expectError(await createTeam(t.admin, { name: 'eng', display_name: 'Again', type: 'O' }), 400, 'store.sql_team.save_team.existing.app_error');
    expectError(await createTeam(t.admin, { name: 'Bad Name', display_name: 'X', type: 'O' }), 400, 'model.team.is_valid.characters.app_error');
    expectError(await createTeam(t.admin, { name: 'x', display_name: 'X', type: 'O' }), 400, 'model.team.is_valid.characters.app_error');
    expectError(await createTeam(t.admin, { name: 'admins', display_name: 'X', type: 'O' }), 400, 'model.team.is_valid.reserved.app_error');
    expectError(await createTeam(t.admin, { name: 'fine', display_name: '', type: 'O' }), 400, 'model.team.is_valid.name.app_error');
    expectError(await createTeam(t.admin, { name: 'fine', display_name: 'Fine', type: 'X' }), 400, 'model.team.is_valid.type.app_error');
    const bad = await t.http.post(`${API}/teams`).set(bearer(t.admin)).set('Content-Type', 'application/json').send('{"name":1}');
    expectError(bad, 400, 'api.context.invalid_body_param.app_error');
    expect(bad.body.message).to.equal('Invalid or missing team in request body.');
  });

  it('GET /teams/{id} and /teams/name/{name}: sanitized for non-admins; invite-only teams need view_team', async () => {
    const hidden = await createTeam(t.admin, { name: 'secret', display_name: 'Secret', type: 'I' });
    expect(hidden.status).to.equal(201);
    expectPermission(await t.http.get(`${API}/teams/${hidden.body.id}`).set(bearer(t.user)), 'view_team');
    expectPermission(await t.http.get(`${API}/teams/name/secret`).set(bearer(t.user)), 'view_team');
    const open = await t.http.get(`${API}/teams/name/eng`).set(bearer(t.admin));
    expect(open.status).to.equal(200);
    expect(open.body.email).to.equal('user-1@sample.mattermost.com');
    const seeded = t.mock.seeded.team?.id ?? '';
    const asMember = await t.http.get(`${API}/teams/${seeded}`).set(bearer(t.user));
    expect(asMember.status).to.equal(200);
    expect(asMember.body).to.include({ id: seeded, name: 'ad-1', email: '', invite_id: '' });
    expectError(await t.http.get(`${API}/teams/${UNKNOWN_ID}`).set(bearer(t.admin)), 404, 'app.team.get.find.app_error');
    expectError(await t.http.get(`${API}/teams/name/nothere`).set(bearer(t.admin)), 404, 'app.team.get_by_name.missing.app_error');
    expectError(await t.http.get(`${API}/teams/12`).set(bearer(t.admin)), 400, 'api.context.invalid_url_param.app_error');
  });

  it('GET /teams: open-invite teams for users, every team for admins, by display name', async () => {
    const asUser = await t.http.get(`${API}/teams`).set(bearer(t.user));
    expect(asUser.status).to.equal(200);
    const userNames = (asUser.body as Array<{ name: string }>).map((x) => x.name);
    expect(userNames).to.include.members(['ad-1', 'eng']);
    expect(userNames).not.to.include('secret');
    const asAdmin = await t.http.get(`${API}/teams?include_total_count=true&per_page=2`).set(bearer(t.admin));
    expect(asAdmin.body.total_count).to.equal(3);
    expect((asAdmin.body.teams as Array<{ display_name: string }>).map((x) => x.display_name)).to.deep.equal(['Engineering', 'Sample Team']);
  });

  it('POST /teams/{id}/members: self-join an open team (201, joins default channels); adding others needs add_user_to_team', async () => {
    const eng = t.mock.store.findOne('teams', 'name', 'eng');
    const secret = t.mock.store.findOne('teams', 'name', 'secret');
    const join = await t.http.post(`${API}/teams/${eng?.id}/members`).set(bearer(t.admin)).send({ team_id: eng?.id, user_id: t.adminId });
    expect(join.status, JSON.stringify(join.body)).to.equal(201);
    expect(join.body).to.include({ team_id: eng?.id, user_id: t.adminId, roles: 'team_user', scheme_admin: false });
    const ts = t.mock.store.findOne('channels', 'team_name', `${eng?.id}:town-square`);
    expect(t.mock.store.get('channelMembers', `${ts?.id}:${t.adminId}`)?.roles).to.equal('channel_user');
    expectPermission(await t.http.post(`${API}/teams/${secret?.id}/members`).set(bearer(t.user)).send({ team_id: secret?.id, user_id: t.userId }), 'join_private_teams');
    expectPermission(await t.http.post(`${API}/teams/${secret?.id}/members`).set(bearer(t.user)).send({ team_id: secret?.id, user_id: t.adminId }), 'add_user_to_team');
    const added = await t.http.post(`${API}/teams/${secret?.id}/members`).set(bearer(t.admin)).send({ team_id: secret?.id, user_id: t.userId });
    expect(added.status).to.equal(201);
    expect((await t.http.get(`${API}/teams/${secret?.id}`).set(bearer(t.user))).status).to.equal(200);
    expectError(await t.http.post(`${API}/teams/${secret?.id}/members`).set(bearer(t.admin)).send({ team_id: eng?.id, user_id: t.userId }), 400, 'api.context.invalid_body_param.app_error');
    expectError(await t.http.post(`${API}/teams/${secret?.id}/members`).set(bearer(t.admin)).set('Content-Type', 'application/json').send('[]'), 400, 'api.team.add_team_member.invalid_body.app_error');
    expectError(await t.http.post(`${API}/teams/${secret?.id}/members`).set(bearer(t.admin)).send({ team_id: secret?.id, user_id: UNKNOWN_ID }), 404, 'app.user.missing_account.const');
  });

  it('GET /teams/{id}/members/{user_id}: view_team (403) then 404 for non-members', async () => {
    const fresh = await createTeam(t.admin, { name: 'lonely', display_name: 'Lonely', type: 'I' });
    expectPermission(await t.http.get(`${API}/teams/${fresh.body.id}/members/${t.adminId}`).set(bearer(t.user)), 'view_team');
    expectError(await t.http.get(`${API}/teams/${fresh.body.id}/members/${t.userId}`).set(bearer(t.admin)), 404, 'app.team.get_member.missing.app_error');
  });

  it('GET /users/{user_id}/teams: own teams; someone else\'s needs sysconsole_read_user_management_users', async () => {
    const mine = await t.http.get(`${API}/users/me/teams`).set(bearer(t.user));
    expect(mine.status).to.equal(200);
    expect((mine.body as Array<{ name: string }>).map((x) => x.name).sort()).to.deep.equal(['ad-1', 'eng', 'secret']);
    expectPermission(await t.http.get(`${API}/users/${t.adminId}/teams`).set(bearer(t.user)), 'sysconsole_read_user_management_users');
    expect((await t.http.get(`${API}/users/${t.userId}/teams`).set(bearer(t.admin))).body).to.have.lengthOf(3);
  });
});
