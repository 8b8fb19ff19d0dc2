/**
 * Outgoing webhooks against the mock over real HTTP: management with Client4, and the trigger: a
 * post whose first word matches makes the mock POST the payload to the callback URL (JSON or
 * form), and a `{"text"}` reply becomes a post that triggers nothing.
 */
import { expect } from 'chai';
import type { PostRecord } from '../../mock-server/db/schema.js';
import { observePosts } from '../../mock-server/services/post-observers.js';
import { json, startIntegrationService, startIntegrationMock, type ErrorBody, type IntegrationMock, type IntegrationService } from './support/integration-service.js';

describe('outgoing webhooks (mock)', () => {
  let t: IntegrationMock;
  let svc: IntegrationService;

  beforeEach(async () => {
    t = await startIntegrationMock();
    svc = await startIntegrationService(() => ({ status: 200, body: '' }));
  });
  afterEach(async () => {
    await t.close();
    await svc.close();
  });

  /** The next post created in the mock (the reply of a webhook is made in the background). */
  const nextPost = () => new Promise<PostRecord>((resolve) => {
    const stop = observePosts(t.mock.store, (p) => { stop(); resolve(p); });
  });

  async function expectApiError(res: Response, status: number, id: string): Promise<ErrorBody> {
    expect(res.status).to.equal(status);
    const body = await res.json() as ErrorBody;
    expect(body.id).to.equal(id);
    return body;
  }
  const raw = (method: string, path: string, body?: unknown, token = t.admin.getToken()) =>
    fetch(`${t.url}/api/v4${path}`, { method, headers: { Authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) });

  const addHook = (extra: Record<string, unknown> = {}) => t.admin.createOutgoingWebhook({
    team_id: t.teamId, channel_id: t.townSquareId, trigger_words: ['deploy'], callback_urls: [`${svc.url}/out`],
    content_type: 'application/json', display_name: 'Deployer', ...extra,
  } as never);

  it('a matching post is POSTed as JSON to the callback; a {"text"} reply becomes a post by the hook\'s creator that triggers nothing', async () => {
    const hook = await addHook();
    expect(hook.token).to.match(/^[a-z0-9]{26}$/);
    expect(Object.keys(hook)).to.deep.equal(['id', 'token', 'create_at', 'update_at', 'delete_at', 'creator_id', 'channel_id', 'team_id', 'trigger_words', 'trigger_when', 'callback_urls', 'display_name', 'description', 'content_type', 'username', 'icon_url']);
    svc.reply(() => json({ text: 'deploy started (this reply starts with the trigger word too)' }));
    const reply = nextPost().then(() => nextPost());
    const created = await t.user.createPost({ channel_id: t.townSquareId, message: 'deploy api now' } as never);
    const req = await svc.next();
    expect(req.method).to.equal('POST');
    expect(req.headers['content-type']).to.equal('application/json');
    const payload = JSON.parse(req.body) as Record<string, unknown>;
    expect(payload).to.deep.equal({
      token: hook.token, team_id: t.teamId, team_domain: 'ad-1', channel_id: t.townSquareId, channel_name: 'town-square',
      timestamp: created.create_at, user_id: t.mock.seeded.user1.id, user_name: 'user-1', post_id: created.id,
      text: 'deploy api now', trigger_word: 'deploy', file_ids: '',
    });
    const answer = await reply;
    expect(answer).to.include({ channel_id: t.townSquareId, user_id: t.mock.seeded.sysadmin.id, message: 'deploy started (this reply starts with the trigger word too)', root_id: '' });
    expect(answer.props).to.deep.equal({ from_webhook: 'true', webhook_display_name: 'Deployer' });
    // The reply did not trigger the hook: the next call is for the next user post.
    svc.reply(() => ({ status: 200, body: '' }));
    const second = await t.user.createPost({ channel_id: t.townSquareId, message: 'deploy again' } as never);
    const next = await svc.next();
    expect((JSON.parse(next.body) as { post_id: string }).post_id).to.equal(second.id);
    expect(svc.received).to.have.lengthOf(2);
  });

  it('form content, trigger_when 1 (starts with), team-wide hooks fire in public channels only, comment replies thread', async () => {
    const hook = await addHook({ channel_id: '', content_type: '', trigger_words: ['dep'], trigger_when: 1 });
    svc.reply(() => json({ text: 'threaded', response_type: 'comment' }));
    // A private channel never triggers outgoing webhooks.
    await t.admin.createPost({ channel_id: t.mock.seeded.channels['private-1']!.id, message: 'deploy secretly' } as never);
    const reply = nextPost().then(() => nextPost());
    const created = await t.user.createPost({ channel_id: t.mock.seeded.channels['off-topic']!.id, message: 'deployment done' } as never);
    const req = await svc.next();
    expect(req.headers['content-type']).to.equal('application/x-www-form-urlencoded');
    const form = new URLSearchParams(req.body);
    expect(form.get('post_id')).to.equal(created.id);
    expect(form.get('token')).to.equal(hook.token);
    expect(form.get('trigger_word')).to.equal('dep');
    expect(form.get('channel_name')).to.equal('off-topic');
    expect(form.get('timestamp')).to.equal(String(Math.floor(created.create_at / 1000)));
    expect([...form.keys()]).to.deep.equal(['channel_id', 'channel_name', 'file_ids', 'post_id', 'team_domain', 'team_id', 'text', 'timestamp', 'token', 'trigger_word', 'user_id', 'user_name']);
    const answer = await reply;
    expect(answer).to.include({ message: 'threaded', root_id: created.id });
    expect(svc.received).to.have.lengthOf(1);
  });

  it('no trigger for non-matching words; regen_token changes the next payload; deleted hooks stop', async () => {
    const hook = await addHook({ trigger_words: ['deploy', 'ship'] });
    await t.user.createPost({ channel_id: t.townSquareId, message: 'please deploy' } as never);
    const regen = await t.admin.regenOutgoingHookToken(hook.id);
    expect(regen.token).to.not.equal(hook.token);
    await t.user.createPost({ channel_id: t.townSquareId, message: 'ship it' } as never);
    const req = await svc.next();
    expect(JSON.parse(req.body)).to.include({ text: 'ship it', token: regen.token, trigger_word: 'ship' });
    await t.admin.removeOutgoingWebhook(hook.id);
    // A second hook proves deliveries still happen, and the deleted one is not among them.
    const other = await addHook({ trigger_words: ['other'], callback_urls: [`${svc.url}/other`] });
    await t.user.createPost({ channel_id: t.townSquareId, message: 'ship other' } as never);
    await t.user.createPost({ channel_id: t.townSquareId, message: 'other thing' } as never);
    const last = await svc.next();
    expect(last.path).to.equal('/other');
    expect(JSON.parse(last.body)).to.include({ token: other.token, text: 'other thing' });
    expect(svc.received).to.have.lengthOf(2);
  });

  it('management: permissions, Mattermost\'s channel rules and validation, list/get/update/delete', async () => {
    const denied = await expectApiError(await raw('POST', '/hooks/outgoing', { team_id: t.teamId, trigger_words: ['x'], callback_urls: [`${svc.url}/x`] }, t.user.getToken()), 403, 'api.context.permissions.app_error');
    expect(denied.detailed_error).to.match(/permission=manage_own_outgoing_webhooks/);
    const base = { team_id: t.teamId, trigger_words: ['x'], callback_urls: [`${svc.url}/x`] };
    await expectApiError(await raw('POST', '/hooks/outgoing', { ...base, trigger_words: [] }), 400, 'api.webhook.create_outgoing.triggers.app_error');
    await expectApiError(await raw('POST', '/hooks/outgoing', { ...base, channel_id: t.mock.seeded.channels['private-1']!.id }), 403, 'api.outgoing_webhook.disabled.app_error');
    await expectApiError(await raw('POST', '/hooks/outgoing', { ...base, callback_urls: [] }), 400, 'model.outgoing_hook.is_valid.callback.app_error');
    await expectApiError(await raw('POST', '/hooks/outgoing', { ...base, callback_urls: ['ftp://x'] }), 400, 'model.outgoing_hook.is_valid.url.app_error');
    await expectApiError(await raw('POST', '/hooks/outgoing', { ...base, trigger_words: ['ok', ''] }), 400, 'model.outgoing_hook.is_valid.trigger_words.app_error');
    await expectApiError(await raw('POST', '/hooks/outgoing', { ...base, trigger_when: 2 }), 400, 'model.outgoing_hook.is_valid.content_type.app_error');
    await expectApiError(await raw('POST', '/hooks/outgoing', { ...base, trigger_words: 'x' }), 400, 'api.context.invalid_param.app_error');
    const first = await t.admin.createOutgoingWebhook(base as never);
    await expectApiError(await raw('POST', '/hooks/outgoing', base), 500, 'api.webhook.create_outgoing.intersect.app_error');
    const second = await t.admin.createOutgoingWebhook({ ...base, trigger_words: ['y'] } as never);
    expect((await t.admin.getOutgoingWebhooks('', t.teamId)).map((h) => h.id)).to.deep.equal([first.id, second.id]);
    expect((await t.admin.getOutgoingWebhook(first.id)).token).to.equal(first.token);
    const updated = await t.admin.updateOutgoingWebhook({ ...first, trigger_words: ['z'], display_name: 'Z' });
    expect(updated).to.include({ id: first.id, display_name: 'Z', token: first.token, creator_id: first.creator_id });
    await expectApiError(await raw('PUT', `/hooks/outgoing/${first.id}`, { ...first, trigger_words: ['y'] }), 400, 'api.webhook.update_outgoing.intersect.app_error');
    await expectApiError(await raw('PUT', `/hooks/outgoing/${first.id}`, { ...first, channel_id: t.mock.seeded.channels['private-1']!.id }), 403, 'api.webhook.create_outgoing.not_open.app_error');
    await t.admin.removeOutgoingWebhook(first.id);
    await expectApiError(await raw('GET', `/hooks/outgoing/${first.id}`), 404, 'app.webhooks.get_outgoing.app_error');
    await expectApiError(await raw('GET', `/hooks/outgoing/${second.id}`, undefined, t.user.getToken()), 403, 'api.context.permissions.app_error');
    await t.admin.patchConfig({ ServiceSettings: { EnableOutgoingWebhooks: false } } as never);
    await expectApiError(await raw('GET', `/hooks/outgoing/${second.id}`), 501, 'api.outgoing_webhook.disabled.app_error');
  });
});
