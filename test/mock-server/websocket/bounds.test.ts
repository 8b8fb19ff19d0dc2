/**
 * Bad frames and bad readers never crash or stall the server: malformed JSON, binary and
 * oversized frames close only their socket; a slow reader is dropped instead of growing the
 * server's memory; a socket that stops answering pings is terminated; a flood of requests is cut.
 * After each, another socket is still served (a ping barrier).
 */
import { expect } from 'chai';
import { RawClient, openAuthed, startWsMock, type WsMock } from './support/ws.js';

describe('websocket: bounds', () => {
  let m: WsMock;
  const sockets: RawClient[] = [];
  const track = (c: RawClient) => { sockets.push(c); return c; };
  afterEach(async () => {
    for (const c of sockets.splice(0)) c.socket.terminate();
    await m.mock.close();
  });

  describe('frames', () => {
    let witness: RawClient;
    beforeEach(async () => {
      m = await startWsMock();
      witness = track((await openAuthed(m, m.adminToken)).client);
    });

    it('closes a socket sending malformed JSON (1007) and keeps serving the others', async () => {
      const { client: c } = await openAuthed(m, m.pat.token);
      track(c);
      c.socket.send('{"seq":1,"action":');
      expect((await c.closed).code).to.equal(1007);
      expect((await witness.barrier()).status).to.equal('OK');
    });

    it('closes on requests Go could not decode: not an object, seq not an integer, data not an object', async () => {
      for (const text of ['[1,2]', '"ping"', '{"seq":"1","action":"ping"}', '{"seq":1.5,"action":"ping"}', '{"seq":1,"action":"ping","data":[1]}', '{"seq":1,"action":7}']) {
        const { client: c } = await openAuthed(m, m.pat.token);
        track(c);
        c.socket.send(text);
        expect((await c.closed).code, text).to.equal(1007);
      }
      expect((await witness.barrier()).status).to.equal('OK');
    });

    it('closes a socket sending a binary frame (1003)', async () => {
      const { client: c } = await openAuthed(m, m.pat.token);
      track(c);
      c.socket.send(Buffer.from([0x82, 0xa3, 0x73, 0x65, 0x71]));
      expect((await c.closed).code).to.equal(1003);
      expect((await witness.barrier()).status).to.equal('OK');
    });

    it('closes a socket sending a frame over maxPayload (8 KiB, 1009), before any upgrade auth too', async () => {
      const { client: c } = await openAuthed(m, m.pat.token);
      track(c);
      c.socket.send(JSON.stringify({ seq: 1, action: 'ping', data: { pad: 'x'.repeat(9_000) } }));
      expect((await c.closed).code).to.equal(1009);
      const anon = track(await RawClient.open(m.ws));
      anon.socket.send('x'.repeat(20_000));
      expect((await anon.closed).code).to.equal(1009);
      expect((await witness.barrier()).status).to.equal('OK');
    });

    it('cuts a socket flooding requests faster than they are handled (1008), not the server', async () => {
      const c = track(await RawClient.open(m.ws));
      // an unresolvable challenge first: while it is handled, the rest queue up
      const frames = [JSON.stringify({ seq: 1, action: 'authentication_challenge', data: { token: 'y'.repeat(26) } })];
      for (let i = 2; i < 2_000; i++) frames.push(JSON.stringify({ seq: i, action: 'ping' }));
      for (const f of frames) c.socket.send(f);
      expect((await c.closed).code).to.equal(1008);
      expect((await witness.barrier()).status).to.equal('OK');
    });
  });

  it('drops a slow reader once its unsent bytes pass maxBufferedBytes, and keeps serving the others', async () => {
    m = await startWsMock({ websocket: { maxBufferedBytes: 64 * 1024 } });
    const { client: slow } = await openAuthed(m, m.pat.token);
    const { client: witness } = await openAuthed(m, m.adminToken);
    track(slow);
    track(witness);
    // The reader stops reading: the kernel buffers fill, then the server's send buffer.
    const raw = (slow.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    raw.pause();
    const big = 'x'.repeat(60_000);
    let published = 0;
    while (m.mock.websocket.stats().authenticated === 2 && published < 5_000) {
      m.mock.websocket.publish({ event: 'custom_load', data: { big }, broadcast: { user_id: m.userId } });
      published++;
      if (published % 20 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    expect(m.mock.websocket.stats().authenticated, `still connected after ${published} events`).to.equal(1);
    expect(m.mock.logs.lines().some((l) => l.includes('websocket slow reader dropped'))).to.equal(true);
    expect((await witness.barrier()).status).to.equal('OK');
    raw.resume();
    const { code } = await slow.closed;
    expect([1006, 1008]).to.include(code);
  });

  it('terminates a socket that stops answering pings; one that answers stays', async () => {
    m = await startWsMock({ websocket: { pingIntervalMs: 50, pongTimeoutMs: 1_000 } });
    const mute = track(await RawClient.open(m.ws, { Authorization: `Bearer ${m.pat.token}` }, { autoPong: false }));
    await mute.event('hello');
    const { client: alive } = await openAuthed(m, m.adminToken);
    track(alive);
    expect((await mute.closed).code).to.equal(1006);
    expect(alive.socket.readyState).to.equal(alive.socket.OPEN);
    expect((await alive.barrier()).status).to.equal('OK');
    expect(m.mock.logs.lines().some((l) => l.includes('websocket ping timeout'))).to.equal(true);
  });
});
