import { expect } from 'chai';
import { AppError } from '../../middleware/errors/app-error.js';
import type { MockData, Store } from '../../mock-server/db/schema.js';
import { openStore } from '../../mock-server/db/store.js';
import { canCreatePost, requireCreatePost, sessionHasPermissionToChannel } from '../../mock-server/services/channel-permissions.js';
import { newChannelRecord } from '../../mock-server/services/channels.js';
import { startContentMock } from './support/content.js';
import {
  API, UNKNOWN_ID, bearer, createPat, expectError, expectPermission, setRoles, type TestMock,
} from './support/mock.js';

describe('mock server: posts', () => {
  let t: TestMock;
  let townSquare: string;
  let privateId: string;
  before(async () => {
    t = await startContentMock();
    townSquare = t.mock.seeded.channels['town-square'].id;
    privateId = t.mock.seeded.channels['private-1'].id;
  });
  after(async () => { await t.mock.close(); });
  afterEach(async () => { await setRoles(t, t.userId, 'system_user'); });

  const post = (token: string, body: unknown) => t.http.post(`${API}/posts`).set(bearer(token)).send(body as object);

  it('a member posts to its channel: 201, Post JSON, user_id forced to the caller, channel counters move', async () => {
    const before = t.mock.store.get('channels', townSquare);
    const res = await post(t.user, { channel_id: townSquare, message: 'hello #world', user_id: t.adminId });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.headers['content-type']).to.equal('application/json');
    expect(Object.keys(res.body)).to.deep.equal([
      'id', 'create_at', 'update_at', 'edit_at', 'delete_at', 'is_pinned', 'user_id', 'channel_id', 'root_id', 'original_id',
      'message', 'type', 'props', 'hashtags', 'pending_post_id', 'reply_count', 'last_reply_at', 'participants', 'metadata',
    ]);
    expect(res.body).to.include({ user_id: t.userId, channel_id: townSquare, message: 'hello #world', hashtags: '#world', type: '' });
    const after = t.mock.store.get('channels', townSquare);
    expect(after?.total_msg_count).to.equal((before?.total_msg_count ?? 0) + 1);
    expect(after?.last_post_at).to.equal(res.body.create_at);
    const got = await t.http.get(`${API}/posts/${res.body.id}`).set(bearer(t.user));
    expect(got.status).to.equal(200);
    expect(got.body.id).to.equal(res.body.id);
  });

  it('a non-member is refused with 403 naming create_post; an unknown channel id is 403 too (not 404)', async () => {
    expectPermission(await post(t.user, { channel_id: privateId, message: 'x' }), 'create_post');
    expectPermission(await post(t.user, { channel_id: UNKNOWN_ID, message: 'x' }), 'create_post');
    expectPermission(await post(t.admin, { channel_id: UNKNOWN_ID, message: 'x' }), 'create_post');
  });

  it('system_post_all posts into a private channel and a DM it is not in (201), but may not read them', async () => {
    const dm = await t.http.post(`${API}/channels/direct`).set(bearer(t.admin)).send([t.adminId, t.adminId]);
    expect(dm.status).to.equal(201);
    await setRoles(t, t.userId, 'system_user system_post_all');
    const inPrivate = await post(t.user, { channel_id: privateId, message: 'from post:all' });
    expect(inPrivate.status, JSON.stringify(inPrivate.body)).to.equal(201);
    expect(inPrivate.body.user_id).to.equal(t.userId);
    const inDm = await post(t.user, { channel_id: dm.body.id, message: 'into a DM' });
    expect(inDm.status, JSON.stringify(inDm.body)).to.equal(201);
    expect(t.mock.store.get('channelMembers', `${privateId}:${t.userId}`)).to.equal(undefined);
    expectPermission(await t.http.get(`${API}/posts/${inPrivate.body.id}`).set(bearer(t.user)), 'read_channel_content');
    expectPermission(await t.http.get(`${API}/channels/${dm.body.id}/posts`).set(bearer(t.user)), 'read_channel_content');
    expect((await t.http.get(`${API}/posts/${inPrivate.body.id}`).set(bearer(t.admin))).status).to.equal(200);
  });

  it('system_post_all_public posts into a public channel it is not in (201) but not a private one (403)', async () => {
    const created = await t.http.post(`${API}/channels`).set(bearer(t.admin))
      .send({ team_id: t.mock.seeded.team?.id, name: 'announcements', display_name: 'Announcements', type: 'O' });
    expect(created.status).to.equal(201);
    expectPermission(await post(t.user, { channel_id: created.body.id, message: 'x' }), 'create_post');
    await setRoles(t, t.userId, 'system_user system_post_all_public');
    const ok = await post(t.user, { channel_id: created.body.id, message: 'public post' });
    expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
    expectPermission(await post(t.user, { channel_id: privateId, message: 'x' }), 'create_post');
  });

  it('posts with a PAT; a role change applies to the existing token at once', async () => {
    await setRoles(t, t.userId, 'system_user system_user_access_token');
    const pat = await createPat(t, t.user);
    expect((await post(pat.token, { channel_id: townSquare, message: 'via PAT' })).status).to.equal(201);
    expectPermission(await post(pat.token, { channel_id: privateId, message: 'x' }), 'create_post');
    await setRoles(t, t.userId, 'system_user system_user_access_token system_post_all');
    const res = await post(pat.token, { channel_id: privateId, message: 'now allowed' });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    await setRoles(t, t.userId, 'system_user system_user_access_token');
    expectPermission(await post(pat.token, { channel_id: privateId, message: 'x' }), 'create_post');
  });

  it('validates the message: empty → 201 (as Mattermost), more than 16383 runes → 400, exactly 16383 runes → 201', async () => {
    const empty = await post(t.user, { channel_id: townSquare, message: '' });
    expect(empty.status).to.equal(201);
    expect(empty.body.message).to.equal('');
    expectError(await post(t.user, { channel_id: townSquare, message: 'x'.repeat(16384) }), 400, 'model.post.is_valid.msg.app_error');
    const long = await post(t.user, { channel_id: townSquare, message: '\u{1F600}'.repeat(16383) });
    expect(long.status).to.equal(201);
  });

  it('400 invalid_body_param post for bodies that are not a Post; 400 for system_ types and bad roots', async () => {
    for (const body of ['nope', '[]', '{"channel_id":5}', '{"channel_id":"x","props":[]}']) {
      const res = await t.http.post(`${API}/posts`).set(bearer(t.user)).set('Content-Type', 'application/json').send(body);
      expectError(res, 400, 'api.context.invalid_body_param.app_error');
      expect(res.body.message).to.equal('Invalid or missing post in request body.');
    }
    expectError(await post(t.user, { channel_id: townSquare, message: 'x', type: 'system_join_channel' }), 400, 'api.context.invalid_param.app_error');
    expectError(await post(t.user, { channel_id: townSquare, message: 'x', root_id: UNKNOWN_ID }), 400, 'api.post.create_post.root_id.app_error');
  });

  it('create_at is honoured only with manage_system', async () => {
    const admin = await post(t.admin, { channel_id: townSquare, message: 'old', create_at: 1_000_000 });
    expect(admin.body.create_at).to.equal(1_000_000);
    const user = await post(t.user, { channel_id: townSquare, message: 'old?', create_at: 1_000_000 });
    expect(user.body.create_at).to.be.greaterThan(1_000_000);
  });

  it('GET /posts/{id}: 400 for a malformed id, 404 app.post.get.app_error for an unknown one', async () => {
    expectError(await t.http.get(`${API}/posts/123`).set(bearer(t.user)), 400, 'api.context.invalid_url_param.app_error');
    expectError(await t.http.get(`${API}/posts/${UNKNOWN_ID}`).set(bearer(t.user)), 404, 'app.post.get.app_error');
  });

  it('GET /channels/{id}/posts: PostList newest first, paged, with cursor ids and thread roots', async () => {
    const created = await t.http.post(`${API}/channels`).set(bearer(t.user))
      .send({ team_id: t.mock.seeded.team?.id, name: 'paging', display_name: 'Paging', type: 'P' });
    const channelId = created.body.id as string;
    const ids: string[] = [];
    for (const message of ['one', 'two', 'three']) ids.push((await post(t.user, { channel_id: channelId, message })).body.id);
    const reply = await post(t.user, { channel_id: channelId, message: 'reply', root_id: ids[0] });
    expect(reply.status).to.equal(201);
    expect(reply.body.reply_count).to.equal(1);

    const first = await t.http.get(`${API}/channels/${channelId}/posts?page=0&per_page=2`).set(bearer(t.user));
    expect(first.status).to.equal(200);
    expect(first.headers['content-type']).to.equal('application/json');
    expect(Object.keys(first.body)).to.deep.equal(['order', 'posts', 'next_post_id', 'prev_post_id', 'has_next', 'first_inaccessible_post_time']);
    expect(first.body.order).to.deep.equal([reply.body.id, ids[2]]);
    expect(Object.keys(first.body.posts).sort()).to.deep.equal([reply.body.id, ids[2], ids[0]].sort());
    expect(first.body.next_post_id).to.equal('');
    expect(first.body.prev_post_id).to.equal(ids[1]);
    expect(first.body.posts[ids[0]].reply_count).to.equal(1);

    const second = await t.http.get(`${API}/channels/${channelId}/posts?page=1&per_page=2`).set(bearer(t.user));
    expect(second.body.order).to.deep.equal([ids[1], ids[0]]);
    expect(second.body.next_post_id).to.equal(ids[2]);
    expect(second.body.prev_post_id).to.equal('');

    const before = await t.http.get(`${API}/channels/${channelId}/posts?before=${ids[2]}`).set(bearer(t.user));
    expect(before.body.order).to.deep.equal([ids[1], ids[0]]);
    expect(before.body.next_post_id).to.equal(ids[2]);
    const afterRes = await t.http.get(`${API}/channels/${channelId}/posts?after=${ids[0]}&per_page=1`).set(bearer(t.user));
    expect(afterRes.body.order).to.deep.equal([ids[1]]);
    expect(afterRes.body.prev_post_id).to.equal(ids[0]);

    expectPermission(await t.http.get(`${API}/channels/${channelId}/posts?include_deleted=true`).set(bearer(t.user)), 'read_deleted_posts');
    expect((await t.http.get(`${API}/channels/${channelId}/posts?include_deleted=true`).set(bearer(t.admin))).status).to.equal(200);
  });
});

describe('channel permissions (create_post resolution, unit)', () => {
  const ids = { team: 'teamaaaaaaaaaaaaaaaaaaaaaa', other: 'otheraaaaaaaaaaaaaaaaaaaaa', priv: 'privaaaaaaaaaaaaaaaaaaaaaa', open: 'openaaaaaaaaaaaaaaaaaaaaaa', dm: 'dmaaaaaaaaaaaaaaaaaaaaaaaa', u: 'useraaaaaaaaaaaaaaaaaaaaaa' };
  let store: Store;
  before(async () => {
    const channel = (id: string, type: 'O' | 'P' | 'D', teamId: string) => newChannelRecord({ id, team_id: teamId, type, name: id, display_name: id }, 1);
    store = await openStore({
      inMemory: true,
      initialData: () => ({
        version: 1, config: {} as MockData['config'], users: [], bots: [], tokens: [], sessions: [], posts: [],
        teams: [], channels: [channel(ids.priv, 'P', ids.team), channel(ids.open, 'O', ids.team), channel(ids.dm, 'D', '')],
        teamMembers: [{ team_id: ids.team, user_id: ids.u, roles: 'team_user team_post_all', delete_at: 0 }],
        channelMembers: [],
      }),
    });
  });

  const caller = (roles: string[]) => ({ userId: ids.u, roles });

  it('team roles count for team channels only: team_post_all posts in its team\'s private channel, not in DMs', () => {
    expect(canCreatePost(store, caller(['system_user']), ids.priv)).to.equal(true);
    expect(canCreatePost(store, caller(['system_user']), ids.dm)).to.equal(false);
    expect(canCreatePost(store, caller(['system_user', 'system_post_all']), ids.dm)).to.equal(true);
  });

  it('manage_system passes any existing channel; no role passes an unknown one', () => {
    expect(sessionHasPermissionToChannel(store, caller(['system_admin']), ids.dm, 'read_channel')).to.equal(true);
    expect(canCreatePost(store, caller(['system_admin']), 'unknownaaaaaaaaaaaaaaaaaaa')).to.equal(false);
    expect(() => requireCreatePost(store, caller(['system_admin']), '')).to.throw(AppError).with.property('status', 403);
  });

  it('create_post_public only opens public channels; a left team membership grants nothing', async () => {
    expect(canCreatePost(store, caller(['system_user', 'system_post_all_public']), ids.open)).to.equal(true);
    expect(canCreatePost(store, caller(['system_user', 'system_post_all_public']), ids.dm)).to.equal(false);
    await store.commit([{ op: 'put', collection: 'teamMembers', record: { team_id: ids.team, user_id: ids.u, roles: 'team_user team_post_all', delete_at: 5 } }]);
    expect(canCreatePost(store, caller(['system_user']), ids.priv)).to.equal(false);
  });
});
