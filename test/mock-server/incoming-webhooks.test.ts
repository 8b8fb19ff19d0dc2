/**
 * Incoming webhooks against the mock over real HTTP: management with Client4 (permissions,
 * validation, lock), and `POST /hooks/{id}` with JSON or a form `payload`, answering `ok`.
 */
import { expect } from 'chai';
import { startIntegrationMock, type ErrorBody, type IntegrationMock } from './support/integration-service.js';

describe('incoming webhooks (mock)', () => {
  let t: IntegrationMock;

  beforeEach(async () => {
    t = await startIntegrationMock();
  });
  afterEach(async () => { await t.close(); });

  const post = (id: string, body: string, type = 'application/json') =>
    fetch(`${t.url}/hooks/${id}`, { method: 'POST', headers: { 'Content-Type': type }, body });

  async function expectHookError(res: Response, status: number, id: string): Promise<ErrorBody> {
    expect(res.status).to.equal(status);
    expect(res.headers.get('content-type')).to.equal('application/json');
    const body = await res.json() as ErrorBody;
    expect(body.id).to.equal(id);
    return body;
  }

  const latest = async (channelId: string) => {
    const list = await t.admin.getPosts(channelId);
    return list.posts[list.order[0]!]!;
  };

  it('creates a hook (201) and POST /hooks/{id} with JSON posts to its channel, answering 200 text/plain "ok"', async () => {
    const hook = await t.admin.createIncomingWebhook({ channel_id: t.townSquareId, display_name: 'CI', description: 'builds' } as never);
    expect(hook).to.include({ channel_id: t.townSquareId, team_id: t.teamId, user_id: t.mock.seeded.sysadmin.id, display_name: 'CI', channel_locked: false });
    expect(Object.keys(hook)).to.deep.equal(['id', 'create_at', 'update_at', 'delete_at', 'user_id', 'channel_id', 'team_id', 'display_name', 'description', 'username', 'icon_url', 'channel_locked', 'webhook_schema_translation']);
    const res = await post(hook.id, JSON.stringify({ text: 'Build <https://ci.test/12|#12> passed', props: { build: 12 } }));
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('text/plain');
    expect(await res.text()).to.equal('ok');
    const p = await latest(t.townSquareId);
    expect(p).to.include({ message: 'Build [#12](https://ci.test/12) passed', user_id: t.mock.seeded.sysadmin.id, channel_id: t.townSquareId, type: '' });
    expect(p.props).to.deep.equal({ from_webhook: 'true', build: 12, webhook_display_name: 'CI' });
  });

  it('accepts a form with a payload field, attachments, and the username/icon overrides when the config allows them', async () => {
    await t.admin.patchConfig({ ServiceSettings: { EnablePostUsernameOverride: true, EnablePostIconOverride: true } } as never);
    const hook = await t.admin.createIncomingWebhook({ channel_id: t.townSquareId, username: 'ci-bot' } as never);
    const payload = JSON.stringify({ text: 'with attachment', attachments: [{ text: 'details' }], icon_url: 'https://i.test/x.png' });
    const res = await post(hook.id, new URLSearchParams({ payload }).toString(), 'application/x-www-form-urlencoded');
    expect(await res.text()).to.equal('ok');
    const p = await latest(t.townSquareId);
    expect(p.type).to.equal('slack_attachment');
    expect(p.props).to.deep.include({ from_webhook: 'true', override_username: 'ci-bot', override_icon_url: 'https://i.test/x.png', attachments: [{ text: 'details' }] });
    // Without the overrides the hook's username is not stored and posts carry no override.
    await t.admin.patchConfig({ ServiceSettings: { EnablePostUsernameOverride: false, EnablePostIconOverride: false } } as never);
    const plain = await t.admin.createIncomingWebhook({ channel_id: t.townSquareId, username: 'ignored' } as never);
    expect(plain.username).to.equal('');
    await post(plain.id, JSON.stringify({ text: 'plain', username: 'nope' }));
    expect((await latest(t.townSquareId)).props).to.deep.equal({ from_webhook: 'true', webhook_display_name: '' });
  });

  it('honours a channel override (name, #name, @user for a DM) unless the hook is locked', async () => {
    const hook = await t.admin.createIncomingWebhook({ channel_id: t.townSquareId } as never);
    expect(await (await post(hook.id, JSON.stringify({ text: 'to off-topic', channel: 'off-topic' }))).text()).to.equal('ok');
    expect((await latest(t.mock.seeded.channels['off-topic']!.id)).message).to.equal('to off-topic');
    expect(await (await post(hook.id, JSON.stringify({ text: 'hash', channel: '#off-topic' }))).text()).to.equal('ok');
    expect(await (await post(hook.id, JSON.stringify({ text: 'dm', channel: '@user-1' }))).text()).to.equal('ok');
    const dm = [...t.mock.store.all('channels')].find((c) => c.type === 'D')!;
    expect(dm.name.split('__').sort()).to.deep.equal([t.mock.seeded.sysadmin.id, t.mock.seeded.user1.id].sort());
    expect((await latest(dm.id)).message).to.equal('dm');
    await expectHookError(await post(hook.id, JSON.stringify({ text: 'x', channel: 'no-such' })), 404, 'web.incoming_webhook.channel.app_error');
    await expectHookError(await post(hook.id, JSON.stringify({ text: 'x', channel: '@nobody' })), 400, 'web.incoming_webhook.user.app_error');

    const locked = await t.admin.createIncomingWebhook({ channel_id: t.townSquareId, channel_locked: true } as never);
    expect(locked.channel_locked).to.equal(true);
    const refused = await expectHookError(await post(locked.id, JSON.stringify({ text: 'x', channel: 'off-topic' })), 403, 'web.incoming_webhook.channel_locked.app_error');
    expect(refused.message).to.equal(`This webhook is not permitted to post to the requested channel ${t.townSquareId}`);
    expect(await (await post(locked.id, JSON.stringify({ text: 'own channel', channel: 'town-square' }))).text()).to.equal('ok');
  });

  it('refuses bad payloads, unknown hooks and bad ids with Mattermost\'s errors', async () => {
    const hook = await t.admin.createIncomingWebhook({ channel_id: t.townSquareId } as never);
    const before = t.mock.store.count('posts');
    await expectHookError(await post(hook.id, JSON.stringify({ username: 'x' })), 400, 'web.incoming_webhook.text.app_error');
    await expectHookError(await post(hook.id, '{"text": '), 400, 'model.incoming_hook.parse_data.app_error');
    await expectHookError(await post(hook.id, JSON.stringify({ text: 5 })), 400, 'model.incoming_hook.parse_data.app_error');
    await expectHookError(await post(hook.id, ''), 400, 'model.incoming_hook.parse_data.app_error');
    await expectHookError(await post(hook.id, 'payload=nope', 'application/x-www-form-urlencoded'), 400, 'model.incoming_hook.parse_data.app_error');
    await expectHookError(await post('aaaaaaaaaaaaaaaaaaaaaaaaaa', JSON.stringify({ text: 'x' })), 400, 'web.incoming_webhook.invalid.app_error');
    await expectHookError(await post('not-an-id!', JSON.stringify({ text: 'x' })), 404, 'api.context.404.app_error');
    await expectHookError(await post(hook.id, JSON.stringify({ text: 'x', type: 'system_join_channel' })), 400, 'api.context.invalid_param.app_error');
    // Raw newlines inside strings are tolerated, as Mattermost does.
    expect(await (await post(hook.id, '{"text": "line one\nline two"}')).text()).to.equal('ok');
    expect(t.mock.store.count('posts')).to.equal(before + 1);
    expect((await latest(t.townSquareId)).message).to.equal('line one\nline two');
  });

  it('manages hooks with Mattermost\'s permissions: list, get, update (201), delete; the URL dies with the hook', async () => {
    const denied = await fetch(`${t.url}/api/v4/hooks/incoming`, { method: 'POST', headers: { Authorization: `Bearer ${t.user.getToken()}` }, body: JSON.stringify({ channel_id: t.townSquareId }) });
    const body = await expectHookError(denied, 403, 'api.context.permissions.app_error');
    expect(body.detailed_error).to.match(/permission=manage_own_incoming_webhooks/);
    const missing = await fetch(`${t.url}/api/v4/hooks/incoming`, { method: 'POST', headers: { Authorization: `Bearer ${t.admin.getToken()}` }, body: JSON.stringify({ channel_id: 'aaaaaaaaaaaaaaaaaaaaaaaaaa' }) });
    await expectHookError(missing, 404, 'app.channel.get.existing.app_error');
    const long = await fetch(`${t.url}/api/v4/hooks/incoming`, { method: 'POST', headers: { Authorization: `Bearer ${t.admin.getToken()}` }, body: JSON.stringify({ channel_id: t.townSquareId, display_name: 'x'.repeat(65) }) });
    await expectHookError(long, 400, 'model.incoming_hook.display_name.app_error');

    const a = await t.admin.createIncomingWebhook({ channel_id: t.townSquareId, display_name: 'A' } as never);
    const b = await t.admin.createIncomingWebhook({ channel_id: t.townSquareId, display_name: 'B' } as never);
    const ids = async (page?: number, perPage?: number) => (await t.admin.getIncomingWebhooks(t.teamId, page, perPage) as Array<{ id: string }>).map((h) => h.id);
    expect(await ids()).to.deep.equal([a.id, b.id]);
    expect(await ids(1, 1)).to.deep.equal([b.id]);
    const counted = await t.admin.getIncomingWebhooks(t.teamId, 0, 1, true) as unknown as { incoming_webhooks: Array<{ id: string }>; total_count: number };
    expect(counted.total_count).to.equal(2);
    expect(counted.incoming_webhooks.map((h) => h.id)).to.deep.equal([a.id]);
    expect((await t.admin.getIncomingWebhook(a.id)).display_name).to.equal('A');
    const offTopic = t.mock.seeded.channels['off-topic']!.id;
    const updated = await t.admin.updateIncomingWebhook({ ...a, display_name: 'A2', channel_id: offTopic });
    expect(updated).to.include({ id: a.id, display_name: 'A2', channel_id: offTopic, create_at: a.create_at });
    const raw = await fetch(`${t.url}/api/v4/hooks/incoming/${a.id}`, { method: 'PUT', headers: { Authorization: `Bearer ${t.admin.getToken()}` }, body: JSON.stringify({ ...a, display_name: 'A3' }) });
    expect(raw.status).to.equal(201);
    const mismatch = await fetch(`${t.url}/api/v4/hooks/incoming/${a.id}`, { method: 'PUT', headers: { Authorization: `Bearer ${t.admin.getToken()}` }, body: JSON.stringify({ ...a, id: b.id }) });
    await expectHookError(mismatch, 400, 'api.context.invalid_param.app_error');
    await t.admin.removeIncomingWebhook(a.id);
    const gone = await fetch(`${t.url}/api/v4/hooks/incoming/${a.id}`, { headers: { Authorization: `Bearer ${t.admin.getToken()}` } });
    await expectHookError(gone, 404, 'app.webhooks.get_incoming.app_error');
    await expectHookError(await post(a.id, JSON.stringify({ text: 'late' })), 400, 'web.incoming_webhook.invalid.app_error');
    const listByUser = await fetch(`${t.url}/api/v4/hooks/incoming`, { headers: { Authorization: `Bearer ${t.user.getToken()}` } });
    await expectHookError(listByUser, 403, 'api.context.permissions.app_error');
  });

  it('garbage bodies on every integration route get a 4xx, never a 500, and change nothing', async () => {
    const hook = await t.admin.createIncomingWebhook({ channel_id: t.townSquareId } as never);
    const out = await t.admin.createOutgoingWebhook({ team_id: t.teamId, trigger_words: ['x'], callback_urls: ['http://127.0.0.1:9/x'] } as never);
    const cmd = await t.admin.addCommand({ team_id: t.teamId, trigger: 'junk', url: 'http://127.0.0.1:9/x', method: 'P' } as never);
    const bodies = ['', 'null', '[]', '5', '"text"', '{', '{"team_id":{}}', '{"channel_id":[1]}', '{"trigger_words":[1,2]}', '{"callback_urls":"x"}',
      '{"trigger_when":1.5}', '{"command":{"a":1}}', `{"text":5,"description":"${'x'.repeat(20000)}"}`, `${'['.repeat(600)}${']'.repeat(600)}`, '{"props":"x"}', '{"attachments":{}}'];
    const routes: Array<[string, string]> = [
      ['POST', '/api/v4/commands'], ['PUT', `/api/v4/commands/${cmd.id}`], ['POST', '/api/v4/commands/execute'],
      ['POST', '/api/v4/hooks/incoming'], ['PUT', `/api/v4/hooks/incoming/${hook.id}`],
      ['POST', '/api/v4/hooks/outgoing'], ['PUT', `/api/v4/hooks/outgoing/${out.id}`], ['POST', `/hooks/${hook.id}`],
    ];
    const records = [t.mock.store.get('commands', cmd.id), t.mock.store.get('incomingWebhooks', hook.id), t.mock.store.get('outgoingWebhooks', out.id)];
    const before = { posts: t.mock.store.count('posts'), commands: t.mock.store.count('commands'), incoming: t.mock.store.count('incomingWebhooks'), outgoing: t.mock.store.count('outgoingWebhooks') };
    for (const [method, path] of routes) {
      for (const body of bodies) {
        for (const type of ['application/json', 'application/x-www-form-urlencoded', 'text/plain']) {
          const res = await fetch(`${t.url}${path}`, { method, headers: { Authorization: `Bearer ${t.admin.getToken()}`, 'Content-Type': type }, body });
          expect(res.status, `${method} ${path} ${type} ${body.slice(0, 40)}`).to.be.within(400, 499);
          expect(res.headers.get('content-type')).to.equal('application/json');
        }
      }
    }
    expect({ posts: t.mock.store.count('posts'), commands: t.mock.store.count('commands'), incoming: t.mock.store.count('incomingWebhooks'), outgoing: t.mock.store.count('outgoingWebhooks') }).to.deep.equal(before);
    expect([t.mock.store.get('commands', cmd.id), t.mock.store.get('incomingWebhooks', hook.id), t.mock.store.get('outgoingWebhooks', out.id)]).to.deep.equal(records);
  });

  it('EnableIncomingWebhooks off: management answers 501 api.incoming_webhook.disabled, the URL 501 web.incoming_webhook.disabled', async () => {
    const hook = await t.admin.createIncomingWebhook({ channel_id: t.townSquareId } as never);
    await t.admin.patchConfig({ ServiceSettings: { EnableIncomingWebhooks: false } } as never);
    await expectHookError(await post(hook.id, JSON.stringify({ text: 'x' })), 501, 'web.incoming_webhook.disabled.app_error');
    const res = await fetch(`${t.url}/api/v4/hooks/incoming/${hook.id}`, { headers: { Authorization: `Bearer ${t.admin.getToken()}` } });
    await expectHookError(res, 501, 'api.incoming_webhook.disabled.app_error');
  });
});
