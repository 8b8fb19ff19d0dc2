/**
 * The event sender against a real receiver: at least once (a lost answer is redelivered and
 * applied once), a refusal is a loss the receiver sees as a gap, a sender restart is a new boot.
 */
import { expect } from 'chai';
import Koa from 'koa';
import { errorBoundary } from '../../../middleware/errors/error-boundary.js';
import { decodeJwt } from 'jose';
import { eventReceiver, type EventReceiver } from '../../../middleware/events/event-receiver.js';
import { createEventSender, type EventSender, type EventSenderOptions } from '../../../middleware/events/event-sender.js';
import { createHookBus, type HookBus } from '../../../middleware/hooks/hook-bus.js';
import { newId } from '../../../middleware/util/ids.js';
import { requestId } from '../../../middleware/http/request-id.js';
import { recordingStorage } from './support/recording-storage.js';
import { listen, type Listening } from '../support/listen.js';

const SECRET = 'a-shared-secret-of-at-least-32-bytes!!';
const PATH = '/mattermost-pat/events';

describe('event sender: at least once, losses made visible', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => { for (const fn of cleanup.splice(0).reverse()) await fn(); });

  let busB: HookBus;
  let receiver: EventReceiver;
  let applied: string[];
  let resets: string[];
  let bodies: string[];
  /** Runs for every delivery before the receiver; may answer itself. */
  let gate: (ctx: Koa.Context, body: Record<string, unknown>) => 'pass' | 'drop-answer' | number;

  const serve = async (): Promise<Listening> => {
    busB = createHookBus();
    applied = [];
    resets = [];
    bodies = [];
    gate = () => 'pass';
    busB.onAny((event, payload) => {
      if (event === 'cache.reset') resets.push((payload as { reason: string }).reason);
      else applied.push(event);
    });
    receiver = eventReceiver({ hooks: busB, verify: { secret: SECRET } });
    cleanup.push(() => receiver.close());
    const koa = new Koa();
    koa.use(async (ctx, next) => {
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      (ctx.request as { body?: unknown }).body = text;
      bodies.push(text);
      const verdict = gate(ctx, decodeJwt(text));
      if (typeof verdict === 'number') { ctx.status = verdict; ctx.body = 'no'; return; }
      await next();
      if (verdict === 'drop-answer') ctx.req.socket.destroy();
    });
    koa.use(requestId());
    koa.use(errorBoundary());
    koa.use(receiver);
    const app = await listen(koa);
    cleanup.push(() => app.close());
    return app;
  };

  const sender = (options: Partial<EventSenderOptions> & Pick<EventSenderOptions, 'hooks' | 'targets'>): EventSender => {
    const s = createEventSender({ signing: { alg: 'HS256', secret: SECRET }, retryBaseMs: 5, retryMaxMs: 20, heartbeatMs: 0, ...options });
    cleanup.push(() => s.close());
    return s;
  };

  it('an answer lost after the receiver applied the event: redelivered with the same seq, acknowledged, applied once', async () => {
    const app = await serve();
    let dropped = 0;
    gate = (_ctx, claims) => (claims.event === 'token.revoked' && dropped++ === 0 ? 'drop-answer' : 'pass');
    const busA = createHookBus();
    const s = sender({ hooks: busA, targets: [`${app.url}${PATH}`] });
    busA.emit('token.revoked', { tokenId: newId(), userId: newId() });
    busA.emit('user.deactivated', { userId: newId() });
    await s.flush();
    expect(applied).to.deep.equal(['token.revoked', 'user.deactivated']);
    expect(receiver.duplicates).to.equal(1);
    expect(s.delivered).to.equal(2);
    expect(s.dropped).to.equal(0);
    const seqs = bodies.map((b) => decodeJwt(b).seq);
    expect(seqs).to.deep.equal([1, 1, 2]);
    expect(resets).to.deep.equal(['source']);
  });

  it('an event the receiver refuses (4xx) is skipped as a loss: the next delivery is a gap and the receiver resets', async () => {
    const app = await serve();
    gate = (_ctx, claims) => (claims.event === 'token.disabled' ? 400 : 'pass');
    const busA = createHookBus();
    const s = sender({ hooks: busA, targets: [`${app.url}${PATH}`] });
    busA.emit('token.revoked', { tokenId: newId(), userId: newId() });
    busA.emit('token.disabled', { tokenId: newId(), userId: newId() });
    busA.emit('user.deactivated', { userId: newId() });
    await s.flush();
    expect(applied).to.deep.equal(['token.revoked', 'user.deactivated']);
    expect(resets).to.deep.equal(['source', 'gap']);
    expect(s.dropped).to.equal(1);
    expect(s.pending).to.equal(0);
  });

  it('a sender restarted on the same storage keeps its source id and seq; the receiver sees a new boot', async () => {
    const app = await serve();
    const storage = recordingStorage();
    const busA = createHookBus();
    const first = sender({ hooks: busA, targets: [`${app.url}${PATH}`], outbox: storage });
    busA.emit('token.revoked', { tokenId: newId(), userId: newId() });
    await first.flush();
    await first.close();
    expect(storage.state()).to.deep.include({ sourceId: first.outbox.sourceId, nextSeq: 2, entries: [] });
    const busA2 = createHookBus();
    const second = sender({ hooks: busA2, targets: [`${app.url}${PATH}`], outbox: storage });
    expect(second.outbox.sourceId).to.equal(first.outbox.sourceId);
    expect(second.bootId).not.to.equal(first.bootId);
    busA2.emit('user.deactivated', { userId: newId() });
    await second.flush();
    expect(bodies.map((b) => decodeJwt(b).seq)).to.deep.equal([1, 2]);
    expect(resets).to.deep.equal(['source', 'boot']);
    expect(applied).to.deep.equal(['token.revoked', 'user.deactivated']);
  });

  it('sends a heartbeat at start and then every heartbeatMs while nothing is pending, naming the cursor', async () => {
    const app = await serve();
    const busA = createHookBus();
    const s = sender({ hooks: busA, targets: [`${app.url}${PATH}`], heartbeatMs: 20 });
    busA.emit('token.revoked', { tokenId: newId(), userId: newId() });
    await s.flush();
    for (let i = 0; i < 400 && s.heartbeats < 3; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(s.heartbeats).to.be.at.least(3);
    const beats = bodies.map((b) => decodeJwt(b)).filter((c) => c.event === 'heartbeat');
    expect(beats.at(-1)).to.include({ seq: 1, prev: 1, src: s.outbox.sourceId, boot: s.bootId });
    expect(applied).to.deep.equal(['token.revoked']);
    expect(resets).to.deep.equal(['source']);
  });

  it('a new start redelivering what the last start delivered but could not acknowledge: applied once, and still a new boot', async () => {
    const app = await serve();
    // The first start's request reaches the receiver, its answer does not (as when it closes
    // with the request on the wire): the entry stays in the stored outbox.
    gate = (_ctx, claims) => (claims.event === 'token.revoked' && claims.seq === 1 && bodies.length === 1 ? 'drop-answer' : 'pass');
    const storage = recordingStorage();
    const busA = createHookBus();
    const first = sender({ hooks: busA, targets: [`${app.url}${PATH}`], outbox: storage, retryBaseMs: 60_000, retryMaxMs: 60_000, closeTimeoutMs: 20 });
    busA.emit('token.revoked', { tokenId: newId(), userId: newId() });
    while (applied.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await first.close();
    expect(first.delivered).to.equal(0);
    expect(storage.state()?.entries.map((e) => e.seq)).to.deep.equal([1]);

    const busA2 = createHookBus();
    const second = sender({ hooks: busA2, targets: [`${app.url}${PATH}`], outbox: storage });
    await second.flush();
    expect(second.delivered, 'acknowledged, not refused as a replay of its jti').to.equal(1);
    expect(second.dropped).to.equal(0);
    expect(receiver.duplicates).to.equal(1);
    expect(applied, 'applied once').to.deep.equal(['token.revoked']);
    expect(resets, 'the redelivery still tells the receiver of the new boot').to.deep.equal(['source', 'boot']);
    expect(receiver.sources().get(first.outbox.sourceId)).to.include({ boot: second.bootId, last: 1 });
    busA2.emit('user.deactivated', { userId: newId() });
    await second.flush();
    expect(applied).to.deep.equal(['token.revoked', 'user.deactivated']);
    expect(resets, 'the stream goes on from the redelivered seq: no gap').to.deep.equal(['source', 'boot']);
    expect(storage.state()?.entries).to.deep.equal([]);
  });

  it('close() aborting while a delivery is being signed: nothing is sent once close() resolved', async () => {
    // The abort can land between two attempts (the signing is asynchronous); an attempt begun
    // after it must not go out from a sender the next start has already replaced.
    for (let round = 0; round < 40; round++) {
      let calls = 0;
      let inFlight = 0;
      const fetch: typeof globalThis.fetch = async (_input, init) => {
        calls++;
        inFlight++;
        try {
          await new Promise((resolve) => setTimeout(resolve, 0));
          if (init?.signal?.aborted) throw new Error('aborted');
          throw new Error('connection refused');
        } finally { inFlight--; }
      };
      const busA = createHookBus();
      const s = createEventSender({
        signing: { alg: 'HS256', secret: SECRET }, hooks: busA, targets: ['http://127.0.0.1:9/x'], fetch,
        retryBaseMs: 0, retryMaxMs: 0, heartbeatMs: 0, closeTimeoutMs: round % 4,
      });
      busA.emit('token.revoked', { tokenId: newId(), userId: newId() });
      await new Promise((resolve) => setTimeout(resolve, round % 3));
      await s.close();
      const after = calls;
      expect(inFlight, `round ${round}: a request still in flight after close()`).to.equal(0);
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(calls, `round ${round}: a request sent after close()`).to.equal(after);
      expect(s.pending, 'still owed (a durable outbox keeps it)').to.equal(1);
    }
  });
});
