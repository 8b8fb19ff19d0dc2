import { expect } from 'chai';
import Koa from 'koa';
import { errorBoundary } from '../../../middleware/errors/error-boundary.js';
import { createHookBus, type HookEventMeta } from '../../../middleware/hooks/hook-bus.js';
import { isValidId } from '../../../middleware/util/ids.js';
import { listen, recordingLogger } from '../../support/koa-harness.js';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('hook bus', () => {
  it('delivers the payload and metadata to handlers of that event only', () => {
    const bus = createHookBus();
    const got: Array<[unknown, HookEventMeta]> = [];
    bus.on('token.revoked', (payload, meta) => { got.push([payload, meta]); });
    bus.on('user.deactivated', () => { throw new Error('wrong event'); });
    const meta = bus.emit('token.revoked', { tokenId: 't', userId: 'u' });
    expect(got).to.have.length(1);
    expect(got[0][0]).to.deep.equal({ tokenId: 't', userId: 'u' });
    expect(got[0][1]).to.equal(meta);
    expect(isValidId(meta.eventId)).to.equal(true);
    expect(meta.remote).to.equal(false);
    expect(meta.emittedAt).to.be.closeTo(Date.now(), 5000);
  });

  it('keeps given metadata (remote events)', () => {
    const bus = createHookBus();
    const meta = bus.emit('config.changed', { keys: [] }, { eventId: 'e'.repeat(26), emittedAt: 5, remote: true });
    expect(meta).to.deep.equal({ eventId: 'e'.repeat(26), emittedAt: 5, remote: true });
  });

  it('runs first: true handlers before the others, in reverse registration order', () => {
    const bus = createHookBus();
    const order: string[] = [];
    bus.on('user.activated', () => { order.push('app'); });
    bus.on('user.activated', () => { order.push('cache'); }, { first: true });
    bus.onAny((event) => { order.push(`any:${event}`); });
    bus.emit('user.activated', { userId: 'u' });
    expect(order).to.deep.equal(['cache', 'app', 'any:user.activated']);
  });

  it('isolates a throwing, rejecting or hanging hook: the others run and emit() neither throws nor waits', async () => {
    const log = recordingLogger();
    const bus = createHookBus({ logger: log, hangTimeoutMs: 15 });
    const ran: string[] = [];
    bus.on('token.disabled', () => { throw new Error('sync failure'); });
    bus.on('token.disabled', async () => { throw new Error('async failure'); });
    bus.on('token.disabled', () => new Promise<void>(() => {}));
    bus.on('token.disabled', () => { ran.push('last'); });
    expect(() => bus.emit('token.disabled', { tokenId: 't', userId: 'u' })).not.to.throw();
    expect(ran).to.deep.equal(['last']);
    await wait(40);
    const byMessage = Object.fromEntries(log.lines.map((l) => [l.message, l]));
    expect(byMessage['hook threw'].fields).to.deep.equal({ event: 'token.disabled', error: 'sync failure' });
    expect(byMessage['hook failed'].fields).to.deep.equal({ event: 'token.disabled', error: 'async failure' });
    expect(byMessage['hook still pending, not awaited'].fields).to.deep.equal({ event: 'token.disabled', timeoutMs: 15 });
  });

  it('does not report a slow hook that settles in time', async () => {
    const log = recordingLogger();
    const bus = createHookBus({ logger: log, hangTimeoutMs: 50 });
    bus.on('token.created', async () => { await wait(5); });
    bus.emit('token.created', { tokenId: 't', userId: 'u' });
    await wait(80);
    expect(log.lines).to.deep.equal([]);
  });

  it('unsubscribes, also during an emit without skipping the rest', () => {
    const bus = createHookBus();
    const ran: string[] = [];
    const offA = bus.on('session.revoked', () => { ran.push('a'); offA(); });
    bus.on('session.revoked', () => { ran.push('b'); });
    const offAny = bus.onAny(() => { ran.push('any'); });
    bus.emit('session.revoked', { userId: 'u', sessionId: 's' });
    offAny();
    offAny(); // idempotent
    bus.emit('session.revoked', { userId: 'u', sessionId: 's' });
    expect(ran).to.deep.equal(['a', 'b', 'any', 'b']);
  });
});

describe('hook bus inside a request', () => {
  it('a route that emits answers normally although hooks throw, reject or hang', async () => {
    const log = recordingLogger();
    const bus = createHookBus({ logger: log, hangTimeoutMs: 10_000 });
    bus.on('token.revoked', () => { throw new Error('sync'); });
    bus.on('token.revoked', () => Promise.reject(new Error('async')));
    bus.on('token.revoked', () => new Promise<void>(() => {}));
    const app = new Koa();
    app.use(errorBoundary());
    app.use((ctx) => {
      bus.emit('token.revoked', { tokenId: 't', userId: 'u' });
      ctx.body = { status: 'OK' };
    });
    const h = await listen(app);
    try {
      await h.http.post('/revoke').expect(200, { status: 'OK' });
      await wait(5);
      expect(log.lines.map((l) => l.message).sort()).to.deep.equal(['hook failed', 'hook threw']);
    } finally {
      await h.close();
    }
  });
});
