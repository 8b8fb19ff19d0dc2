/**
 * verifyCommand(): Mattermost's slash-command and outgoing-webhook calls, as Mattermost sends
 * them, over real HTTP: accepted with the right token (form POST with the header, GET query,
 * JSON or form outgoing webhook) onto a typed ctx.state.command; refused like authenticate()
 * otherwise (401 body, WWW-Authenticate, the same log line, never the token).
 */
import Router from '@koa/router';
import { expect } from 'chai';
import Koa from 'koa';
import { authenticate } from '../../../middleware/auth/authenticate.js';
import { errorBoundary } from '../../../middleware/errors/error-boundary.js';
import { verifyCommand, type CommandRefusalInfo, type VerifyCommandOptions } from '../../../middleware/integrations/verify-command.js';
import { requestId } from '../../../middleware/http/request-id.js';
import { AuthFailure } from '../../../middleware/auth/auth-failure.js';
import type { TokenResolver } from '../../../middleware/types.js';
import { listen, recordingLogger, type Harness, type RecordingLogger } from '../../support/koa-harness.js';

const TOKEN = 'x4ofdusg3tgbjbgb8z1srcw6ec';
const OTHER = 'k1bdjp4tgfgc7p6m4e3ni7yrih';

describe('verifyCommand()', () => {
  let h: Harness | undefined;
  let log: RecordingLogger;
  let refusals: CommandRefusalInfo[];

  async function start(options: Partial<VerifyCommandOptions> = {}, before?: Koa.Middleware): Promise<void> {
    log = recordingLogger();
    refusals = [];
    const app = new Koa();
    app.use(requestId());
    app.use(errorBoundary());
    if (before !== undefined) app.use(before);
    const router = new Router();
    const verify = verifyCommand({ tokens: [TOKEN], logger: log, onRefused: (i) => refusals.push(i), ...options });
    const echo = (ctx: Koa.Context) => { ctx.body = { command: ctx.state.command }; };
    router.post('/cmd', verify, echo);
    router.get('/cmd', verify, echo);
    app.use(router.routes());
    h = await listen(app);
  }
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  const http = () => h!.http;

  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const slash = { token: TOKEN, team_id: 't1', team_domain: 'ad-1', channel_id: 'c1', channel_name: 'town-square', user_id: 'u1', user_name: 'user-1', command: '/deploy', text: 'api now', response_url: 'http://mm/hooks/commands/x', trigger_id: 'tr', root_id: '' };

  it('accepts a slash command form POST with Authorization: Token and types ctx.state.command', async () => {
    await start();
    const res = await http().post('/cmd').set('Authorization', `Token ${TOKEN}`).type('form').send(form(slash));
    expect(res.status).to.equal(200);
    expect(res.body.command).to.deep.include({
      kind: 'slash_command', token: TOKEN, teamId: 't1', teamDomain: 'ad-1', channelId: 'c1', channelName: 'town-square',
      userId: 'u1', userName: 'user-1', command: '/deploy', text: 'api now', responseUrl: 'http://mm/hooks/commands/x', triggerId: 'tr',
    });
    expect(res.body.command.fields).to.deep.equal(slash);
    expect(log.lines).to.deep.equal([]);
  });

  it('accepts a GET slash command (fields in the query) and a JSON or form outgoing webhook (token only in the body)', async () => {
    await start();
    const get = await http().get(`/cmd?${form(slash)}`).set('Authorization', `Token ${TOKEN}`);
    expect(get.status).to.equal(200);
    expect(get.body.command.text).to.equal('api now');
    const outgoing = { token: TOKEN, team_id: 't1', channel_id: 'c1', user_name: 'user-1', post_id: 'p1', text: 'deploy it', trigger_word: 'deploy', file_ids: 'f1,f2', timestamp: 1700000000123 };
    const asJson = await http().post('/cmd').send(outgoing);
    expect(asJson.status).to.equal(200);
    expect(asJson.body.command).to.deep.include({ kind: 'outgoing_webhook', postId: 'p1', triggerWord: 'deploy', timestamp: 1700000000123, fileIds: ['f1', 'f2'] });
    const asForm = await http().post('/cmd').type('form').send(form({ ...outgoing, timestamp: '1700000000', file_ids: '' }));
    expect(asForm.status).to.equal(200);
    expect(asForm.body.command).to.deep.include({ kind: 'outgoing_webhook', timestamp: 1700000000, fileIds: [] });
  });

  it('refuses a missing, unknown or mismatched token exactly like authenticate(), logging the reason but never the token', async () => {
    await start();
    const missing = await http().post('/cmd').type('form').send(form({ ...slash, token: '' }));
    const unknown = await http().post('/cmd').set('Authorization', `Token ${OTHER}`).type('form').send(form({ ...slash, token: OTHER }));
    const mismatch = await http().post('/cmd').set('Authorization', `Token ${TOKEN}`).type('form').send(form({ ...slash, token: OTHER }));
    const bearer = await http().post('/cmd').set('Authorization', `Bearer ${TOKEN}`).send({});
    for (const res of [missing, unknown, mismatch, bearer]) {
      expect(res.status).to.equal(401);
      expect(res.headers['content-type']).to.equal('application/json');
      expect(res.body).to.include({ id: 'api.context.session_expired.app_error', message: 'Invalid or expired session, please login again.', status_code: 401 });
      expect(res.body.request_id).to.equal(res.headers['x-request-id']);
    }
    expect(missing.headers['www-authenticate']).to.equal('Bearer realm="mattermost"');
    expect(unknown.headers['www-authenticate']).to.equal('Bearer realm="mattermost", error="invalid_token"');
    expect(refusals.map((r) => [r.reason, r.source])).to.deep.equal([
      ['missing', undefined], ['unknown_token', 'header-token'], ['token_mismatch', 'header-token'], ['missing', undefined],
    ]);
    expect(log.lines.map((l) => l.message)).to.deep.equal(Array(4).fill('authentication refused'));
    expect(log.lines[1]!.fields).to.deep.include({ reason: 'unknown_token', path: '/cmd', method: 'POST', requestId: unknown.headers['x-request-id'] });
    expect(log.text()).to.not.include(OTHER).and.not.include(TOKEN);
  });

  it('tokens may be a function (read per request: a regenerated token is swapped in at once)', async () => {
    let current = [TOKEN];
    await start({ tokens: () => Promise.resolve(current) });
    expect((await http().post('/cmd').send({ token: TOKEN })).status).to.equal(200);
    current = [OTHER];
    expect((await http().post('/cmd').send({ token: TOKEN })).status).to.equal(401);
    expect((await http().post('/cmd').send({ token: OTHER })).status).to.equal(200);
    // Empty configured tokens never match an empty or absent token.
    current = [''];
    expect((await http().post('/cmd').send({ token: '' })).status).to.equal(401);
  });

  it('uses a body parsed earlier, bounds the body it reads (413), and tolerates garbage (401, no crash)', async () => {
    await start({ limit: 1024 }, async (ctx, next) => {
      if (ctx.get('X-Pre-Parsed') === '1') (ctx.request as { body?: unknown }).body = { token: TOKEN, text: 'pre' };
      await next();
    });
    const pre = await http().post('/cmd').set('X-Pre-Parsed', '1').send('ignored');
    expect(pre.status).to.equal(200);
    expect(pre.body.command.text).to.equal('pre');
    const big = await http().post('/cmd').type('form').send(form({ token: TOKEN, text: 'x'.repeat(4096) }));
    expect(big.status).to.equal(413);
    expect(big.body.id).to.equal('api.context.request_body_too_large.app_error');
    const garbage = await http().post('/cmd').set('Content-Type', 'application/json').send('{"token": ');
    expect(garbage.status).to.equal(401);
    expect(garbage.body.id).to.equal('api.context.session_expired.app_error');
  });

  it('mounts next to authenticate(): a command token is refused by authenticate() and accepted by verifyCommand()', async () => {
    log = recordingLogger();
    const resolver: TokenResolver = { resolve: () => { throw new AuthFailure('unknown_token'); } };
    const app = new Koa();
    app.use(requestId());
    app.use(errorBoundary());
    const router = new Router();
    router.post('/api/me', authenticate({ resolver, logger: log }), (ctx) => { ctx.body = { ok: true }; });
    router.post('/slash/deploy', verifyCommand({ tokens: [TOKEN], logger: log }), (ctx) => {
      ctx.body = { response_type: 'in_channel', text: `deploying ${ctx.state.command?.text ?? ''}` };
    });
    app.use(router.routes());
    h = await listen(app);
    const viaAuth = await http().post('/api/me').set('Authorization', `Token ${TOKEN}`).send({});
    const viaVerify = await http().post('/slash/deploy').set('Authorization', `Token ${TOKEN}`).type('form').send(form(slash));
    expect(viaAuth.status).to.equal(401);
    expect(viaVerify.status).to.equal(200);
    expect(viaVerify.body).to.deep.equal({ response_type: 'in_channel', text: 'deploying api now' });
    expect(viaAuth.body.id).to.equal('api.context.session_expired.app_error');
  });

  it('requires tokens', () => {
    expect(() => verifyCommand({} as VerifyCommandOptions)).to.throw(TypeError, /tokens/);
  });
});
