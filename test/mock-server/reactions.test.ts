/**
 * Reactions with the official Client4 over real HTTP: add (idempotent), list, remove; the post's
 * `has_reactions` and `metadata.reactions` follow; reaction_added / reaction_removed to the channel;
 * permission and bad-input failures with Mattermost's ids.
 */
import { expect } from 'chai';
import { expectFailure, expectForbidden, eventsNamed, raw, startClientMock, UNKNOWN_ID, type ClientMock } from './support/client4.js';

/** `Post.has_reactions` (omitempty in Mattermost's JSON; not in @mattermost/types' Post). */
const hasReactions = (post: object): unknown => (post as { has_reactions?: boolean }).has_reactions;

describe('mock server: reactions (Client4 over HTTP)', () => {
  let t: ClientMock;
  before(async () => { t = await startClientMock(); });
  after(async () => { await t.close(); });

  it('addReaction / getReactionsForPost / removeReaction keep has_reactions and metadata consistent, with events', async () => {
    const p = await t.user.createPost({ channel_id: t.offTopicId, message: 'react to me' } as never);
    expect(hasReactions(p)).to.equal(undefined);
    t.events.length = 0;
    const r = await t.other.addReaction(t.otherId, p.id, 'tada');
    expect(r).to.include({ user_id: t.otherId, post_id: p.id, emoji_name: 'tada', channel_id: t.offTopicId, delete_at: 0 });
    const [added] = eventsNamed(t.events, 'reaction_added');
    expect(added.broadcast).to.deep.equal({ channel_id: t.offTopicId });
    expect(JSON.parse(added.data.reaction as string)).to.include({ user_id: t.otherId, emoji_name: 'tada' });
    const again = await t.other.addReaction(t.otherId, p.id, 'tada');
    expect(again.create_at).to.equal(r.create_at);
    await t.user.addReaction(t.userId, p.id, '+1');
    const list = await t.user.getReactionsForPost(p.id);
    expect(list.map((x) => [x.user_id, x.emoji_name])).to.deep.equal([[t.otherId, 'tada'], [t.userId, '+1']]);
    const withReactions = await t.user.getPost(p.id);
    expect(hasReactions(withReactions)).to.equal(true);
    expect(withReactions.update_at).to.be.at.least(r.create_at);
    expect(withReactions.metadata.reactions?.map((x) => x.emoji_name)).to.deep.equal(['tada', '+1']);

    t.events.length = 0;
    expect(await t.other.removeReaction(t.otherId, p.id, 'tada')).to.deep.equal({ status: 'OK' });
    const [removed] = eventsNamed(t.events, 'reaction_removed');
    expect(JSON.parse(removed.data.reaction as string)).to.include({ user_id: t.otherId, emoji_name: 'tada' });
    expect((await t.user.getReactionsForPost(p.id)).map((x) => x.emoji_name)).to.deep.equal(['+1']);
    await t.user.removeReaction(t.userId, p.id, '+1');
    const bare = await t.user.getPost(p.id);
    expect(hasReactions(bare)).to.equal(undefined);
    expect(bare.metadata).to.deep.equal({});
    expect(await t.user.getReactionsForPost(p.id)).to.deep.equal([]);
    // removing a reaction that is not there is a no-op
    expect(await t.user.removeReaction(t.userId, p.id, 'smile')).to.deep.equal({ status: 'OK' });
  });

  it('refuses reactions for someone else (403 id), outside the channel (403 add_reaction), bad bodies (400), deleted posts (404), archived channels (400)', async () => {
    const p = await t.user.createPost({ channel_id: t.offTopicId, message: 'x' } as never);
    await expectFailure(t.user.addReaction(t.otherId, p.id, 'tada'), 403, 'api.reaction.save_reaction.user_id.app_error');
    const secret = await t.admin.createPost({ channel_id: t.privateId, message: 'admins only' } as never);
    await expectForbidden(t.user.addReaction(t.userId, secret.id, 'tada'), 'add_reaction');
    await expectForbidden(t.user.getReactionsForPost(secret.id), 'read_channel_content');
    await expectForbidden(t.user.addReaction(t.userId, UNKNOWN_ID, 'tada'), 'add_reaction');
    await expectFailure(t.user.addReaction(t.userId, p.id, 'bad name!'), 400, 'model.reaction.is_valid.emoji_name.app_error');
    await expectFailure(t.user.addReaction(t.userId, p.id, 'e'.repeat(65)), 400, 'api.reaction.save_reaction.invalid.app_error');
    await expectFailure(t.user.addReaction(t.userId, 'short', 'tada'), 400, 'api.reaction.save_reaction.invalid.app_error');
    const notObject = await raw(t.url, 'POST', '/reactions', t.user.getToken(), '[]');
    expect([notObject.status, notObject.body.message]).to.deep.equal([400, 'Invalid or missing reaction in request body.']);
    await t.other.addReaction(t.otherId, p.id, 'eyes');
    await expectForbidden(t.user.removeReaction(t.otherId, p.id, 'eyes'), 'remove_others_reactions');
    expect(await t.admin.removeReaction(t.otherId, p.id, 'eyes')).to.deep.equal({ status: 'OK' });
    await t.user.deletePost(p.id);
    await expectFailure(t.user.addReaction(t.userId, p.id, 'tada'), 404, 'app.post.get.app_error');
    const channel = await t.user.createChannel({ team_id: t.teamId, name: 'react-archive', display_name: 'R', type: 'O' } as never);
    const q = await t.user.createPost({ channel_id: channel.id, message: 'soon archived' } as never);
    await t.user.deleteChannel(channel.id);
    await expectFailure(t.user.addReaction(t.userId, q.id, 'tada'), 400, 'api.reaction.save.archived_channel.app_error');
    const badEmoji = await raw(t.url, 'DELETE', `/users/me/posts/${q.id}/reactions/${'a'.repeat(65)}`, t.user.getToken());
    expect([badEmoji.status, badEmoji.body.id]).to.deep.equal([400, 'api.context.invalid_url_param.app_error']);
  });
});
