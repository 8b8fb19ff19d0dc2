/**
 * The official `WebSocketClient` from @mattermost/client, unchanged, over real sockets against
 * `startMockServer({ port: 0 })`: hello, posted to members only, mentions, revocation through
 * Client4, and resume after a dropped connection.
 */
import { expect } from 'chai';
import { OfficialClient, client, muteClientLogs, startWsMock, until, type WsMock } from './support/ws.js';

describe('websocket: the official WebSocketClient', () => {
  muteClientLogs();
  let m: WsMock;
  const open: OfficialClient[] = [];
  const official = (...args: ConstructorParameters<typeof OfficialClient>) => {
    const c = new OfficialClient(...args);
    open.push(c);
    return c;
  };
  /** An official client on the mock's socket, `token` in its upgrade's Authorization header, once it has its hello. */
  const helloWith = async (token: string) => {
    const c = official({ Authorization: `Bearer ${token}` });
    c.client.initialize(m.ws);
    await c.waitFor('hello');
    return c;
  };
  beforeEach(async () => { m = await startWsMock(); });
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await m.mock.close();
  });

  it('authenticates with a PAT through authentication_challenge and gets hello with seq 0', async () => {
    const ws = official();
    ws.client.initialize(m.ws, m.pat.token);
    const hello = await ws.waitFor('hello');
    expect(hello.seq).to.equal(0);
    expect(hello.data.connection_id).to.match(/^[a-z0-9]{26}$/);
    expect(hello.data.server_version).to.match(/^10\.11\.0\.10\.11\.0\.[0-9a-f]{32}\.false$/);
    expect(hello.data.server_hostname).to.be.a('string').and.not.equal('');
    expect(hello.broadcast.user_id).to.equal(m.userId);
    const pong = await ws.ping();
    expect(pong).to.include({ status: 'OK' });
    expect((pong.data as Record<string, unknown>).text).to.equal('pong');
  });

  it('delivers posted to channel members only, with Mattermost\'s payload and mentions', async () => {
    const [member, adminWs] = await Promise.all([helloWith(m.pat.token), helloWith(m.adminToken)]);

    // private-1 has only sysadmin: user-1 must not see its posts.
    const privateId = m.mock.seeded.channels['private-1']?.id ?? '';
    const secret = await m.admin.createPost({ channel_id: privateId, message: 'for admins only' } as never);
    const townSquare = m.mock.seeded.channels['town-square']?.id ?? '';
    const mark = member.events.length;
    const post = await m.admin.createPost({ channel_id: townSquare, message: 'hello @user-1 and @nobody' } as never);

    const got = await member.waitFor('posted', mark);
    expect(member.events.slice(mark).filter((e) => e.event === 'posted')).to.have.lengthOf(1);
    const posted = JSON.parse(got.data.post as string) as { id: string; message: string; user_id: string };
    expect(posted).to.include({ id: post.id, message: 'hello @user-1 and @nobody', user_id: m.adminId });
    expect(posted.id).to.not.equal(secret.id);
    expect(got.data).to.include({
      channel_type: 'O', channel_name: 'town-square', channel_display_name: 'Town Square', sender_name: '@sysadmin',
      team_id: m.mock.seeded.teams['ad-1']?.id, set_online: true,
    });
    expect(JSON.parse(got.data.mentions as string)).to.deep.equal([m.userId]);
    expect(got.broadcast.channel_id).to.equal(townSquare);
    // the admin got both posts, in order, with consecutive seqs
    const adminPosted = await adminWs.waitFor('posted', 0, (e) => JSON.parse(e.data.post as string).id === post.id);
    const first = adminWs.events.find((e) => e.event === 'posted');
    expect(JSON.parse(first?.data.post as string).id).to.equal(secret.id);
    expect(adminPosted.seq).to.equal((first?.seq ?? 0) + 1);
  });

  it('stops delivering once the PAT is revoked through Client4; the socket stays open and actions get not_authenticated', async () => {
    const [bot, control] = await Promise.all([helloWith(m.pat.token), helloWith(m.userToken)]);
    const townSquare = m.mock.seeded.channels['town-square']?.id ?? '';

    await m.admin.createPost({ channel_id: townSquare, message: 'before' } as never);
    await bot.waitFor('posted');
    await m.user.revokeUserAccessToken(m.pat.id);
    const mark = bot.events.length;
    const after = await m.admin.createPost({ channel_id: townSquare, message: 'after revoke' } as never);
    // barrier 1: the same user's other socket (a login session) gets the post
    await control.waitFor('posted', 0, (e) => JSON.parse(e.data.post as string).id === after.id);
    // barrier 2: on the revoked socket itself, a ping is answered not_authenticated
    const reply = await bot.ping();
    expect(reply.status).to.equal('FAIL');
    expect(reply.error).to.include({ id: 'api.web_socket_router.not_authenticated.app_error', status_code: 401 });
    expect(bot.events.slice(mark)).to.deep.equal([]);
    expect(m.mock.websocket.stats().open).to.equal(2);
    // and REST refuses the token too
    const rest = client(m.mock.url, m.pat.token);
    const status = await rest.getMe().then(() => 200, (err: { status_code?: number }) => err.status_code);
    expect(status).to.equal(401);
  });

  it('resumes after a dropped connection: missed events are replayed with their seqs, no new hello', async () => {
    const ws = official({ Authorization: `Bearer ${m.pat.token}` }, { minWebSocketRetryTime: 20 });
    ws.client.initialize(m.ws);
    const hello = await ws.waitFor('hello');
    const townSquare = m.mock.seeded.channels['town-square']?.id ?? '';
    await m.admin.createPost({ channel_id: townSquare, message: 'one' } as never);
    await ws.waitFor('posted');

    // Drop the socket under the client (as a network failure would); it reconnects by itself.
    const conn = (ws.client as unknown as { conn: { close(): void } }).conn;
    const reconnected = new Promise<void>((resolve) => ws.client.addReconnectListener(() => resolve()));
    conn.close();
    // wait until the server saw the socket go away, then post while it is away
    await until(() => m.mock.websocket.stats().resumable === 1, 'the server keeps the connection for resume');
    expect(m.mock.websocket.stats().resumable).to.equal(1);
    const missed = await m.admin.createPost({ channel_id: townSquare, message: 'while away' } as never);
    await reconnected;
    const replayed = await ws.waitFor('posted', 0, (e) => JSON.parse(e.data.post as string).id === missed.id);
    expect(replayed.seq).to.equal(2);
    expect(ws.events.filter((e) => e.event === 'hello')).to.have.lengthOf(1);
    expect(ws.missed).to.deep.equal([]);
    // the connection id survived
    const pong = await ws.ping();
    expect(pong.status).to.equal('OK');
    expect(hello.data.connection_id).to.be.a('string');
  });
});
