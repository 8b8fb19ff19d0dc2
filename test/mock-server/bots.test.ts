import { expect } from 'chai';
import { startContentMock } from './support/content.js';
import {
  API, UNKNOWN_ID, bearer, createPat, expectError, expectPermission, meStatus, setRoles, type TestMock,
} from './support/mock.js';

describe('mock server: bots', () => {
  let t: TestMock;
  before(async () => { t = await startContentMock(); });
  after(async () => { await t.mock.close(); });
  afterEach(async () => { await setRoles(t, t.userId, 'system_user'); });

  const enableCreation = async (on: boolean) => {
    const res = await t.http.put(`${API}/config/patch`).set(bearer(t.admin)).send({ ServiceSettings: { EnableBotAccountCreation: on } });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
  };
  const createBot = (token: string, body: unknown) => t.http.post(`${API}/bots`).set(bearer(token)).send(body as object);

  it('POST /bots: 403 create_bot without the permission, 403 api.bot.create_disabled while creation is off', async () => {
    expectPermission(await createBot(t.user, { username: 'nope-bot' }), 'create_bot');
    expectError(await createBot(t.admin, { username: 'nope-bot' }), 403, 'api.bot.create_disabled');
  });

  it('POST /bots: 201 Bot JSON owned by the caller, a bot user, and a DM from the bot to its owner', async () => {
    await enableCreation(true);
    const res = await createBot(t.admin, { username: 'build-bot', display_name: 'Build Bot', description: 'builds' });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.text.endsWith('}\n')).to.equal(true);
    expect(Object.keys(res.body)).to.deep.equal(['user_id', 'username', 'display_name', 'description', 'owner_id', 'create_at', 'update_at', 'delete_at']);
    expect(res.body).to.include({ username: 'build-bot', display_name: 'Build Bot', description: 'builds', owner_id: t.adminId, delete_at: 0 });
    const user = t.mock.store.get('users', res.body.user_id);
    expect(user).to.include({ is_bot: true, roles: 'system_user', email: 'build-bot@localhost', first_name: 'Build Bot' });
    const dm = t.mock.store.findOne('channels', 'team_name', `:${[res.body.user_id, t.adminId].sort().join('__')}`);
    expect(dm?.type).to.equal('D');
    const posts = t.mock.store.findMany('posts', 'channel_id', dm?.id ?? '');
    expect(posts.map((p) => [p.user_id, p.type])).to.deep.equal([[res.body.user_id, 'add_bot_teams_channels']]);
    const bare = await createBot(t.admin, { username: 'bare-bot' });
    expect(Object.keys(bare.body)).to.deep.equal(['user_id', 'username', 'owner_id', 'create_at', 'update_at', 'delete_at']);
  });

  it('POST /bots: 400 for bad bodies, invalid names, over-long display names and taken usernames', async () => {
    const bad = await t.http.post(`${API}/bots`).set(bearer(t.admin)).set('Content-Type', 'application/json').send('{"username":7}');
    expectError(bad, 400, 'api.context.invalid_body_param.app_error');
    expect(bad.body.message).to.equal('Invalid or missing bot in request body.');
    expectError(await createBot(t.admin, { username: 'Bad Bot' }), 400, 'model.bot.is_valid.username.app_error');
    expectError(await createBot(t.admin, { username: 'all' }), 400, 'model.bot.is_valid.username.app_error');
    expectError(await createBot(t.admin, { username: 'long-bot', display_name: 'x'.repeat(65) }), 400, 'model.bot.is_valid.user_id.app_error');
    expectError(await createBot(t.admin, { username: 'build-bot' }), 400, 'app.user.save.username_exists.app_error');
    expectError(await createBot(t.admin, { username: 'user-1' }), 400, 'app.user.save.username_exists.app_error');
  });

  it('disable refuses the bot token at once (hook user.deactivated); enable makes it work again', async () => {
    const bot = t.mock.store.findOne('users', 'username', 'build-bot');
    const botId = bot?.id ?? '';
    const pat = await createPat(t, t.admin, botId, { description: 'bot token' });
    expect(await meStatus(t, pat.token)).to.equal(200);
    const events: string[] = [];
    const off = t.mock.hooks.on('user.deactivated', ({ userId }) => { events.push(userId); });
    const disabled = await t.http.post(`${API}/bots/${botId}/disable`).set(bearer(t.admin));
    off();
    expect(disabled.status).to.equal(200);
    expect(disabled.body.delete_at).to.be.greaterThan(0);
    expect(events).to.deep.equal([botId]);
    expect(await meStatus(t, pat.token)).to.equal(401);
    expect(t.mock.store.get('users', botId)?.delete_at).to.be.greaterThan(0);
    expectError(await t.http.get(`${API}/bots/${botId}`).set(bearer(t.admin)), 404, 'store.sql_bot.get.missing.app_error');
    expect((await t.http.get(`${API}/bots/${botId}?include_deleted=true`).set(bearer(t.admin))).status).to.equal(200);
    const enabled = await t.http.post(`${API}/bots/${botId}/enable`).set(bearer(t.admin));
    expect(enabled.status).to.equal(200);
    expect(enabled.body.delete_at).to.equal(0);
    expect(await meStatus(t, pat.token)).to.equal(200);
  });

  it('a bot with a token posts once added to a team (it joins Town Square)', async () => {
    const botId = t.mock.store.findOne('users', 'username', 'build-bot')?.id ?? '';
    const teamId = t.mock.seeded.team?.id ?? '';
    const pat = await createPat(t, t.admin, botId, { description: 'poster' });
    const ts = t.mock.seeded.channels['town-square'].id;
    expectPermission(await t.http.post(`${API}/posts`).set(bearer(pat.token)).send({ channel_id: ts, message: 'x' }), 'create_post');
    const joined = await t.http.post(`${API}/teams/${teamId}/members`).set(bearer(t.admin)).send({ team_id: teamId, user_id: botId });
    expect(joined.status).to.equal(201);
    const res = await t.http.post(`${API}/posts`).set(bearer(pat.token)).send({ channel_id: ts, message: 'build green' });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body.user_id).to.equal(botId);
  });

  it('manage_bots / manage_others_bots: without read rights a bot is not found; assign; a bot cannot own a bot', async () => {
    const botId = t.mock.store.findOne('users', 'username', 'bare-bot')?.id ?? '';
    const assigned = await t.http.post(`${API}/bots/${botId}/assign/${t.userId}`).set(bearer(t.admin));
    expect(assigned.status).to.equal(200);
    expect(assigned.body.owner_id).to.equal(t.userId);
    // user-1 owns it now but has neither manage_bots nor read_bots: reported as not found.
    expectError(await t.http.post(`${API}/bots/${botId}/disable`).set(bearer(t.user)), 404, 'store.sql_bot.get.missing.app_error');
    expectError(await t.http.put(`${API}/bots/${botId}`).set(bearer(t.user)).send({ display_name: 'mine' }), 404, 'store.sql_bot.get.missing.app_error');
    expectError(await t.http.get(`${API}/bots/${botId}`).set(bearer(t.user)), 404, 'store.sql_bot.get.missing.app_error');
    expectPermission(await t.http.get(`${API}/bots`).set(bearer(t.user)), 'read_bots');
    // Tokens for a bot follow the same rule (SessionHasPermissionToUserOrBot): not for its owner without manage_bots.
    await setRoles(t, t.userId, 'system_user system_user_access_token');
    expectPermission(await t.http.post(`${API}/users/${botId}/tokens`).set(bearer(t.user)).send({ description: 'x' }), 'edit_other_users');
    // The admin manages others' bots.
    const patched = await t.http.put(`${API}/bots/${botId}`).set(bearer(t.admin)).send({ display_name: 'Renamed' });
    expect(patched.status).to.equal(200);
    expect(patched.body.display_name).to.equal('Renamed');
    expect(t.mock.store.get('users', botId)?.first_name).to.equal('Renamed');
    expectError(await t.http.put(`${API}/bots/${botId}`).set(bearer(t.admin)).send({ username: 'build-bot' }), 400, 'app.user.save.username_exists.app_error');
    const otherBot = t.mock.store.findOne('users', 'username', 'build-bot')?.id ?? '';
    expectPermission(await t.http.post(`${API}/bots/${botId}/assign/${otherBot}`).set(bearer(t.admin)), 'assign_bot');
    expectError(await t.http.post(`${API}/bots/${UNKNOWN_ID}/disable`).set(bearer(t.admin)), 404, 'store.sql_bot.get.missing.app_error');
    expectError(await t.http.post(`${API}/bots/123/disable`).set(bearer(t.admin)), 400, 'api.context.invalid_url_param.app_error');
  });

  it('GET /bots: every bot for admins, ordered by creation; include_deleted and only_orphaned filters', async () => {
    const all = await t.http.get(`${API}/bots`).set(bearer(t.admin));
    expect(all.status).to.equal(200);
    expect((all.body as Array<{ username: string }>).map((b) => b.username)).to.deep.equal(['build-bot', 'bare-bot']);
    const bareId = t.mock.store.findOne('users', 'username', 'bare-bot')?.id ?? '';
    await t.http.post(`${API}/bots/${bareId}/disable`).set(bearer(t.admin));
    expect((await t.http.get(`${API}/bots`).set(bearer(t.admin))).body).to.have.lengthOf(1);
    expect((await t.http.get(`${API}/bots?include_deleted=true`).set(bearer(t.admin))).body).to.have.lengthOf(2);
    expect((await t.http.get(`${API}/bots?only_orphaned=true`).set(bearer(t.admin))).body).to.deep.equal([]);
    expect((await t.http.get(`${API}/bots?per_page=1&page=0`).set(bearer(t.admin))).body).to.have.lengthOf(1);
    // bare-bot belongs to user-1: deactivating the owner orphans it.
    expect((await t.http.put(`${API}/users/${t.userId}/active`).set(bearer(t.admin)).send({ active: false })).status).to.equal(200);
    const orphans = await t.http.get(`${API}/bots?only_orphaned=true&include_deleted=true`).set(bearer(t.admin));
    expect((orphans.body as Array<{ user_id: string }>).map((b) => b.user_id)).to.deep.equal([bareId]);
    expect((await t.http.put(`${API}/users/${t.userId}/active`).set(bearer(t.admin)).send({ active: true })).status).to.equal(200);
  });
});
