/**
 * Each WebSocket event the mock's existing services publish, with its payload and its receivers
 * (and, as importantly, who does not receive it), plus the hub's routing of any published event
 * by `user_id`, `channel_id`, `team_id` and `omit_users`. Every "does not receive" is proven with
 * a barrier on the same socket after a later event, never by waiting.
 */
import { expect } from 'chai';
import { ephemeralMessageEvent } from '../../../mock-server/websocket/events.js';
import { RawClient, client, openAuthed, startWsMock, type Frame, type WsMock } from './support/ws.js';

describe('websocket: events', () => {
  let m: WsMock;
  let admin: RawClient;
  let user: RawClient;
  const sockets: RawClient[] = [];
  const track = (c: RawClient) => { sockets.push(c); return c; };
  beforeEach(async () => {
    m = await startWsMock();
    admin = track((await openAuthed(m, m.adminToken)).client);
    user = track((await openAuthed(m, m.pat.token)).client);
  });
  afterEach(async () => {
    for (const c of sockets.splice(0)) c.close();
    await m.mock.close();
  });

  /** A second non-admin, logged in, with a socket. */
  async function secondUser(): Promise<{ id: string; socket: RawClient; token: string }> {
    const created = await m.admin.createUser({ username: 'user-2', email: 'user-2@example.com', password: 'Second-pass1', first_name: 'Ada', last_name: 'Byron' } as never, '', '', '');
    const c = client(m.mock.url);
    await c.login('user-2', 'Second-pass1');
    const socket = track((await openAuthed(m, c.getToken())).client);
    return { id: created.id, socket, token: c.getToken() };
  }

  /** Events named `name` a socket received since `mark`, after a barrier on that socket. */
  async function receivedSince(c: RawClient, mark: number, name: string): Promise<Frame[]> {
    await c.barrier();
    return c.eventsSince(mark).filter((f) => f.event === name);
  }

  it('user_added goes to the channel\'s members, the new one included', async () => {
    const privateId = m.mock.seeded.channels['private-1']?.id ?? '';
    await m.admin.addToChannel(m.userId, privateId);
    const toUser = await user.event('user_added');
    const toAdmin = await admin.event('user_added');
    for (const e of [toUser, toAdmin]) {
      expect(e.data).to.deep.equal({ team_id: m.mock.seeded.teams['ad-1']?.id, user_id: m.userId });
      expect(e.broadcast?.channel_id).to.equal(privateId);
    }
  });

  it('direct_added goes to the two members of a new DM only, once', async () => {
    const other = await secondUser();
    const mark = user.frames.length;
    const dm = await m.admin.createDirectChannel([m.adminId, other.id]);
    const e = await other.socket.event('direct_added');
    expect(e.data).to.deep.equal({ creator_id: m.adminId, teammate_id: other.id });
    expect(e.broadcast?.channel_id).to.equal(dm.id);
    expect((await admin.event('direct_added')).broadcast?.channel_id).to.equal(dm.id);
    await m.admin.createDirectChannel([m.adminId, other.id]); // existing: no second event
    await m.admin.createPost({ channel_id: dm.id, message: 'barrier' } as never);
    await other.socket.event('posted');
    expect(other.socket.frames.filter((f) => f.event === 'direct_added')).to.have.lengthOf(1);
    expect(await receivedSince(user, mark, 'direct_added')).to.deep.equal([]);
  });

  it('added_to_team to the user who joins, user_added for each default channel joined', async () => {
    const team = await m.admin.createTeam({ name: 'ws-team', display_name: 'WS', type: 'O' } as never);
    expect((await admin.event('added_to_team')).data).to.deep.equal({ team_id: team.id, user_id: m.adminId });
    const mark = user.frames.length;
    await m.admin.addToTeam(team.id, m.userId);
    expect((await user.event('added_to_team')).data).to.deep.equal({ team_id: team.id, user_id: m.userId });
    const added = [await user.event('user_added'), await user.event('user_added')];
    expect(added.map((e) => e.data?.user_id)).to.deep.equal([m.userId, m.userId]);
    expect(new Set(added.map((e) => e.broadcast?.channel_id)).size).to.equal(2);
    expect((await receivedSince(user, mark, 'added_to_team'))).to.have.lengthOf(1);
  });

  it('user_updated: admins get the admin copy, others the sanitized copy, the user their own; one each', async () => {
    const other = await secondUser();
    const marks = { admin: admin.frames.length, user: user.frames.length, other: other.socket.frames.length };
    await m.admin.patchUser({ id: m.userId, nickname: 'sam' } as never);
    const toAdmin = (await admin.event('user_updated')).data?.user as Record<string, unknown>;
    const toOther = (await other.socket.event('user_updated')).data?.user as Record<string, unknown>;
    const toSelf = (await user.event('user_updated')).data?.user as Record<string, unknown>;
    expect(toAdmin).to.include({ id: m.userId, nickname: 'sam', email: 'user-1@sample.mattermost.com', first_name: 'Samuel', auth_service: '' });
    expect(toAdmin).to.not.have.property('notify_props');
    expect(toOther).to.include({ id: m.userId, nickname: 'sam', email: 'user-1@sample.mattermost.com', auth_service: '' });
    expect(toOther).to.not.have.property('notify_props');
    expect(toSelf).to.include({ id: m.userId, nickname: 'sam' });
    expect(toSelf).to.have.property('notify_props');
    for (const key of ['password', 'mfa_secret']) {
      for (const copy of [toAdmin, toOther, toSelf]) expect(copy).to.not.have.property(key);
    }
    expect(await receivedSince(admin, marks.admin, 'user_updated')).to.have.lengthOf(1);
    expect(await receivedSince(other.socket, marks.other, 'user_updated')).to.have.lengthOf(1);
    expect(await receivedSince(user, marks.user, 'user_updated')).to.have.lengthOf(1);
    const flags = admin.frames.find((f) => f.event === 'user_updated')?.broadcast;
    expect(flags).to.deep.include({ omit_users: { [m.userId]: true }, contains_sensitive_data: true });

    // PrivacySettings.ShowEmailAddress / ShowFullName off: non-admins no longer see them
    await m.admin.patchConfig({ PrivacySettings: { ShowEmailAddress: false, ShowFullName: false } } as never);
    await m.admin.patchUser({ id: m.userId, nickname: 'sammy' } as never);
    const hidden = (await other.socket.next((f) => f.event === 'user_updated' && (f.data?.user as { nickname?: string }).nickname === 'sammy')).data?.user as Record<string, unknown>;
    expect(hidden).to.include({ email: '', first_name: '', last_name: '' });
    const shown = (await admin.next((f) => f.event === 'user_updated' && (f.data?.user as { nickname?: string }).nickname === 'sammy')).data?.user as Record<string, unknown>;
    expect(shown).to.include({ email: 'user-1@sample.mattermost.com', first_name: 'Samuel' });
  });

  it('deactivation: user_activation_status_change to everyone, user_updated with delete_at, nothing to the deactivated user', async () => {
    const other = await secondUser();
    const mark = other.socket.frames.length;
    await m.admin.updateUserActive(other.id, false);
    // as in api4.updateUserActive: App.UpdateActive's user_updated first, then the status change
    const updated = (await admin.event('user_updated')).data?.user as { id: string; delete_at: number };
    expect(updated.id).to.equal(other.id);
    expect(updated.delete_at).to.be.greaterThan(0);
    expect((await admin.event('user_activation_status_change')).broadcast).to.deep.include({ user_id: '', channel_id: '' });
    expect((await user.event('user_activation_status_change')).data).to.deep.equal({});
    const reply = await other.socket.barrier();
    expect(reply.error?.id).to.equal('api.web_socket_router.not_authenticated.app_error');
    expect(other.socket.eventsSince(mark)).to.deep.equal([]);
  });

  it('user_role_updated goes to that user only', async () => {
    const other = await secondUser();
    const mark = user.frames.length;
    await m.admin.updateUserRoles(other.id, 'system_user system_user_access_token');
    const e = await other.socket.event('user_role_updated');
    expect(e.data).to.deep.equal({ roles: 'system_user system_user_access_token', user_id: other.id });
    expect(e.broadcast?.user_id).to.equal(other.id);
    expect(await receivedSince(user, mark, 'user_role_updated')).to.deep.equal([]);
    expect(await receivedSince(admin, 0, 'user_role_updated')).to.deep.equal([]);
  });

  it('config_changed to everyone, with the client config (EnableUserAccessTokens a string)', async () => {
    await m.admin.patchConfig({ TeamSettings: { SiteName: 'WS Mock' } } as never);
    const e = await user.event('config_changed');
    const config = e.data?.config as Record<string, unknown>;
    expect(config).to.include({ SiteName: 'WS Mock', EnableUserAccessTokens: 'true' });
    expect(Object.values(config).every((v) => typeof v === 'string')).to.equal(true);
    expect((await admin.event('config_changed')).data?.config).to.deep.equal(config);
  });

  it('new_user to everyone', async () => {
    const created = await m.admin.createUser({ username: 'user-3', email: 'user-3@example.com', password: 'Third-pass1' } as never, '', '', '');
    expect((await user.event('new_user')).data).to.deep.equal({ user_id: created.id });
  });

  describe('routing of any published event', () => {
    it('ephemeral_message reaches only broadcast.user_id, even with a channel_id', async () => {
      const townSquare = m.mock.seeded.channels['town-square']?.id ?? '';
      const mark = admin.frames.length;
      m.mock.websocket.publish(ephemeralMessageEvent(m.userId, townSquare, JSON.stringify({ id: 'p', message: 'only you' })));
      const e = await user.event('ephemeral_message');
      expect(JSON.parse(e.data?.post as string)).to.deep.equal({ id: 'p', message: 'only you' });
      expect(await receivedSince(admin, mark, 'ephemeral_message')).to.deep.equal([]);
    });

    it('team_id reaches the team\'s active members; omit_users leaves users out; empty reaches everyone', async () => {
      const other = await secondUser(); // not in team ad-1
      const teamId = m.mock.seeded.teams['ad-1']?.id ?? '';
      const mark = other.socket.frames.length;
      m.mock.websocket.publish({ event: 'custom_team', data: { n: 1 }, broadcast: { team_id: teamId } });
      m.mock.websocket.publish({ event: 'custom_all', data: {}, broadcast: { omit_users: { [m.adminId]: true } } });
      expect((await user.event('custom_team')).data).to.deep.equal({ n: 1 });
      expect(await admin.event('custom_team')).to.not.equal(undefined);
      await user.event('custom_all');
      await other.socket.event('custom_all');
      expect(await receivedSince(other.socket, mark, 'custom_team')).to.deep.equal([]);
      expect(await receivedSince(admin, 0, 'custom_all')).to.deep.equal([]);
    });

    it('contains_sensitive_data reaches admins only, contains_sanitized_data non-admins only', async () => {
      m.mock.websocket.publish({ event: 'custom_secret', data: {}, broadcast: { contains_sensitive_data: true } });
      m.mock.websocket.publish({ event: 'custom_public', data: {}, broadcast: { contains_sanitized_data: true } });
      await admin.event('custom_secret');
      await user.event('custom_public');
      expect(await receivedSince(admin, 0, 'custom_public')).to.deep.equal([]);
      expect(await receivedSince(user, 0, 'custom_secret')).to.deep.equal([]);
    });
  });
});
