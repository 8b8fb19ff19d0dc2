/**
 * Slash commands against the mock over real HTTP with the official Client4: registration,
 * permissions, validation, and execution through a local command service (form POST / GET with
 * Mattermost's fields and `Authorization: Token`), in_channel posts, ephemeral events, and the
 * errors of a failing service.
 */
import { expect } from 'chai';
import { connect } from '../../examples/lib/client.js';
import { json, startIntegrationService, startIntegrationMock, type ErrorBody, type IntegrationMock, type IntegrationService, type ListeningMock } from './support/integration-service.js';
import { muteClientLogs, OfficialClient, startWsMock, type WsMock } from './websocket/support/ws.js';

async function api(t: ListeningMock, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown; text: string; type: string | null }> {
  const res = await fetch(`${t.url}/api/v4${path}`, {
    method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch { parsed = undefined; }
  return { status: res.status, body: parsed, text, type: res.headers.get('content-type') };
}

function expectError(res: { status: number; body: unknown; type: string | null }, status: number, id: string): ErrorBody {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.type).to.equal('application/json');
  const body = res.body as ErrorBody;
  expect(body.id).to.equal(id);
  expect(body.status_code).to.equal(status);
  return body;
}

describe('slash commands (mock)', () => {
  let t: IntegrationMock;
  let svc: IntegrationService;
  let adminToken: string;
  let userToken: string;

  beforeEach(async () => {
    t = await startIntegrationMock();
    svc = await startIntegrationService(() => json({ response_type: 'in_channel', text: 'deployed' }));
    adminToken = t.admin.getToken();
    userToken = t.user.getToken();
  });
  afterEach(async () => {
    await svc.close();
    await t.close();
  });

  const addDeploy = (extra: Record<string, unknown> = {}) =>
    t.admin.addCommand({ team_id: t.teamId, trigger: 'Deploy', url: `${svc.url}/deploy`, method: 'P', display_name: 'Deploy', ...extra } as never);

  describe('registration', () => {
    it('POST /commands creates a command with its token (201); GET, custom lists show the token, other lists do not', async () => {
      const cmd = await addDeploy({ auto_complete: true, auto_complete_desc: 'ship it' });
      expect(cmd.trigger).to.equal('deploy');
      expect(cmd.token).to.match(/^[a-z0-9]{26}$/);
      expect(cmd).to.include({ team_id: t.teamId, method: 'P', url: `${svc.url}/deploy`, creator_id: t.mock.seeded.sysadmin.id, delete_at: 0, plugin_id: '' });
      expect(Object.keys(cmd)).to.deep.equal(['id', 'token', 'create_at', 'update_at', 'delete_at', 'creator_id', 'team_id', 'trigger', 'method', 'username', 'icon_url', 'auto_complete', 'auto_complete_desc', 'auto_complete_hint', 'display_name', 'description', 'url', 'plugin_id']);
      const one = await api(t, adminToken, 'GET', `/commands/${cmd.id}`);
      expect(one.status).to.equal(200);
      expect((one.body as { token: string }).token).to.equal(cmd.token);
      const custom = await t.admin.getCustomTeamCommands(t.teamId);
      expect(custom.map((c) => c.token)).to.deep.equal([cmd.token]);
      const all = await t.admin.getCommandsList(t.teamId);
      expect(all).to.have.lengthOf(1);
      expect(all[0]).to.include({ id: cmd.id, token: '', url: '', method: '', creator_id: '' });
      // user-1 (team_user, no manage_own_slash_commands) sees only autocomplete commands, sanitized.
      const seen = await t.user.getCommandsList(t.teamId);
      expect(seen.map((c) => [c.id, c.token])).to.deep.equal([[cmd.id, '']]);
    });

    it('refuses without manage_own_slash_commands (403) and hides commands from those who may not manage them (404)', async () => {
      const created = await api(t, userToken, 'POST', '/commands', { team_id: t.teamId, trigger: 'x', url: `${svc.url}/x`, method: 'P' });
      const body = expectError(created, 403, 'api.context.permissions.app_error');
      expect(body.detailed_error).to.match(/permission=manage_own_slash_commands/);
      const cmd = await addDeploy();
      expectError(await api(t, userToken, 'GET', `/commands/${cmd.id}`), 404, 'store.sql_command.save.get.app_error');
      expectError(await api(t, userToken, 'DELETE', `/commands/${cmd.id}`), 404, 'store.sql_command.save.get.app_error');
      expectError(await api(t, userToken, 'GET', `/commands?team_id=${t.teamId}&custom_only=true`), 403, 'api.context.permissions.app_error');
      expectError(await api(t, adminToken, 'GET', '/commands'), 400, 'api.context.invalid_param.app_error');
      expect(t.mock.store.get('commands', cmd.id)).to.not.equal(undefined);
    });

    it('validates like Command.IsValid and refuses taken triggers', async () => {
      await addDeploy();
      const cases: Array<[Record<string, unknown>, number, string]> = [
        [{ trigger: 'deploy' }, 400, 'api.command.duplicate_trigger.app_error'],
        [{ trigger: 'echo' }, 400, 'api.command.duplicate_trigger.app_error'],
        [{ trigger: '/slash' }, 400, 'model.command.is_valid.trigger.app_error'],
        [{ trigger: 'two words' }, 400, 'model.command.is_valid.trigger.app_error'],
        [{ trigger: 'ok', url: '' }, 400, 'model.command.is_valid.url.app_error'],
        [{ trigger: 'ok', url: 'ftp://x.test' }, 400, 'model.command.is_valid.url_http.app_error'],
        [{ trigger: 'ok', method: 'X' }, 400, 'model.command.is_valid.method.app_error'],
        [{ trigger: 'ok', display_name: 'x'.repeat(65) }, 400, 'model.command.is_valid.display_name.app_error'],
        [{ trigger: 5 }, 400, 'api.context.invalid_param.app_error'],
        [{ trigger: 'ok', team_id: 'nope' }, 400, 'model.command.is_valid.team_id.app_error'], // a system admin passes the team check
      ];
      for (const [patch, status, id] of cases) {
        const res = await api(t, adminToken, 'POST', '/commands', { team_id: t.teamId, url: `${svc.url}/x`, method: 'P', ...patch });
        expectError(res, status, id);
      }
      expect(t.mock.store.count('commands')).to.equal(1);
    });

    it('PUT updates, keeps the token; regen_token replaces it; DELETE removes the command', async () => {
      const cmd = await addDeploy();
      const edited = await t.admin.editCommand({ ...cmd, trigger: 'ship', description: 'ships' });
      expect(edited).to.include({ id: cmd.id, trigger: 'ship', description: 'ships', token: cmd.token, creator_id: cmd.creator_id });
      expectError(await api(t, adminToken, 'PUT', `/commands/${cmd.id}`, { ...cmd, team_id: t.mock.seeded.sysadmin.id }), 400, 'api.command.team_mismatch.app_error');
      expectError(await api(t, adminToken, 'PUT', `/commands/${cmd.id}`, { ...cmd, id: 'x' }), 400, 'api.context.invalid_param.app_error');
      const regen = await t.admin.regenCommandToken(cmd.id);
      expect(regen.token).to.match(/^[a-z0-9]{26}$/).and.not.equal(cmd.token);
      expect(t.mock.store.get('commands', cmd.id)!.token).to.equal(regen.token);
      await t.admin.deleteCommand(cmd.id);
      expectError(await api(t, adminToken, 'GET', `/commands/${cmd.id}`), 404, 'store.sql_command.save.get.app_error');
      expect(await t.admin.getCustomTeamCommands(t.teamId)).to.deep.equal([]);
    });
  });

  describe('execution', () => {
    it('P: a form POST with Authorization: Token and Mattermost\'s fields; an in_channel reply becomes a post', async () => {
      const cmd = await addDeploy();
      const response = await t.user.executeCommand('/Deploy api  now @sysadmin ~off-topic', { channel_id: t.townSquareId, team_id: '' } as never);
      const req = svc.received[0]!;
      expect(req.method).to.equal('POST');
      expect(req.path).to.equal('/deploy');
      expect(req.headers.authorization).to.equal(`Token ${cmd.token}`);
      expect(req.headers['content-type']).to.equal('application/x-www-form-urlencoded');
      expect(req.headers.accept).to.equal('application/json');
      const form = new URLSearchParams(req.body);
      const { user1 } = t.mock.seeded;
      expect(Object.fromEntries(form)).to.deep.include({
        token: cmd.token, team_id: t.teamId, team_domain: 'ad-1', channel_id: t.townSquareId, channel_name: 'town-square',
        user_id: user1.id, user_name: 'user-1', command: '/deploy', text: 'api  now @sysadmin ~off-topic', root_id: '',
        user_mentions: 'sysadmin', user_mentions_ids: t.mock.seeded.sysadmin.id,
        channel_mentions: 'off-topic', channel_mentions_ids: t.mock.seeded.channels['off-topic']!.id,
      });
      expect(form.get('response_url')).to.match(new RegExp(`^${t.url}/hooks/commands/[a-z0-9]{26}$`));
      expect(form.get('trigger_id')).to.be.a('string').with.length.greaterThan(26);
      expect([...form.keys()]).to.deep.equal([...form.keys()].sort());

      expect(response).to.include({ response_type: 'in_channel', text: 'deployed' });
      expect(response.trigger_id).to.match(/^[a-z0-9]{26}$/);
      expect(Object.keys(response)).to.deep.equal(['response_type', 'text', 'username', 'channel_id', 'icon_url', 'type', 'props', 'goto_location', 'trigger_id', 'skip_slack_parsing', 'attachments', 'extra_responses']);
      const posts = await t.admin.getPosts(t.townSquareId);
      const post = posts.posts[posts.order[0]!]!;
      expect(post).to.include({ message: 'deployed', user_id: user1.id, channel_id: t.townSquareId });
      expect(post.props).to.deep.equal({ from_webhook: 'true' });
    });

    it('G: a GET with the fields in the query; an ephemeral reply reaches only the caller as ephemeral_message', async () => {
      await addDeploy({ method: 'G', url: `${svc.url}/deploy?env=prod` });
      svc.reply(() => json({ text: 'only you see <https://ci.test|this>' }));
      const before = t.mock.store.count('posts');
      const response = await t.user.executeCommand('/deploy web', { channel_id: t.townSquareId } as never);
      const req = svc.received[0]!;
      expect(req.method).to.equal('GET');
      expect(req.body).to.equal('');
      expect(req.query.get('env')).to.equal('prod');
      expect(req.query.get('text')).to.equal('web');
      expect(req.query.get('command')).to.equal('/deploy');
      expect(req.headers.authorization).to.match(/^Token [a-z0-9]{26}$/);
      expect(response).to.include({ response_type: '', text: 'only you see [this](https://ci.test)' });
      expect(t.mock.store.count('posts')).to.equal(before);
      const eph = t.events.filter((e) => e.event === 'ephemeral_message');
      expect(eph).to.have.lengthOf(1);
      expect(eph[0]!.broadcast).to.deep.equal({ user_id: t.mock.seeded.user1.id, channel_id: t.townSquareId });
      const post = JSON.parse(eph[0]!.data.post as string) as { message: string; type: string; user_id: string; channel_id: string; props: Record<string, unknown> };
      expect(post).to.include({ message: 'only you see [this](https://ci.test)', type: 'system_ephemeral', user_id: t.mock.seeded.user1.id, channel_id: t.townSquareId });
      expect(post.props.from_webhook).to.equal('true');
    });

    it('plain-text replies are the text; extra_responses post too; overrides follow the config', async () => {
      await t.admin.patchConfig({ ServiceSettings: { EnablePostUsernameOverride: true, EnablePostIconOverride: true } } as never);
      await addDeploy({ username: 'deploybot' });
      svc.reply(() => json({ response_type: 'in_channel', text: 'first', icon_url: 'https://i.test/a.png', extra_responses: [{ response_type: 'in_channel', text: 'second' }] }));
      await t.user.executeCommand('/deploy', { channel_id: t.townSquareId } as never);
      const list = await t.admin.getPosts(t.townSquareId);
      const [second, first] = list.order.slice(0, 2).map((id) => list.posts[id]!);
      expect(first!.message).to.equal('first');
      expect(second!.message).to.equal('second');
      expect(first!.props).to.deep.equal({ from_webhook: 'true', override_username: 'deploybot', override_icon_url: 'https://i.test/a.png' });
      svc.reply(() => ({ status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'just text' }));
      const plain = await t.user.executeCommand('/deploy', { channel_id: t.townSquareId } as never);
      expect(plain.text).to.equal('just text');
      expect(t.events.filter((e) => e.event === 'ephemeral_message')).to.have.lengthOf(1);
    });

    it('regen_token: the next call carries the new token', async () => {
      const cmd = await addDeploy();
      const { token } = await t.admin.regenCommandToken(cmd.id);
      await t.user.executeCommand('/deploy', { channel_id: t.townSquareId } as never);
      expect(svc.received[0]!.headers.authorization).to.equal(`Token ${token}`);
      expect(new URLSearchParams(svc.received[0]!.body).get('token')).to.equal(token);
    });

    it('a failing service surfaces as Mattermost\'s errors: non-200, bad JSON, too large, unreachable, timeout', async () => {
      await t.admin.patchConfig({ ServiceSettings: { OutgoingIntegrationRequestsTimeout: 1 } } as never);
      await addDeploy();
      const run = () => api(t, userToken, 'POST', '/commands/execute', { channel_id: t.townSquareId, command: '/deploy now' });

      svc.reply(() => ({ status: 503, body: 'down for maintenance' }));
      let body = expectError(await run(), 500, 'api.command.execute_command.failed_resp.app_error');
      expect(body.message).to.equal("Command with a trigger of 'deploy' returned response 503 Service Unavailable.");
      expect(body.detailed_error).to.equal('down for maintenance');

      svc.reply(() => ({ status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"text": ' }));
      body = expectError(await run(), 500, 'api.command.execute_command.failed.app_error');
      expect(body.message).to.equal("Command with a trigger of 'deploy' failed.");

      svc.reply(() => ({ status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: 'x'.repeat(2 * 1024 * 1024) }) }));
      expectError(await run(), 500, 'api.command.execute_command.failed.app_error');

      svc.reply(() => json({ text: 5 }));
      expectError(await run(), 500, 'api.command.execute_command.failed.app_error');

      svc.reply(() => 'destroy');
      expectError(await run(), 500, 'api.command.execute_command.failed.app_error');

      svc.reply(() => 'hang');
      expectError(await run(), 500, 'api.command.execute_command.failed.app_error');
      expect(t.mock.logs.lines().some((l) => l.includes('Outgoing Command request timed out'))).to.equal(true);

      await svc.close();
      expectError(await run(), 500, 'api.command.execute_command.failed.app_error');
      svc = await startIntegrationService();
      // The mock still answers normally afterwards.
      expect((await api(t, userToken, 'GET', '/users/me')).status).to.equal(200);
    });

    it('execute errors: start, permissions, unknown trigger, commands disabled', async () => {
      await addDeploy();
      const run = (token: string, body: unknown) => api(t, token, 'POST', '/commands/execute', body);
      expectError(await run(userToken, { channel_id: t.townSquareId, command: '/' }), 400, 'api.command.execute_command.start.app_error');
      expectError(await run(userToken, { channel_id: t.townSquareId, command: 'deploy' }), 400, 'api.command.execute_command.start.app_error');
      expectError(await run(userToken, { channel_id: 'nope', command: '/deploy' }), 400, 'api.command.execute_command.start.app_error');
      expectError(await run(userToken, { channel_id: 5, command: '/deploy' }), 400, 'api.context.invalid_param.app_error');
      const priv = t.mock.seeded.channels['private-1']!.id;
      const denied = expectError(await run(userToken, { channel_id: priv, command: '/deploy' }), 403, 'api.context.permissions.app_error');
      expect(denied.detailed_error).to.match(/permission=create_post/);
      const missing = expectError(await run(userToken, { channel_id: t.townSquareId, command: '/nothing here' }), 404, 'api.command.execute_command.not_found.app_error');
      expect(missing.message).to.equal('Command with a trigger of \'nothing\' not found. To send a message beginning with "/", try adding an empty space at the beginning of the message.');
      await t.admin.patchConfig({ ServiceSettings: { EnableCommands: false } } as never);
      expectError(await run(userToken, { channel_id: t.townSquareId, command: '/deploy' }), 501, 'api.command.disabled.app_error');
      expectError(await api(t, adminToken, 'POST', '/commands', { team_id: t.teamId, trigger: 'z', url: `${svc.url}/z`, method: 'P' }), 501, 'api.command.disabled.app_error');
      expect(svc.received).to.have.lengthOf(0);
    });

    it('a token is required to execute: 401 without a session', async () => {
      const res = await fetch(`${t.url}/api/v4/commands/execute`, { method: 'POST', body: JSON.stringify({ channel_id: t.townSquareId, command: '/deploy' }) });
      expect(res.status).to.equal(401);
      const anonymous = connect(t.url);
      let status = 0;
      try { await anonymous.executeCommand('/deploy', { channel_id: t.townSquareId } as never); } catch (err) { status = (err as { status_code: number }).status_code; }
      expect(status).to.equal(401);
    });
  });
});

describe('slash commands over the WebSocket (official WebSocketClient)', () => {
  let m: WsMock;
  let svc: IntegrationService;
  const sockets: OfficialClient[] = [];
  muteClientLogs();
  beforeEach(async () => {
    m = await startWsMock();
    svc = await startIntegrationService(() => json({ text: 'just for you' }));
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.client.close();
    await svc.close();
    await m.mock.close();
  });

  it('an ephemeral reply reaches the caller\'s socket only; an in_channel reply is posted to every member', async () => {
    const teamId = m.mock.seeded.teams['ad-1']!.id;
    const townSquare = m.mock.seeded.channels['town-square']!.id;
    await m.admin.addCommand({ team_id: teamId, trigger: 'secret', url: `${svc.url}/s`, method: 'P' } as never);
    const caller = new OfficialClient({ Authorization: `Bearer ${m.pat.token}` });
    const other = new OfficialClient({ Authorization: `Bearer ${m.adminToken}` });
    sockets.push(caller, other);
    caller.client.initialize(m.ws);
    other.client.initialize(m.ws);
    await caller.waitFor('hello');
    await other.waitFor('hello');

    await m.user.executeCommand('/secret', { channel_id: townSquare } as never);
    const eph = await caller.waitFor('ephemeral_message');
    const post = JSON.parse(eph.data.post as string) as { message: string; type: string; user_id: string };
    expect(post).to.include({ message: 'just for you', type: 'system_ephemeral', user_id: m.userId });
    expect(eph.broadcast).to.include({ user_id: m.userId, channel_id: townSquare });

    // The in_channel reply after it is a barrier: once the admin has its posted, the ephemeral would have come first.
    svc.reply(() => json({ response_type: 'in_channel', text: 'for everyone' }));
    await m.user.executeCommand('/secret', { channel_id: townSquare } as never);
    const posted = await other.waitFor('posted');
    expect((JSON.parse(posted.data.post as string) as { message: string }).message).to.equal('for everyone');
    expect(other.events.filter((e) => e.event === 'ephemeral_message')).to.deep.equal([]);
    await caller.waitFor('posted');
  });
});
