/**
 * examples/echo-bot against the mock's WebSocket (spec §9) with the official WebSocketClient:
 * in-process and as a process. Needs the mock's WebSocket hub (`GET /api/v4/websocket`).
 */
import { expect } from 'chai';
import { run, startEchoBot } from '../../examples/echo-bot.js';
import { ExampleFailure } from '../../examples/lib/cli.js';
import { login, secretOf } from '../../examples/lib/client.js';
import type { MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';
import { bareEnv, collector, runExample } from './support/run-example.js';

describe('examples/echo-bot', () => {
  let mock: MockServer;
  let saved: typeof console.log;
  // WebSocketClient reports its connection steps with console.log.
  before(() => { saved = console.log; console.log = () => {}; });
  after(() => { console.log = saved; });
  beforeEach(async () => { mock = await startMockServer({ port: 0, inMemory: true }); });
  afterEach(async () => { await mock.close(); });

  it('demo: answers both mentions in the thread; after the revocation it receives nothing and answers nothing', async () => {
    const out = collector();
    const result = await run({ env: {}, print: out.print, server: mock });
    const bot = mock.store.findOne('users', 'username', 'echo-bot')!;
    expect(result!.botUserId).to.equal(bot.id);
    const [first, second] = result!.replies;
    const root = mock.store.get('posts', first!.rootId)!;
    expect(root.message).to.equal('hello @echo-bot');
    expect(mock.store.get('posts', first!.id)).to.include({ user_id: bot.id, root_id: root.id, message: '@sysadmin said: hello' });
    expect(mock.store.get('posts', second!.id)).to.include({ user_id: bot.id, root_id: root.id, message: '@sysadmin said: again, in the thread' });
    expect(result!.afterRevoke).to.equal('not_authenticated');
    // Exactly two bot posts: nothing answered the mention made after the revocation.
    const botPosts = mock.store.findMany('posts', 'channel_id', mock.seeded.channels['town-square']!.id).filter((p) => p.user_id === bot.id);
    expect(botPosts).to.have.lengthOf(2);
    expect([...mock.store.all('posts')].some((p) => p.message === '@echo-bot are you still there?')).to.equal(true);
    expect(mock.store.findMany('tokens', 'user_id', bot.id)).to.have.lengthOf(0);
    expect(out.lines.at(-1)).to.equal('done: 2 answers in the thread; after the revocation the bot received nothing and answered nothing');
  });

  it('serve mode with MM_URL and MM_TOKEN: answers a mention until the signal, then resolves', async () => {
    const admin = await login(mock.url, mock.seeded.sysadmin.username, mock.seeded.sysadmin.password);
    const user1 = mock.seeded.user1;
    const pat = await admin.createUserAccessToken(user1.id, 'echo as user-1');
    const controller = new AbortController();
    const out = collector();
    const running = run({ env: { MM_URL: mock.url, MM_TOKEN: secretOf(pat) }, print: out.print, signal: controller.signal });
    // A second bot instance on the same token shows the first is connected (both get the event).
    const probe = await startEchoBot({ url: mock.url, token: secretOf(pat), print: () => {} });
    const townSquare = mock.seeded.channels['town-square']!.id;
    const reply = probe.nextReply();
    await admin.createPost({ channel_id: townSquare, message: 'ping @user-1' } as never);
    const answered = await reply;
    expect(answered).to.include({ channel_id: townSquare, user_id: user1.id, message: '@sysadmin said: ping' });
    probe.close();
    controller.abort();
    expect(await running).to.equal(undefined);
    expect(out.text()).to.include('bot: answering mentions until SIGINT/SIGTERM');
    expect(out.lines.at(-1)).to.match(/^done: \d replies$/);
  });

  it('usage: only one of MM_URL / MM_TOKEN is exit 2; a refused token fails before connecting', async () => {
    const err = await run({ env: { MM_URL: mock.url }, print: () => {} }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(ExampleFailure);
    expect((err as ExampleFailure).exitCode).to.equal(2);
    const refused = await startEchoBot({ url: mock.url, token: 'aaaaaaaaaaaaaaaaaaaaaaaaaa', print: () => {} }).then(() => 'connected', (e: { status_code?: number }) => e.status_code);
    expect(refused).to.equal(401);
  });

  it('as a process with no arguments: the demo exits 0', async () => {
    const res = await runExample('echo-bot', [], bareEnv());
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout.trimEnd().split('\n').at(-1)).to.not.equal(undefined);
    expect(res.stdout).to.include('done: 2 answers in the thread; after the revocation the bot received nothing and answered nothing');
  });
});
