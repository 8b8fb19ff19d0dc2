/**
 * Channel calls bots make, with the official Client4 over real HTTP: by team name + channel name,
 * member pages and ids, add/remove, archive/restore, patch, group channels, stats and view, with
 * Mattermost's status codes, error ids, permission failures and WebSocket events.
 */
import { expect } from 'chai';
import { groupChannelName } from '../../mock-server/services/group-channels.js';
import {
  expectFailure, expectForbidden, eventsNamed, raw, startClientMock, UNKNOWN_ID, type ClientMock,
} from './support/client4.js';

describe('mock server: channel calls bots make (Client4 over HTTP)', () => {
  let t: ClientMock;
  before(async () => { t = await startClientMock(); });
  after(async () => { await t.close(); });

  const newChannel = async (name: string, type: 'O' | 'P' = 'O') => t.user.createChannel({ team_id: t.teamId, name, display_name: name, type } as never);

  it('getChannelByNameAndTeamName / getChannelByName: found; a private channel the caller cannot read and an unknown one are the same 404, a public one 403', async () => {
    const channel = await t.user.getChannelByNameAndTeamName('ad-1', 'off-topic');
    expect(channel).to.include({ id: t.offTopicId, name: 'off-topic', type: 'O', team_id: t.teamId });
    expect((await t.user.getChannelByName(t.teamId, 'off-topic')).id).to.equal(t.offTopicId);
    await expectFailure(t.user.getChannelByNameAndTeamName('ad-1', 'private-1'), 404, 'app.channel.get_by_name.missing.app_error');
    // a public channel of a team the caller is not in: 403 read_public_channel (it is not hidden)
    const team = await t.admin.createTeam({ name: 'elsewhere', display_name: 'Elsewhere', type: 'O' } as never);
    await t.admin.createChannel({ team_id: team.id, name: 'open-there', display_name: 'Open', type: 'O' } as never);
    await expectForbidden(t.user.getChannelByNameAndTeamName('elsewhere', 'open-there'), 'read_public_channel');
    expect((await t.admin.getChannelByNameAndTeamName('ad-1', 'private-1')).id).to.equal(t.privateId);
    await expectFailure(t.user.getChannelByNameAndTeamName('ad-1', 'nope'), 404, 'app.channel.get_by_name.missing.app_error');
    await expectFailure(t.user.getChannelByNameAndTeamName('no-such-team', 'off-topic'), 404, 'app.team.get_by_name.missing.app_error');
    await expectFailure(t.user.getChannelByNameAndTeamName('ad-1', 'Bad_Name!'), 400, 'api.context.invalid_url_param.app_error');
    await expectFailure(t.user.getChannelByNameAndTeamName('X', 'off-topic'), 400, 'api.context.invalid_url_param.app_error');
  });

  it('getChannelMembers (paged) and getChannelMembersByIds; 403 read_channel for outsiders; 400 for bad ids', async () => {
    const all = await t.user.getChannelMembers(t.offTopicId, 0, 200);
    expect(all.map((m) => m.user_id)).to.include.members([t.adminId, t.userId, t.otherId, ...t.moreIds]);
    expect(all[0]).to.include.keys('channel_id', 'user_id', 'roles', 'last_viewed_at', 'msg_count', 'notify_props', 'scheme_user');
    const page0 = await t.user.getChannelMembers(t.offTopicId, 0, 2);
    const page1 = await t.user.getChannelMembers(t.offTopicId, 1, 2);
    expect(page0).to.have.lengthOf(2);
    expect(page1).to.have.lengthOf(2);
    expect(page1.map((m) => m.user_id)).to.not.include.members(page0.map((m) => m.user_id));
    await expectForbidden(t.user.getChannelMembers(t.privateId), 'read_channel');
    const byIds = await t.user.getChannelMembersByIds(t.offTopicId, [t.userId, UNKNOWN_ID]);
    expect(byIds.map((m) => m.user_id)).to.deep.equal([t.userId]);
    await expectForbidden(t.user.getChannelMembersByIds(t.privateId, [t.adminId]), 'read_channel');
    await expectFailure(t.user.getChannelMembersByIds(t.offTopicId, []), 400, 'api.context.invalid_body_param.app_error');
    // Like ArrayFromJSON + a store lookup: ids that name nobody (even malformed ones) just match nothing.
    expect(await t.user.getChannelMembersByIds(t.offTopicId, ['short'])).to.deep.equal([]);
    const notArray = await raw(t.url, 'POST', `/channels/${t.offTopicId}/members/ids`, t.user.getToken(), '{"user_ids":[]}');
    expect([notArray.status, notArray.body.message]).to.deep.equal([400, 'Invalid or missing user_ids in request body.']);
  });

  it('addToChannel then removeFromChannel: user_removed to the channel and to the user; 403, 400 and 404 cases', async () => {
    const channel = await newChannel('bots-lab');
    expect((await t.user.addToChannel(t.otherId, channel.id)).user_id).to.equal(t.otherId);
    t.events.length = 0;
    expect(await t.user.removeFromChannel(t.otherId, channel.id)).to.deep.equal({ status: 'OK' });
    expect(eventsNamed(t.events, 'user_removed').map((e) => [e.data, e.broadcast])).to.deep.equal([
      [{ user_id: t.otherId, remover_id: t.userId }, { channel_id: channel.id }],
      [{ channel_id: channel.id, remover_id: t.userId }, { user_id: t.otherId }],
    ]);
    await expectFailure(t.user.getChannelMember(channel.id, t.otherId), 404, 'app.channel.get_member.missing.app_error');
    await expectFailure(t.user.removeFromChannel(t.otherId, channel.id), 404, 'app.channel.get_member.missing.app_error');
    // someone else's membership of a private channel needs manage_private_channel_members
    await expectForbidden(t.other.removeFromChannel(t.adminId, t.privateId), 'manage_private_channel_members');
    await expectFailure(t.user.removeFromChannel(t.userId, t.townSquareId), 400, 'api.channel.remove.default.app_error');
    await expectFailure(t.user.removeFromChannel(UNKNOWN_ID, channel.id), 404, 'app.user.missing_account.const');
    await expectFailure(t.user.removeFromChannel(t.userId, UNKNOWN_ID), 404, 'app.channel.get.existing.app_error');
    const dm = await t.user.createDirectChannel([t.userId, t.otherId]);
    await expectFailure(t.user.removeFromChannel(t.otherId, dm.id), 400, 'api.channel.remove_channel_member.type.app_error');
    // leaving yourself needs no permission
    await t.other.addToChannel(t.otherId, channel.id);
    expect(await t.other.removeFromChannel(t.otherId, channel.id)).to.deep.equal({ status: 'OK' });
  });

  it('deleteChannel archives (delete_at, channel_deleted to the team); unarchiveChannel restores (channel_restored)', async () => {
    const channel = await newChannel('to-archive');
    await expectForbidden(t.other.deleteChannel(channel.id), 'delete_public_channel');
    t.events.length = 0;
    expect(await t.user.deleteChannel(channel.id)).to.deep.equal({ status: 'OK' });
    const [deleted] = eventsNamed(t.events, 'channel_deleted');
    expect(deleted.broadcast).to.deep.equal({ team_id: t.teamId });
    expect(deleted.data.channel_id).to.equal(channel.id);
    const archived = await t.user.getChannel(channel.id);
    expect(archived.delete_at).to.equal(deleted.data.delete_at).and.be.greaterThan(0);
    await expectFailure(t.user.getChannelByNameAndTeamName('ad-1', 'to-archive'), 404, 'app.channel.get_by_name.missing.app_error');
    expect((await t.user.getChannelByNameAndTeamName('ad-1', 'to-archive', true)).id).to.equal(channel.id);
    await expectFailure(t.user.deleteChannel(channel.id), 400, 'api.channel.delete_channel.deleted.app_error');
    await expectFailure(t.user.createPost({ channel_id: channel.id, message: 'x' } as never), 400, 'api.post.create_post.can_not_post_to_deleted.error');

    await expectForbidden(t.user.unarchiveChannel(channel.id), 'manage_team');
    const restored = await t.admin.unarchiveChannel(channel.id);
    expect(restored).to.include({ id: channel.id, delete_at: 0 });
    expect(eventsNamed(t.events, 'channel_restored').map((e) => [e.data, e.broadcast])).to.deep.equal([[{ channel_id: channel.id }, { team_id: t.teamId }]]);
    await expectFailure(t.admin.unarchiveChannel(channel.id), 400, 'api.channel.restore_channel.restored.app_error');

    await expectFailure(t.admin.deleteChannel(t.townSquareId), 400, 'api.channel.delete_channel.cannot.app_error');
    const dm = await t.user.createDirectChannel([t.userId, t.adminId]);
    await expectFailure(t.user.deleteChannel(dm.id), 400, 'api.channel.delete_channel.type.invalid');
    await expectFailure(t.user.deleteChannel(UNKNOWN_ID), 404, 'app.channel.get.existing.app_error');
    const off = await raw(t.url, 'DELETE', `/channels/${channel.id}?permanent=true`, t.admin.getToken());
    expect([off.status, off.body.id]).to.deep.equal([401, 'api.user.delete_channel.not_enabled.app_error']);
    await t.admin.patchConfig({ ServiceSettings: { EnableAPIChannelDeletion: true } } as never);
    try {
      await t.user.createPost({ channel_id: channel.id, message: 'gone soon' } as never);
      const gone = await raw(t.url, 'DELETE', `/channels/${channel.id}?permanent=true`, t.user.getToken());
      expect(gone.status).to.equal(200);
      await expectFailure(t.user.getChannel(channel.id), 404, 'app.channel.get.existing.app_error');
      expect(t.mock.store.findMany('posts', 'channel_id', channel.id)).to.deep.equal([]);
      expect(t.mock.store.findMany('channelMembers', 'channel_id', channel.id)).to.deep.equal([]);
    } finally {
      await t.admin.patchConfig({ ServiceSettings: { EnableAPIChannelDeletion: false } } as never);
    }
  });

  it('patchChannel: changes only the given fields, publishes channel_updated; 403, 400 cases', async () => {
    const channel = await newChannel('patch-me', 'P');
    t.events.length = 0;
    const patched = await t.user.patchChannel(channel.id, { header: 'Build status', purpose: 'CI' });
    expect(patched).to.include({ id: channel.id, name: 'patch-me', display_name: 'patch-me', header: 'Build status', purpose: 'CI' });
    expect(patched.update_at).to.be.at.least(channel.update_at);
    const [updated] = eventsNamed(t.events, 'channel_updated');
    expect(updated.broadcast).to.deep.equal({ channel_id: channel.id });
    expect(JSON.parse(updated.data.channel as string)).to.include({ id: channel.id, header: 'Build status' });
    expect((await t.user.getChannel(channel.id)).header).to.equal('Build status');
    await expectForbidden(t.other.patchChannel(channel.id, { header: 'x' }), 'manage_private_channel_properties');
    await expectFailure(t.user.patchChannel(channel.id, { name: 'Bad Name' }), 400, 'model.channel.is_valid.1_or_more.app_error');
    await expectFailure(t.user.patchChannel(channel.id, { name: 'off-topic' }), 400, 'store.sql_channel.update.exists.app_error');
    await expectFailure(t.user.patchChannel(channel.id, { header: 'h'.repeat(1025) }), 400, 'model.channel.is_valid.header.app_error');
    await expectFailure(t.admin.patchChannel(t.townSquareId, { name: 'renamed' }), 400, 'api.channel.update_channel.tried.app_error');
    const bad = await raw(t.url, 'PUT', `/channels/${channel.id}/patch`, t.user.getToken(), '{"header":5}');
    expect([bad.status, bad.body.id, bad.body.message]).to.deep.equal([400, 'api.context.invalid_body_param.app_error', 'Invalid or missing channel in request body.']);
    const dm = await t.user.createDirectChannel([t.userId, t.otherId]);
    expect((await t.user.patchChannel(dm.id, { header: 'our DM' })).header).to.equal('our DM');
    await expectFailure(t.admin.patchChannel(dm.id, { header: 'not mine' }), 403, 'api.channel.patch_update_channel.forbidden.app_error');
    await t.user.deleteChannel(channel.id);
    await expectFailure(t.user.patchChannel(channel.id, { header: 'late' }), 400, 'api.channel.update_channel.deleted.app_error');
  });

  it('createGroupChannel: 3–8 users with the caller added, Mattermost\'s name, idempotent, group_added; 400 sizes and users', async () => {
    t.events.length = 0;
    const gm = await t.user.createGroupChannel([t.otherId, t.moreIds[0]]);
    const ids = [t.userId, t.otherId, t.moreIds[0]];
    expect(gm).to.include({ type: 'G', team_id: '', name: groupChannelName(ids), display_name: 'user-1, user-2, user-3' });
    expect(gm.name).to.match(/^[a-f0-9]{40}$/);
    expect((await t.user.getChannelMembers(gm.id)).map((m) => m.user_id)).to.have.members(ids);
    const [added] = eventsNamed(t.events, 'group_added');
    expect(added.broadcast).to.deep.equal({ channel_id: gm.id });
    expect(JSON.parse(added.data.teammate_ids as string)).to.have.members(ids);
    const again = await t.other.createGroupChannel([t.moreIds[0], t.userId, t.otherId]);
    expect(again.id).to.equal(gm.id);
    await expectFailure(t.user.createGroupChannel([t.otherId]), 400, 'api.channel.create_group.bad_size.app_error');
    await expectFailure(t.user.createGroupChannel([t.otherId, UNKNOWN_ID]), 400, 'api.channel.create_group.bad_user.app_error');
    expect((await expectFailure(t.user.createGroupChannel([]), 400, 'api.context.invalid_body_param.app_error')).detailed).to.equal('');
    const badId = await raw(t.url, 'POST', '/channels/group', t.user.getToken(), JSON.stringify([t.otherId, 'short']));
    expect([badId.status, badId.body.message]).to.deep.equal([400, 'Invalid or missing user_id in request body.']);
    const nine = Array.from({ length: 8 }, (_, i) => `${'b'.repeat(25)}${i}`);
    await expectFailure(t.user.createGroupChannel(nine), 400, 'api.channel.create_group.bad_size.app_error');
    // posting in the group works for its members
    expect((await t.other.createPost({ channel_id: gm.id, message: 'hi group' } as never)).channel_id).to.equal(gm.id);
  });

  it('getChannelStats: members, pinned posts, files (-1 unless asked); 403 read_channel', async () => {
    const channel = await newChannel('stats-room');
    await t.user.addToChannel(t.otherId, channel.id);
    const post = await t.user.createPost({ channel_id: channel.id, message: 'pin me' } as never);
    await t.user.patchPost({ id: post.id, is_pinned: true });
    const stats = await t.user.getChannelStats(channel.id);
    expect(stats).to.deep.equal({ channel_id: channel.id, member_count: 2, guest_count: 0, pinnedpost_count: 1, files_count: -1 });
    expect((await t.user.getChannelStats(channel.id, true)).files_count).to.equal(0);
    await expectForbidden(t.user.getChannelStats(t.privateId), 'read_channel');
  });

  it('viewMyChannel: last_viewed_at_times, the membership read up to the last post, multiple_channels_viewed to the viewer', async () => {
    const post = await t.admin.createPost({ channel_id: t.offTopicId, message: 'news' } as never);
    const before = await t.user.getChannelMember(t.offTopicId, t.userId);
    expect(before.last_viewed_at).to.be.below(post.create_at);
    t.events.length = 0;
    const res = await t.user.viewMyChannel(t.offTopicId);
    const channel = await t.user.getChannel(t.offTopicId);
    expect(res).to.deep.equal({ status: 'OK', last_viewed_at_times: { [t.offTopicId]: channel.last_post_at } });
    const after = await t.user.getChannelMember(t.offTopicId, t.userId);
    expect(after).to.include({ last_viewed_at: channel.last_post_at, msg_count: channel.total_msg_count, mention_count: 0 });
    expect(eventsNamed(t.events, 'multiple_channels_viewed').map((e) => [e.data, e.broadcast])).to.deep.equal([
      [{ channel_times: { [t.offTopicId]: channel.last_post_at } }, { user_id: t.userId }],
    ]);
    // not a member: nothing to mark, nothing published
    t.events.length = 0;
    expect(await t.user.viewMyChannel(t.privateId)).to.deep.equal({ status: 'OK', last_viewed_at_times: {} });
    expect(t.events).to.deep.equal([]);
    const forOther = await raw(t.url, 'POST', `/channels/members/${t.otherId}/view`, t.user.getToken(), JSON.stringify({ channel_id: t.offTopicId }));
    expect([forOther.status, forOther.body.id]).to.deep.equal([403, 'api.context.permissions.app_error']);
    const badId = await raw(t.url, 'POST', '/channels/members/me/view', t.user.getToken(), JSON.stringify({ channel_id: 'nope' }));
    expect([badId.status, badId.body.message]).to.deep.equal([400, 'Invalid or missing channel_view.channel_id in request body.']);
    const notObject = await raw(t.url, 'POST', '/channels/members/me/view', t.user.getToken(), '[]');
    expect([notObject.status, notObject.body.message]).to.deep.equal([400, 'Invalid or missing channel_view in request body.']);
  });
});
