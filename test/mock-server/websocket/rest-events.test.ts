/**
 * The WebSocket events of the REST calls bots make, through the official WebSocketClient over a
 * real socket: a channel member sees post_edited, reaction_added, reaction_removed and
 * post_deleted with Mattermost's payloads (JSON strings), and its own status_change and
 * preferences_changed; the events of a private channel it is not in never reach it.
 */
import { expect } from 'chai';
import { OfficialClient, muteClientLogs, startWsMock, type WsMock } from './support/ws.js';

describe('websocket: events of the REST calls bots make', () => {
  muteClientLogs();
  let m: WsMock;
  const open: OfficialClient[] = [];
  beforeEach(async () => { m = await startWsMock(); });
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await m.mock.close();
  });

  it('post_edited, reaction_added/removed and post_deleted reach a member; status_change and preferences_changed reach the user', async () => {
    const member = new OfficialClient({ Authorization: `Bearer ${m.pat.token}` });
    open.push(member);
    member.client.initialize(m.ws);
    await member.waitFor('hello');
    const privateId = m.mock.seeded.channels['private-1'].id;
    const channelId = m.mock.seeded.channels['off-topic'].id;
    const post = await m.admin.createPost({ channel_id: channelId, message: 'v1' } as never);
    await m.admin.patchPost({ id: post.id, message: 'v2' });
    const edited = await member.waitFor('post_edited');
    expect(edited.broadcast.channel_id).to.equal(channelId);
    expect(JSON.parse(edited.data.post as string)).to.include({ id: post.id, message: 'v2' });

    await m.admin.addReaction(m.adminId, post.id, 'tada');
    const added = await member.waitFor('reaction_added');
    expect(JSON.parse(added.data.reaction as string)).to.include({ user_id: m.adminId, post_id: post.id, emoji_name: 'tada' });
    await m.admin.removeReaction(m.adminId, post.id, 'tada');
    const removed = await member.waitFor('reaction_removed');
    expect(JSON.parse(removed.data.reaction as string)).to.include({ emoji_name: 'tada' });

    await m.admin.deletePost(post.id);
    const deleted = await member.waitFor('post_deleted');
    expect(deleted.data.delete_by).to.equal(m.adminId);
    expect(JSON.parse(deleted.data.post as string)).to.include({ id: post.id });

    await m.user.updateStatus({ user_id: m.userId, status: 'dnd' } as never);
    const status = await member.waitFor('status_change');
    expect(status.data).to.deep.include({ status: 'dnd', user_id: m.userId });
    await m.user.savePreferences(m.userId, [{ user_id: m.userId, category: 'display_settings', name: 'use_military_time', value: 'true' }]);
    const prefs = await member.waitFor('preferences_changed');
    expect(JSON.parse(prefs.data.preferences as string)).to.deep.equal([{ user_id: m.userId, category: 'display_settings', name: 'use_military_time', value: 'true' }]);

    // A private channel's events stay with its members (user-1 is not in private-1).
    const secret = await m.admin.createPost({ channel_id: privateId, message: 'admins only' } as never);
    await m.admin.patchPost({ id: secret.id, message: 'still admins only' });
    await member.ping();
    expect(member.events.filter((e) => e.event === 'post_edited' && e.broadcast.channel_id === privateId)).to.deep.equal([]);
  });
});
