/**
 * Post calls bots make, with the official Client4 over real HTTP: thread, update, patch, delete,
 * with Mattermost's permissions (edit_post / edit_others_posts / delete_post /
 * delete_others_posts), error ids, WebSocket events, and deleted posts vanishing everywhere.
 */
import { expect } from 'chai';
import { expectFailure, expectForbidden, eventsNamed, raw, startClientMock, UNKNOWN_ID, type ClientMock } from './support/client4.js';

describe('mock server: post calls bots make (Client4 over HTTP)', () => {
  let t: ClientMock;
  before(async () => { t = await startClientMock(); });
  after(async () => { await t.close(); });

  const post = (message: string, rootId = '') => t.user.createPost({ channel_id: t.offTopicId, message, root_id: rootId } as never);

  it('getPostThread: the root and its replies, newest first, from the root or a reply; 404 / 403', async () => {
    const root = await post('root');
    const r1 = await t.other.createPost({ channel_id: t.offTopicId, message: 'reply 1', root_id: root.id } as never);
    const r2 = await post('reply 2', root.id);
    const thread = await t.user.getPostThread(root.id);
    expect(thread.order).to.deep.equal([r2.id, r1.id, root.id]);
    expect(thread.posts[root.id]).to.include({ message: 'root', reply_count: 2 });
    expect((await t.user.getPostThread(r1.id)).order).to.deep.equal(thread.order);
    await expectFailure(t.user.getPostThread(UNKNOWN_ID), 404, 'app.post.get.app_error');
    const secret = await t.admin.createPost({ channel_id: t.privateId, message: 'admins only' } as never);
    await expectForbidden(t.user.getPostThread(secret.id), 'read_channel_content');
  });

  it('getPostThread and getPosts: posts written in the same millisecond stay newest first (reverse insertion order)', async () => {
    const frozenAt = Date.now();
    const frozen = await startClientMock({ now: () => frozenAt });
    try {
      const root = await frozen.user.createPost({ channel_id: frozen.offTopicId, message: 'root' } as never);
      const replies = [];
      for (const message of ['a', 'b', 'c']) replies.push(await frozen.user.createPost({ channel_id: frozen.offTopicId, message, root_id: root.id } as never));
      expect([root, ...replies].map((p) => p.create_at)).to.deep.equal([frozenAt, frozenAt, frozenAt, frozenAt]);
      const newest = [...replies].reverse().map((p) => p.id);
      expect((await frozen.user.getPostThread(replies[1].id)).order).to.deep.equal([...newest, root.id]);
      expect((await frozen.user.getPosts(frozen.offTopicId)).order.slice(0, 4)).to.deep.equal([...newest, root.id]);
    } finally {
      await frozen.close();
    }
  });

  it('updatePost: new message, edit_at set, post_edited to the channel; the id must match; 403 for others; 400 for an over-long message', async () => {
    const p = await post('typo');
    t.events.length = 0;
    const updated = await t.user.updatePost({ ...p, message: 'fixed' });
    expect(updated).to.include({ id: p.id, message: 'fixed' });
    expect(updated.edit_at).to.be.greaterThan(0);
    expect(updated.update_at).to.be.at.least(updated.edit_at);
    const [edited] = eventsNamed(t.events, 'post_edited');
    expect(edited.broadcast).to.deep.equal({ channel_id: t.offTopicId });
    expect(JSON.parse(edited.data.post as string)).to.include({ id: p.id, message: 'fixed' });
    expect((await t.user.getPost(p.id)).message).to.equal('fixed');
    const mismatch = await raw(t.url, 'PUT', `/posts/${p.id}`, t.user.getToken(), JSON.stringify({ id: UNKNOWN_ID, message: 'x' }));
    expect([mismatch.status, mismatch.body.message]).to.deep.equal([400, 'Invalid or missing id in request body.']);
    await expectForbidden(t.other.updatePost({ ...p, message: 'hijack' }), 'edit_others_posts');
    expect((await t.admin.updatePost({ ...p, message: 'moderated' })).message).to.equal('moderated');
    await expectForbidden(t.user.updatePost({ ...p, id: UNKNOWN_ID }), 'edit_post');
    await expectForbidden(t.user.patchPost({ id: UNKNOWN_ID, message: 'x' }), 'edit_post');
    await expectFailure(t.user.updatePost({ ...p, message: 'm'.repeat(16384) }), 400, 'model.post.is_valid.msg.app_error');
  });

  it('patchPost: only the given fields; pinning does not set edit_at; 403 edit_others_posts; bad bodies 400', async () => {
    const p = await t.user.createPost({ channel_id: t.offTopicId, message: 'keep me', props: { a: 1 } } as never);
    const pinned = await t.user.patchPost({ id: p.id, is_pinned: true });
    expect(pinned).to.include({ message: 'keep me', is_pinned: true, edit_at: 0 });
    expect(pinned.props).to.deep.equal({ a: 1 });
    const patched = await t.user.patchPost({ id: p.id, message: 'changed' });
    expect(patched).to.include({ message: 'changed', is_pinned: true });
    expect(patched.edit_at).to.be.greaterThan(0);
    await expectForbidden(t.other.patchPost({ id: p.id, message: 'no' }), 'edit_others_posts');
    const bad = await raw(t.url, 'PUT', `/posts/${p.id}/patch`, t.user.getToken(), '{"message":42}');
    expect([bad.status, bad.body.message]).to.deep.equal([400, 'Invalid or missing post in request body.']);
  });

  it('deletePost: soft delete of the post and its replies, post_deleted with delete_by; gone from get, listings and threads', async () => {
    const root = await post('delete me');
    const reply = await t.other.createPost({ channel_id: t.offTopicId, message: 'me too', root_id: root.id } as never);
    await expectForbidden(t.other.deletePost(root.id), 'delete_others_posts');
    t.events.length = 0;
    expect(await t.user.deletePost(root.id)).to.deep.equal({ status: 'OK' });
    const [deleted] = eventsNamed(t.events, 'post_deleted');
    expect(deleted.broadcast).to.deep.equal({ channel_id: t.offTopicId });
    expect(deleted.data.delete_by).to.equal(t.userId);
    expect(JSON.parse(deleted.data.post as string)).to.include({ id: root.id });
    await expectFailure(t.user.getPost(root.id), 404, 'app.post.get.app_error');
    await expectFailure(t.user.getPost(reply.id), 404, 'app.post.get.app_error');
    await expectFailure(t.user.getPostThread(root.id), 404, 'app.post.get.app_error');
    const listing = await t.user.getPosts(t.offTopicId, 0, 200);
    expect(listing.order).to.not.include.members([root.id, reply.id]);
    expect(Object.keys(listing.posts)).to.not.include.members([root.id, reply.id]);
    const withDeleted = await raw(t.url, 'GET', `/posts/${root.id}?include_deleted=true`, t.admin.getToken());
    expect(withDeleted.status).to.equal(200);
    expect(withDeleted.body.delete_at).to.be.greaterThan(0);
    await expectFailure(t.user.deletePost(root.id), 404, 'app.post.get.app_error');
    await expectFailure(t.user.deletePost(UNKNOWN_ID), 404, 'app.post.get.app_error');
    // an admin may delete anyone's post
    const theirs = await t.other.createPost({ channel_id: t.offTopicId, message: 'moderate me' } as never);
    expect(await t.admin.deletePost(theirs.id)).to.deep.equal({ status: 'OK' });
  });

  it('deletePost ?permanent=true: 501 until EnableAPIPostDeletion, then manage_system only; the post, its replies and reactions are gone', async () => {
    const root = await post('erase me');
    const reply = await t.other.createPost({ channel_id: t.offTopicId, message: 'and me', root_id: root.id } as never);
    await t.other.addReaction(t.otherId, root.id, 'wave');
    const off = await raw(t.url, 'DELETE', `/posts/${root.id}?permanent=true`, t.admin.getToken());
    expect([off.status, off.body.id]).to.deep.equal([501, 'api.post.delete_post.not_enabled.app_error']);
    await t.admin.patchConfig({ ServiceSettings: { EnableAPIPostDeletion: true } } as never);
    try {
      const mine = await raw(t.url, 'DELETE', `/posts/${root.id}?permanent=true`, t.user.getToken());
      expect([mine.status, mine.body.detailed_error]).to.deep.equal([403, `userId=${t.userId}, permission=manage_system`]);
      const done = await raw(t.url, 'DELETE', `/posts/${root.id}?permanent=true`, t.admin.getToken());
      expect(done.status).to.equal(200);
      for (const id of [root.id, reply.id]) {
        expect(t.mock.store.get('posts', id)).to.equal(undefined);
      }
      expect(t.mock.store.findMany('reactions', 'post_id', root.id)).to.deep.equal([]);
    } finally {
      await t.admin.patchConfig({ ServiceSettings: { EnableAPIPostDeletion: false } } as never);
    }
  });

  it('getPostThread refuses a perPage above 200 and an unknown direction (400)', async () => {
    const root = await post('paged');
    const big = await raw(t.url, 'GET', `/posts/${root.id}/thread?perPage=201`, t.user.getToken());
    expect([big.status, big.body.message]).to.deep.equal([400, 'Invalid or missing perPage in request body.']);
    const dir = await raw(t.url, 'GET', `/posts/${root.id}/thread?direction=sideways`, t.user.getToken());
    expect([dir.status, dir.body.message]).to.deep.equal([400, 'Invalid or missing direction in request body.']);
  });
});
