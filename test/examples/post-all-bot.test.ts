import { expect } from 'chai';
import { run } from '../../examples/post-all-bot.js';
import { ExampleFailure } from '../../examples/lib/cli.js';
import { login, secretOf, type Client } from '../../examples/lib/client.js';
import type { MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';
import { bareEnv, collector, runExample } from './support/run-example.js';

describe('examples/post-all-bot', () => {
  let mock: MockServer;
  let admin: Client;

  beforeEach(async () => {
    mock = await startMockServer({ port: 0, inMemory: true });
    admin = await login(mock.url, mock.seeded.sysadmin.username, mock.seeded.sysadmin.password);
  });
  afterEach(async () => { await mock.close(); });

  const channel = (name: string) => mock.seeded.channels[name]!;
  const isMember = (channelId: string, userId: string) => mock.store.get('channelMembers', `${channelId}:${userId}`) !== undefined;

  it('demo: posts as a non-member to a public, a private and a DM channel, then shows 403 without post:all and public-only with post:channels', async () => {
    const out = collector();
    const result = await run({ env: {}, print: out.print, server: mock });
    const text = out.text();

    const bot = mock.store.findOne('users', 'username', 'post-all-bot');
    expect(bot, 'bot account created through the API').to.not.equal(undefined);
    expect(result.botUserId).to.equal(bot!.id);
    expect(bot!.is_bot).to.equal(true);
    // The admin steps really happened on the server.
    expect(mock.store.config.ServiceSettings.EnableUserAccessTokens).to.equal(true);
    expect(mock.store.config.ServiceSettings.EnableBotAccountCreation).to.equal(true);
    expect(mock.store.findMany('tokens', 'user_id', bot!.id)).to.have.lengthOf(1);
    // Roles were restored after the comparison.
    expect(bot!.roles).to.equal('system_user system_post_all');

    // One post:all post per channel, stored, by the bot, in channels it is not a member of.
    expect(result.posts.map((p) => p.target.kind)).to.deep.equal(['public', 'private', 'direct']);
    for (const { target, postId } of result.posts) {
      const post = mock.store.get('posts', postId);
      expect(post, `post in ${target.label}`).to.include({ user_id: bot!.id, channel_id: target.channelId });
      expect(post!.message).to.match(/posted with post:all/);
      expect(isMember(target.channelId, bot!.id), `bot must not be a member of ${target.label}`).to.equal(false);
    }
    expect(mock.store.get('channels', result.posts[1]!.target.channelId)!.type).to.equal('P');
    expect(mock.store.get('channels', result.posts[2]!.target.channelId)!.type).to.equal('D');

    // Comparison: nothing without post:all; public only with post:channels.
    expect(result.comparison.map((c) => `${c.roles}|${c.target.kind}|${c.outcome}`)).to.deep.equal([
      'system_user|public|403 api.context.permissions.app_error',
      'system_user|private|403 api.context.permissions.app_error',
      'system_user|direct|403 api.context.permissions.app_error',
      'system_user system_post_all_public|public|ok',
      'system_user system_post_all_public|private|403 api.context.permissions.app_error',
      'system_user system_post_all_public|direct|403 api.context.permissions.app_error',
    ]);
    // Exactly the allowed posts exist: 1 per channel with post:all, +1 in town-square with post:channels.
    const botPosts = (id: string) => mock.store.findMany('posts', 'channel_id', id).filter((p) => p.user_id === bot!.id);
    expect(botPosts(channel('town-square').id)).to.have.lengthOf(2);
    expect(botPosts(channel('private-1').id)).to.have.lengthOf(1);
    expect(botPosts(result.posts[2]!.target.channelId)).to.have.lengthOf(1);

    expect(text).to.include('admin: enabled personal access tokens');
    expect(text).to.match(/bot: posted to ~private-1 \(private\) with post:all -> post [a-z0-9]{26}/);
    expect(text).to.include('bot: without post:all: ~town-square (public) -> 403 api.context.permissions.app_error');
    expect(text).to.include('bot: with post:channels only: ~town-square (public) -> posted');
    expect(text).to.include('bot: with post:channels only: ~private-1 (private) -> 403 api.context.permissions.app_error');
    expect(out.lines.at(-1)).to.equal('done: 3 posts with post:all, 6 comparison attempts as documented');
    const [tokenRow] = mock.store.findMany('tokens', 'user_id', bot!.id);
    expect(text).to.include(`admin: created a personal access token for @post-all-bot (token id ${tokenRow!.id})`);
  });

  describe('against a server given by MM_URL and MM_TOKEN', () => {
    let botId: string;
    let token: string;
    let dmId: string;

    beforeEach(async () => {
      await admin.patchConfig({ ServiceSettings: { EnableBotAccountCreation: true } });
      const bot = await admin.createBot({ username: 'ext-bot', display_name: 'ext' });
      botId = bot.user_id;
      await admin.updateUserRoles(botId, 'system_user system_post_all');
      token = secretOf(await admin.createUserAccessToken(botId, 'ext'));
      dmId = (await admin.createDirectChannel([mock.seeded.sysadmin.id, mock.seeded.user1.id])).id;
    });

    it('posts to MM_CHANNELS and, with MM_ADMIN_TOKEN, runs the comparison and restores the roles', async () => {
      const out = collector();
      const env = { MM_URL: mock.url, MM_TOKEN: token, MM_CHANNELS: `${channel('off-topic').id}, ${channel('private-1').id},${dmId}`, MM_ADMIN_TOKEN: admin.getToken() };
      const result = await run({ env, print: out.print });
      expect(result.posts.map((p) => p.target.kind)).to.deep.equal(['O', 'P', 'D']);
      for (const { postId, target } of result.posts) expect(mock.store.get('posts', postId)).to.include({ user_id: botId, channel_id: target.channelId });
      expect(result.comparison.filter((c) => c.outcome === 'ok').map((c) => c.target.kind)).to.deep.equal(['O']);
      expect(mock.store.get('users', botId)!.roles).to.equal('system_user system_post_all');
      expect(out.text()).to.include('bot: the token authenticates as @ext-bot');
      expect(out.text()).to.not.include(token);
    });

    it('without MM_ADMIN_TOKEN it only posts, and says how to get the comparison', async () => {
      const out = collector();
      const result = await run({ env: { MM_URL: mock.url, MM_TOKEN: token, MM_CHANNELS: dmId }, print: out.print });
      expect(result.posts).to.have.lengthOf(1);
      expect(result.comparison).to.deep.equal([]);
      expect(mock.store.findMany('posts', 'channel_id', dmId).map((p) => p.user_id)).to.deep.equal([botId]);
      expect(out.text()).to.include('set MM_ADMIN_TOKEN');
    });

    it('fails with exit code 1 and a reason when the token lacks post:all, without posting', async () => {
      await admin.updateUserRoles(botId, 'system_user system_post_all_public');
      const err = await run({ env: { MM_URL: mock.url, MM_TOKEN: token, MM_CHANNELS: dmId }, print: () => {} }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ExampleFailure);
      expect((err as ExampleFailure).exitCode).to.equal(1);
      expect((err as ExampleFailure).message).to.equal('@ext-bot lacks system_post_all (post:all): grant it first');
      expect(mock.store.findMany('posts', 'channel_id', dmId)).to.deep.equal([]);
    });

    it('fails with exit code 1 when the token is refused (revoked)', async () => {
      const [row] = mock.store.findMany('tokens', 'user_id', botId);
      await admin.revokeUserAccessToken(row!.id);
      const err = await run({ env: { MM_URL: mock.url, MM_TOKEN: token, MM_CHANNELS: dmId }, print: () => {} }).catch((e: unknown) => e);
      expect((err as ExampleFailure).exitCode).to.equal(1);
      expect((err as Error).message).to.equal('the token was refused by GET /users/me (401 api.context.session_expired.app_error)');
    });

    it('fails when a post is refused: a bot with post:all posting to an unknown channel', async () => {
      const err = await run({ env: { MM_URL: mock.url, MM_TOKEN: token, MM_CHANNELS: 'aaaaaaaaaaaaaaaaaaaaaaaaaa' }, print: () => {} }).catch((e: unknown) => e);
      expect((err as ExampleFailure).exitCode).to.equal(1);
      expect((err as Error).message).to.match(/^posting to aaaaaaaaaaaaaaaaaaaaaaaaaa with post:all failed: 40[34] /);
    });
  });

  it('usage errors exit 2: one of MM_URL / MM_TOKEN, or no MM_CHANNELS', async () => {
    for (const env of [{ MM_URL: mock.url }, { MM_TOKEN: 'x' }, { MM_URL: mock.url, MM_TOKEN: 'x' }]) {
      const err = await run({ env, print: () => {} }).catch((e: unknown) => e);
      expect(err, JSON.stringify(env)).to.be.instanceOf(ExampleFailure);
      expect((err as ExampleFailure).exitCode).to.equal(2);
    }
  });

  it('as a process with no environment: runs the demo and exits 0', async () => {
    const res = await runExample('post-all-bot');
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stderr).to.equal('');
    expect(res.stdout).to.match(/^demo: started an in-process mock Mattermost at http:\/\/127\.0\.0\.1:\d+$/m);
    expect(res.stdout).to.match(/^bot: posted to @sysadmin <-> @user-1 \(direct message\) with post:all -> post [a-z0-9]{26}$/m);
    expect(res.stdout).to.include('bot: with post:channels only: ~private-1 (private) -> 403 api.context.permissions.app_error');
    expect(res.stdout.trimEnd().split('\n').at(-1)).to.equal('done: 3 posts with post:all, 6 comparison attempts as documented');
  });

  it('as a process with only MM_URL: exits 2 with a one-line reason', async () => {
    const res = await runExample('post-all-bot', [], bareEnv({ MM_URL: mock.url }));
    expect(res.code).to.equal(2);
    expect(res.stdout).to.equal('');
    expect(res.stderr).to.equal('error: set both MM_URL and MM_TOKEN (or neither, for the demo)\n');
  });
});
