import { expect } from 'chai';
import { createSlashCommandApp, run } from '../../examples/slash-command.js';
import { ExampleFailure } from '../../examples/lib/cli.js';
import { login } from '../../examples/lib/client.js';
import type { MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';
import { listen } from '../support/koa-harness.js';
import { bareEnv, collector, runExample } from './support/run-example.js';

describe('examples/slash-command', () => {
  let mock: MockServer;
  beforeEach(async () => { mock = await startMockServer({ port: 0, inMemory: true }); });
  afterEach(async () => { await mock.close(); });

  it('demo: registers /deploy, executes it through the mock; the in_channel answer is a post; wrong and old tokens get 401; the command is deleted', async () => {
    const out = collector();
    const result = await run({ env: {}, print: out.print, server: mock });
    const post = mock.store.get('posts', result.postId);
    expect(post).to.include({ channel_id: mock.seeded.channels['town-square']!.id, user_id: mock.seeded.sysadmin.id, message: '@sysadmin started a deploy of **api** in ~town-square' });
    expect(post!.props).to.deep.equal({ from_webhook: 'true' });
    // The second execution (after regen_token) posted too; the usage answer did not.
    const posts = mock.store.findMany('posts', 'channel_id', mock.seeded.channels['town-square']!.id);
    expect(posts.map((p) => p.message)).to.deep.equal(['@sysadmin started a deploy of **api** in ~town-square', '@sysadmin started a deploy of **web** in ~town-square']);
    expect(result).to.include({ wrongToken: 401, oldToken: 401 });
    expect(mock.store.get('commands', result.commandId)).to.equal(undefined);
    expect(out.text()).to.include('user: /deploy -> ephemeral "Usage: /deploy <service>" (only the caller sees it)');
    expect(out.lines.at(-1)).to.equal('done: the in_channel answer became a post; wrong and old tokens were refused');
  });

  it('against a server given by MM_URL, MM_TOKEN and MM_CHANNEL (here the mock, with an admin session token)', async () => {
    const admin = await login(mock.url, mock.seeded.sysadmin.username, mock.seeded.sysadmin.password);
    const offTopic = mock.seeded.channels['off-topic']!.id;
    const out = collector();
    const result = await run({ env: { MM_URL: mock.url, MM_TOKEN: admin.getToken(), MM_CHANNEL: offTopic }, print: out.print });
    expect(mock.store.get('posts', result.postId)!.channel_id).to.equal(offTopic);
    expect(mock.store.count('commands')).to.equal(0);
  });

  it('usage errors: one of MM_URL/MM_TOKEN, no MM_CHANNEL, a bad PORT (exit code 2)', async () => {
    for (const env of [{ MM_URL: mock.url }, { MM_URL: mock.url, MM_TOKEN: 'x' }, { MM_URL: mock.url, MM_TOKEN: 'x', MM_CHANNEL: 'c', PORT: 'no' }]) {
      const err = await run({ env, print: () => {} }).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(ExampleFailure);
      expect((err as ExampleFailure).exitCode).to.equal(2);
    }
  });

  it('the service alone: verifyCommand refuses a PAT-style bearer token and answers ephemeral usage without text', async () => {
    const h = await listen(createSlashCommandApp({ tokens: () => ['x4ofdusg3tgbjbgb8z1srcw6ec'] }));
    try {
      const bearer = await h.http.post('/slash/deploy').set('Authorization', 'Bearer x4ofdusg3tgbjbgb8z1srcw6ec').send({});
      expect(bearer.status).to.equal(401);
      expect(bearer.body.id).to.equal('api.context.session_expired.app_error');
      const usage = await h.http.post('/slash/deploy').type('form').send('token=x4ofdusg3tgbjbgb8z1srcw6ec&command=%2Fdeploy&text=');
      expect(usage.body).to.deep.equal({ response_type: 'ephemeral', text: 'Usage: /deploy <service>' });
    } finally {
      await h.close();
    }
  });

  it('as a process with no arguments: the demo exits 0', async () => {
    const res = await runExample('slash-command', [], bareEnv());
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout.trimEnd().split('\n').at(-1)).to.equal('done: the in_channel answer became a post; wrong and old tokens were refused');
    expect(res.stderr).to.equal('');
  });

  it('as a process with only MM_URL: usage error, exit 2', async () => {
    const res = await runExample('slash-command', [], bareEnv({ MM_URL: mock.url }));
    expect(res.code).to.equal(2);
    expect(res.stderr).to.equal('error: set both MM_URL and MM_TOKEN (or neither, for the demo)\n');
  });
});
