import { expect } from 'chai';
import { createOutbox, memoryOutboxStorage } from '../../../middleware/events/event-outbox.js';
import type { HookEventMeta } from '../../../middleware/hooks/hook-bus.js';
import { newId } from '../../../middleware/util/ids.js';
import { recordingStorage } from './support/recording-storage.js';

const A = 'http://a.example/mattermost-pat/events';
const B = 'http://b.example/mattermost-pat/events';
const meta = (): HookEventMeta => ({ eventId: newId(), emittedAt: Date.now(), remote: false });

describe('event outbox', () => {
  it('numbers events in order, keeps each until every subscriber acknowledged it, and compacts', () => {
    const outbox = createOutbox({ storage: memoryOutboxStorage(), targets: [A, B] });
    const ids = [1, 2, 3].map(() => outbox.append('token.revoked', { tokenId: newId(), userId: newId() }, meta()));
    expect(ids.map((e) => e.seq)).to.deep.equal([1, 2, 3]);
    expect(outbox.next(A)?.seq).to.equal(1);
    outbox.ack(A, 1);
    outbox.ack(A, 2);
    expect(outbox.next(A)?.seq).to.equal(3);
    expect(outbox.size, 'B has acknowledged nothing').to.equal(3);
    outbox.ack(B, 2);
    expect(outbox.size).to.equal(1);
    expect(outbox.next(B)?.seq).to.equal(3);
    outbox.ack(A, 3);
    outbox.ack(B, 3);
    expect(outbox.size).to.equal(0);
    expect(outbox.next(A)).to.equal(undefined);
    expect(outbox.prev(A)).to.equal(3);
  });

  it('coalesces a user\'s logouts into one pending entry that counts them, without a gap, never into one on the wire', () => {
    const outbox = createOutbox({ storage: memoryOutboxStorage(), targets: [A] });
    const userId = newId();
    const other = newId();
    const head = outbox.append('session.revoked', { userId, sessionId: newId() }, meta());
    outbox.append('session.revoked', { userId: other, sessionId: newId() }, meta());
    let last = '';
    for (let i = 0; i < 50; i++) { last = newId(); outbox.append('session.revoked', { userId, sessionId: last }, meta()); }
    expect(outbox.size, 'the head (maybe in flight), the other user, one merged entry').to.equal(3);
    expect(outbox.coalesced).to.equal(49);
    expect(outbox.next(A)).to.include({ seq: head.seq, coalesced: 1 });
    outbox.ack(A, head.seq);
    expect(outbox.next(A)).to.include({ seq: 2, coalesced: 1 });
    outbox.ack(A, 2);
    const merged = outbox.next(A);
    expect(merged).to.include({ seq: 52, coalesced: 50 });
    expect(merged?.payload).to.deep.equal({ userId, sessionId: last });
    expect(outbox.prev(A), 'coalesced seqs are not a gap').to.equal(2);
    expect(outbox.dropped).to.equal(0);
  });

  it('a flood of logouts by many users never pushes out a revocation; bulk drops make the subscriber see a gap', () => {
    const outbox = createOutbox({ storage: memoryOutboxStorage(), targets: [A], bulkLimit: 100 });
    const revoked = outbox.append('token.revoked', { tokenId: newId(), userId: newId() }, meta());
    const deactivated = outbox.append('user.deactivated', { userId: newId() }, meta());
    for (let i = 0; i < 5_000; i++) outbox.append('session.revoked', { userId: newId(), sessionId: newId() }, meta());
    for (let i = 0; i < 5_000; i++) outbox.append('token.created', { userId: newId(), tokenId: newId() }, meta());
    expect(outbox.size).to.equal(202);
    expect(outbox.dropped).to.equal(9_800);
    expect(outbox.next(A)).to.deep.include({ seq: revoked.seq, event: 'token.revoked' });
    expect(outbox.prev(A), 'the loss is announced with the very next delivery').to.be.greaterThan(revoked.seq);
    outbox.ack(A, revoked.seq);
    expect(outbox.next(A)?.seq).to.equal(deactivated.seq);
    outbox.ack(A, deactivated.seq);
    const firstBulk = outbox.next(A);
    expect(firstBulk?.event).to.equal('session.revoked');
    expect(outbox.prev(A), 'the highest dropped seq: the receiver sees a gap').to.equal(10_002 - 100);
  });

  it('the hard bound drops the oldest entry whatever its kind, and records the loss', () => {
    const outbox = createOutbox({ storage: memoryOutboxStorage(), targets: [A], maxEntries: 10 });
    for (let i = 0; i < 15; i++) outbox.append('token.revoked', { tokenId: newId(), userId: newId() }, meta());
    expect(outbox.size).to.equal(10);
    expect(outbox.dropped).to.equal(5);
    expect(outbox.next(A)?.seq).to.equal(6);
    expect(outbox.prev(A)).to.equal(5);
    outbox.ack(A, 6);
    expect(outbox.prev(A), 'loss passed: back to the plain cursor').to.equal(6);
  });

  it('survives a reopen: same source id, seq never reused, cursors kept, removed subscribers forgotten, new ones start at the end', () => {
    const storage = recordingStorage();
    const first = createOutbox({ storage, targets: [A, B] });
    for (let i = 0; i < 4; i++) first.append('user.deactivated', { userId: newId() }, meta());
    first.ack(A, 4);
    first.ack(B, 1);
    const again = createOutbox({ storage, targets: [A, B] });
    expect(again.sourceId).to.equal(first.sourceId);
    expect(again.next(B)?.seq).to.equal(2);
    expect(again.next(A)).to.equal(undefined);
    expect(again.append('user.activated', { userId: newId() }, meta()).seq).to.equal(5);

    const C = 'http://[::1]:8080/mattermost-pat/events';
    const third = createOutbox({ storage, targets: [A, C] });
    expect(third.next(C), 'a new subscriber is owed nothing from before').to.equal(undefined);
    expect(third.size, 'B forgotten: entries only B needed are gone').to.equal(1);
    expect(storage.state()?.cursors.map((c) => c.target).sort()).to.deep.equal([A, C].sort());
    // Everything acknowledged, then reopened: the next seq still continues.
    third.ack(A, 5);
    expect(storage.state()?.entries).to.deep.equal([]);
    expect(createOutbox({ storage, targets: [A] }).append('config.changed', { keys: [] }, meta()).seq).to.equal(6);
  });

  it('with no subscriber writes no entry at all', () => {
    const storage = recordingStorage();
    const outbox = createOutbox({ storage, targets: [] });
    outbox.append('token.revoked', { tokenId: newId(), userId: newId() }, meta());
    expect(outbox.size).to.equal(0);
    expect(storage.writes.every((w) => (w.put ?? []).length === 0)).to.equal(true);
    expect(storage.state()?.nextSeq).to.equal(2);
  });
});
