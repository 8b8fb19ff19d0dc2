/**
 * The pure parts of the WebSocket API: request decoding (Go's typed decode), frame encoding,
 * the resume ring buffer and `getExplicitMentions`.
 */
import { expect } from 'chai';
import type { MockApp } from '../../../mock-server/index.js';
import { createMockApp } from '../../support/fast-seed-mock.js';
import { encodeEvent, eventFrame, parseRequest, precomputeEvent, replyFrame } from '../../../mock-server/websocket/frames.js';
import { explicitMentions } from '../../../mock-server/websocket/post-notification.js';
import { ResumeBuffer } from '../../../mock-server/websocket/resume-buffer.js';

describe('websocket: units', () => {
  describe('parseRequest', () => {
    it('decodes what Go decodes, with zero values for missing fields', () => {
      expect(parseRequest('{"seq":3,"action":"ping"}')).to.deep.equal({ seq: 3, action: 'ping', data: {} });
      expect(parseRequest('{"seq":1,"action":"user_typing","data":{"channel_id":"x"}}')?.data).to.deep.equal({ channel_id: 'x' });
      expect(parseRequest('{}')).to.deep.equal({ seq: 0, action: '', data: {} });
      expect(parseRequest('{"seq":null,"action":null,"data":null}')).to.deep.equal({ seq: 0, action: '', data: {} });
    });
    it('refuses what Go cannot decode', () => {
      for (const text of ['', 'nope', '[]', '1', '{"seq":"1"}', '{"seq":1e400}', '{"seq":2.5}', '{"action":[]}', '{"data":"x"}', '{"data":[]}']) {
        expect(parseRequest(text), text).to.equal(undefined);
      }
    });
  });

  describe('frames', () => {
    const event = { event: 'posted', data: { b: 1, a: 'x' }, broadcast: { channel_id: 'c', omit_users: { u: true } } } as const;
    it('precomputes like Go: sorted data keys, broadcast in struct order, seq appended per connection', () => {
      const pre = precomputeEvent(event);
      expect(eventFrame(pre, 0)).to.equal('{"event": "posted", "data": {"a":"x","b":1}, "broadcast": {"omit_users":{"u":true},"user_id":"","channel_id":"c","team_id":"","connection_id":"","omit_connection_id":""}, "seq": 0}');
      expect(eventFrame(pre, 12).endsWith('"seq": 12}')).to.equal(true);
      expect(eventFrame(encodeEvent(event), 4)).to.match(/^\{"event":"posted","data":\{"a":"x","b":1\},.*"seq":4\}\n$/);
    });
    it('writes replies with seq_reply, data and error only when set', () => {
      expect(replyFrame({ status: 'OK', seq_reply: 2 })).to.equal('{"status":"OK","seq_reply":2}\n');
      expect(replyFrame({ status: 'OK', seq_reply: 2, data: {} })).to.equal('{"status":"OK","seq_reply":2}\n');
      expect(replyFrame({ status: 'FAIL', seq_reply: 0, error: { id: 'x', message: 'm', detailed_error: '' } })).to.equal('{"status":"FAIL","error":{"id":"x","message":"m","detailed_error":""}}\n');
    });
  });

  describe('ResumeBuffer', () => {
    const frame = precomputeEvent({ event: 'e', data: {}, broadcast: {} });
    it('replays from a held seq and forgets the oldest beyond its capacity', () => {
      const buffer = new ResumeBuffer(3);
      expect(buffer.from(0)).to.equal(undefined);
      for (let seq = 0; seq < 5; seq++) buffer.push(seq, frame);
      expect(buffer.size).to.equal(3);
      expect(buffer.lastSeq).to.equal(4);
      expect(buffer.from(2)?.map((e) => e.seq)).to.deep.equal([2, 3, 4]);
      expect(buffer.from(4)?.map((e) => e.seq)).to.deep.equal([4]);
      expect(buffer.from(1)).to.equal(undefined);
      buffer.clear();
      expect(buffer.size).to.equal(0);
      expect(buffer.from(4)).to.equal(undefined);
    });
  });

  describe('explicitMentions', () => {
    let mock: MockApp;
    before(async () => { mock = await createMockApp({ inMemory: true }); });
    after(async () => { await mock.close(); });

    it('names channel members mentioned by @username (trailing punctuation tried off), never the sender nor non-members', () => {
      const { store, seeded } = mock;
      const town = store.get('channels', seeded.channels['town-square']?.id ?? '');
      const priv = store.get('channels', seeded.channels['private-1']?.id ?? '');
      if (town === undefined || priv === undefined) throw new Error('seed changed');
      const sender = seeded.sysadmin.id;
      expect(explicitMentions(store, town, { user_id: sender, message: 'hi @user-1.' })).to.deep.equal([seeded.user1.id]);
      expect(explicitMentions(store, town, { user_id: sender, message: 'hi @USER-1, @sysadmin and @ghost' })).to.deep.equal([seeded.user1.id]);
      expect(explicitMentions(store, town, { user_id: sender, message: 'email user-1@example.com' })).to.deep.equal([]);
      expect(explicitMentions(store, town, { user_id: sender, message: '@channel look' })).to.deep.equal([seeded.user1.id]);
      expect(explicitMentions(store, priv, { user_id: sender, message: 'hi @user-1' })).to.deep.equal([]);
    });
  });
});
