/**
 * The WebSocket protocol frame by frame, with raw `ws` sockets: the handshake's authentication
 * (header, cookie, refused query token, invalid tokens), authentication_challenge, the auth
 * timeout, error replies, frame formats and per-connection seq, typing, resume.
 */
import { expect } from 'chai';
import { RawClient, openAuthed, startWsMock, until, type WsMock } from './support/ws.js';

function townSquare(m: WsMock): string {
  return m.mock.seeded.channels['town-square']?.id ?? '';
}

describe('websocket: protocol', () => {
  let m: WsMock;
  let offset = 0;
  const sockets: RawClient[] = [];
  const track = (c: RawClient) => { sockets.push(c); return c; };
  beforeEach(async () => {
    offset = 0;
    m = await startWsMock({ now: () => Date.now() + offset, websocket: { deadConnectionTtlMs: 60_000 } });
  });
  afterEach(async () => {
    for (const c of sockets.splice(0)) c.close();
    await m.mock.close();
  });

  describe('handshake', () => {
    it('authenticates a PAT in the Authorization header: hello first, compact with a newline, seq 0', async () => {
      const { client: c, hello } = await openAuthed(m, m.pat.token);
      track(c);
      expect(hello).to.deep.include({ event: 'hello', seq: 0 });
      expect(hello.broadcast).to.deep.equal({ omit_users: null, user_id: m.userId, channel_id: '', team_id: '', connection_id: '', omit_connection_id: '' });
      expect(c.texts[0]).to.match(/^\{"event":"hello","data":\{"connection_id":"[a-z0-9]{26}","server_hostname":".+","server_version":".+"\},"broadcast":\{.*\},"seq":0\}\n$/);
      const seq = c.send('ping');
      const pong = await c.reply(seq);
      expect(c.texts[1]).to.match(/^\{"status":"OK","seq_reply":1,"data":\{"node_id":"","server_time":\d+,"text":"pong","version":"10\.11\.0"\}\}\n$/);
      expect(pong.status).to.equal('OK');
    });

    it('authenticates a login session in the MMAUTHTOKEN cookie, and a session token as Token', async () => {
      const cookie = track(await RawClient.open(m.ws, { Cookie: `MMAUTHTOKEN=${m.userToken}` }));
      expect((await cookie.event('hello')).broadcast?.user_id).to.equal(m.userId);
      const token = track(await RawClient.open(m.ws, { Authorization: `Token ${m.adminToken}` }));
      expect((await token.event('hello')).broadcast?.user_id).to.equal(m.adminId);
    });

    it('refuses ?access_token=<PAT> with HTTP 401 api.context.token_provided.app_error before any upgrade', async () => {
      const err = await RawClient.open(`${m.ws}?access_token=${m.pat.token}`).then(() => undefined, (e: { status: number; body: string; headers: Record<string, string> }) => e);
      expect(err?.status).to.equal(401);
      expect(JSON.parse(err?.body ?? '{}')).to.include({ id: 'api.context.token_provided.app_error', status_code: 401 });
      expect(err?.headers['content-type']).to.equal('application/json');
      expect(err?.headers['www-authenticate']).to.equal('Bearer realm="mattermost", error="invalid_request"');
      expect(m.mock.websocket.stats().open).to.equal(0);
    });

    it('upgrades an invalid header token as unauthenticated: no hello, not_authenticated, and a challenge still works', async () => {
      const c = track(await RawClient.open(m.ws, { Authorization: 'Bearer notavalidtokennotavalidtoken' }));
      const seq = c.send('ping');
      const reply = await c.reply(seq);
      expect(reply).to.deep.include({ status: 'FAIL', seq_reply: seq });
      expect(reply.error).to.deep.equal({ id: 'api.web_socket_router.not_authenticated.app_error', message: 'Connection is not authenticated. Please log in and try again.', detailed_error: '', status_code: 401 });
      expect(c.frames.some((f) => f.event === 'hello')).to.equal(false);
      const challenge = c.send('authentication_challenge', { token: m.pat.token });
      const hello = await c.event('hello');
      expect(hello.seq).to.equal(0);
      expect(await c.reply(challenge)).to.deep.equal({ status: 'OK', seq_reply: challenge });
      // hello comes before the OK reply, as the Go hub queues it on registration
      expect(c.frames.findIndex((f) => f.event === 'hello')).to.be.lessThan(c.frames.findIndex((f) => f.seq_reply === challenge));
      expect((await c.barrier()).status).to.equal('OK');
    });

    it('an invalid ?access_token= is no token: the socket is upgraded unauthenticated', async () => {
      const c = track(await RawClient.open(`${m.ws}?access_token=nonsense`));
      expect((await c.reply(c.send('ping'))).error?.id).to.equal('api.web_socket_router.not_authenticated.app_error');
    });

    it('closes a socket whose challenge token does not resolve, or is not a string', async () => {
      const bad = track(await RawClient.open(m.ws));
      bad.send('authentication_challenge', { token: 'x'.repeat(26) });
      expect((await bad.closed).code).to.equal(1008);
      const notString = track(await RawClient.open(m.ws));
      notString.send('authentication_challenge', { token: 42 });
      expect((await notString.closed).code).to.equal(1008);
    });

    it('ignores a second challenge on an authenticated socket (no reply)', async () => {
      const { client: c } = await openAuthed(m, m.pat.token);
      track(c);
      const challenge = c.send('authentication_challenge', { token: m.userToken });
      await c.barrier();
      expect(c.frames.some((f) => f.seq_reply === challenge)).to.equal(false);
    });

    it('closes connections that never authenticate after authTimeoutMs; authenticated ones stay', async () => {
      const short = await startWsMock({ websocket: { authTimeoutMs: 100 } });
      try {
        const { client: authed } = await openAuthed(short, short.pat.token);
        const idle = await RawClient.open(short.ws);
        const { code, reason } = await idle.closed;
        expect([code, reason]).to.deep.equal([1008, 'authentication timeout']);
        expect((await authed.barrier()).status).to.equal('OK');
        authed.close();
      } finally {
        await short.mock.close();
      }
    });

    it('answers a plain GET with 400 api.web_socket.connect.upgrade.app_error and other upgrade paths with 404', async () => {
      const res = await fetch(`${m.mock.url}/api/v4/websocket`);
      expect(res.status).to.equal(400);
      expect(((await res.json()) as { id: string }).id).to.equal('api.web_socket.connect.upgrade.app_error');
      const err = await RawClient.open(`${m.mock.url.replace(/^http/, 'ws')}/api/v4/nothere`).then(() => undefined, (e: { status: number }) => e);
      expect(err?.status).to.equal(404);
    });

    it('refuses a cross-site Origin (the cookie must not ride a foreign page) and accepts the same origin', async () => {
      const err = await RawClient.open(m.ws, { Cookie: `MMAUTHTOKEN=${m.userToken}`, Origin: 'https://evil.example' }).then(() => undefined, (e: { status: number }) => e);
      expect(err?.status).to.equal(403);
      const same = track(await RawClient.open(m.ws, { Cookie: `MMAUTHTOKEN=${m.userToken}`, Origin: m.mock.url }));
      expect((await same.event('hello')).seq).to.equal(0);
    });
  });

  describe('requests', () => {
    it('answers no_action, bad_seq and bad_action', async () => {
      const { client: c } = await openAuthed(m, m.pat.token);
      track(c);
      c.socket.send(JSON.stringify({ seq: 7 }));
      expect((await c.reply(7)).error?.id).to.equal('api.web_socket_router.no_action.app_error');
      c.socket.send(JSON.stringify({ seq: 0, action: 'ping' }));
      const badSeq = await c.next((f) => f.status === 'FAIL' && f.seq_reply === undefined);
      expect(badSeq.error).to.include({ id: 'api.web_socket_router.bad_seq.app_error', status_code: 400 });
      expect((await c.reply(c.send('no_such_action'))).error).to.include({ id: 'api.web_socket_router.bad_action.app_error', status_code: 500 });
    });

    it('user_typing publishes typing to the other members of the channel, not the typist; a bad channel is invalid_param', async () => {
      const { client: typist } = await openAuthed(m, m.pat.token);
      const { client: other } = await openAuthed(m, m.adminToken);
      track(typist);
      track(other);
      const seq = typist.send('user_typing', { channel_id: townSquare(m), parent_id: '' });
      expect(await typist.reply(seq)).to.deep.equal({ status: 'OK', seq_reply: seq });
      const typing = await other.event('typing');
      expect(typing.data).to.deep.equal({ parent_id: '', user_id: m.userId });
      expect(typing.broadcast).to.deep.include({ channel_id: townSquare(m), omit_users: { [m.userId]: true } });
      await typist.barrier();
      expect(typist.frames.some((f) => f.event === 'typing')).to.equal(false);
      const privateId = m.mock.seeded.channels['private-1']?.id ?? '';
      const denied = await typist.reply(typist.send('user_typing', { channel_id: privateId }));
      expect(denied.error).to.deep.equal({ id: 'api.websocket_handler.invalid_param.app_error', message: 'Invalid channel_id parameter.', detailed_error: '', status_code: 400 });
      expect((await typist.reply(typist.send('user_typing', { channel_id: 'nope' }))).error?.id).to.equal('api.websocket_handler.invalid_param.app_error');
    });

    it('get_statuses_by_ids answers online for connected users, offline otherwise', async () => {
      const { client: c } = await openAuthed(m, m.pat.token);
      track(c);
      const reply = await c.reply(c.send('get_statuses_by_ids', { user_ids: [m.userId, m.adminId] }));
      expect(reply.data).to.deep.equal({ [m.userId]: 'online', [m.adminId]: 'offline' });
      expect((await c.reply(c.send('get_statuses_by_ids', { user_ids: 'x' }))).error?.id).to.equal('api.websocket_handler.invalid_param.app_error');
    });
  });

  describe('events and seq', () => {
    it('frames broadcast events like Go\'s precomputed JSON and counts seq per connection', async () => {
      const { client: a } = await openAuthed(m, m.pat.token);
      track(a);
      await m.admin.createPost({ channel_id: townSquare(m), message: 'first' } as never);
      const { client: b } = await openAuthed(m, m.adminToken);
      track(b);
      await m.admin.createPost({ channel_id: townSquare(m), message: 'second' } as never);
      const aSecond = await a.next((f) => f.event === 'posted' && f.seq === 2);
      const bSecond = await b.next((f) => f.event === 'posted' && f.seq === 1);
      expect(JSON.parse(aSecond.data?.post as string).message).to.equal('second');
      expect(JSON.parse(bSecond.data?.post as string).message).to.equal('second');
      const text = a.texts.find((t) => t.includes('"seq": 2}'));
      expect(text).to.match(/^\{"event": "posted", "data": \{"channel_display_name":"Town Square",.*\}, "broadcast": \{"omit_users":null,"user_id":"","channel_id":"[a-z0-9]{26}","team_id":"","connection_id":"","omit_connection_id":""\}, "seq": 2\}$/);
    });
  });

  describe('resume', () => {
    async function dropAndPost(c: RawClient, message: string) {
      c.close();
      await c.closed;
      await until(() => m.mock.websocket.stats().resumable === 1, 'the server keeps the connection for resume');
      expect(m.mock.websocket.stats().resumable).to.equal(1);
      await m.admin.createPost({ channel_id: townSquare(m), message } as never);
    }

    it('replays from sequence_number: events received before and missed while away, with their original seqs', async () => {
      const { client: c, hello } = await openAuthed(m, m.pat.token);
      await m.admin.createPost({ channel_id: townSquare(m), message: 'one' } as never);
      await m.admin.createPost({ channel_id: townSquare(m), message: 'two' } as never);
      await c.next((f) => f.seq === 2);
      await dropAndPost(c, 'three');
      const id = hello.data?.connection_id as string;
      const again = track(await RawClient.open(`${m.ws}?connection_id=${id}&sequence_number=1`, { Authorization: `Bearer ${m.pat.token}` }));
      const third = await again.next((f) => f.seq === 3);
      expect(JSON.parse(third.data?.post as string).message).to.equal('three');
      expect(again.frames.map((f) => f.seq)).to.deep.equal([1, 2, 3]);
      expect(again.frames.some((f) => f.event === 'hello')).to.equal(false);
      await m.admin.createPost({ channel_id: townSquare(m), message: 'four' } as never);
      expect((await again.next((f) => f.event === 'posted' && f.seq === 4)).seq).to.equal(4);
    });

    it('starts over with a new connection id and hello when the sequence is no longer buffered', async () => {
      const { client: c, hello } = await openAuthed(m, m.pat.token);
      await dropAndPost(c, 'missed');
      const id = hello.data?.connection_id as string;
      const again = track(await RawClient.open(`${m.ws}?connection_id=${id}&sequence_number=99`, { Authorization: `Bearer ${m.pat.token}` }));
      const fresh = await again.event('hello');
      expect(fresh.seq).to.equal(0);
      expect(fresh.data?.connection_id).to.not.equal(id);
    });

    it('does not resume after deadConnectionTtlMs (injected clock), nor for another user, nor through a challenge', async () => {
      const { client: c, hello } = await openAuthed(m, m.pat.token);
      const id = hello.data?.connection_id as string;
      await dropAndPost(c, 'missed');
      // another user presenting the id gets a fresh connection
      const other = track(await RawClient.open(`${m.ws}?connection_id=${id}&sequence_number=1`, { Authorization: `Bearer ${m.adminToken}` }));
      expect((await other.event('hello')).data?.connection_id).to.not.equal(id);
      // an unauthenticated upgrade ignores connection_id: the challenge gives a new connection
      const late = track(await RawClient.open(`${m.ws}?connection_id=${id}&sequence_number=1`));
      late.send('authentication_challenge', { token: m.pat.token });
      expect((await late.event('hello')).data?.connection_id).to.not.equal(id);
      // past the TTL the dead connection is gone
      expect(m.mock.websocket.stats().resumable).to.equal(1);
      offset = 61_000;
      const expired = track(await RawClient.open(`${m.ws}?connection_id=${id}&sequence_number=1`, { Authorization: `Bearer ${m.pat.token}` }));
      expect((await expired.event('hello')).data?.connection_id).to.not.equal(id);
      expect(m.mock.websocket.stats().resumable).to.equal(0);
    });

    it('closes a resume without a sequence number, and a connection id that is not an id', async () => {
      const { client: c, hello } = await openAuthed(m, m.pat.token);
      await dropAndPost(c, 'x');
      const noSeq = track(await RawClient.open(`${m.ws}?connection_id=${hello.data?.connection_id as string}`, { Authorization: `Bearer ${m.pat.token}` }));
      expect((await noSeq.closed).code).to.equal(1008);
      const badId = track(await RawClient.open(`${m.ws}?connection_id=not-an-id&sequence_number=1`, { Authorization: `Bearer ${m.pat.token}` }));
      expect((await badId.closed).code).to.equal(1008);
    });
  });
});
