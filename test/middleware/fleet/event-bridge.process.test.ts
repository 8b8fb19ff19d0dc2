/**
 * The Redis event bridge against a real redis-server (one per test): events cross instances
 * once, never echo, bad entries are refused, and every way of missing events (cut off, trimmed,
 * a paused Redis, a restarted one) degrades the cache, runs onGap and recovers once reads flow.
 */
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { redisEventBridge, type RedisEventBridge } from '../../../middleware/fleet/index.js';
import type { TestRedis } from '../../support/redis.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';
import { recordedBus, startRedisWithRawClient, switchLog, waitUntil, TOKEN_ID, USER_A } from './support.js';

/** degrade, recover, degrade, recover…, ending recovered. */
function expectAlternating(calls: string[]): void {
  expect(calls.length % 2, calls.join()).to.equal(0);
  calls.forEach((c, i) => expect(c).to.equal(i % 2 === 0 ? 'degrade:redis' : 'recover:redis'));
}

describe('redisEventBridge (real redis-server)', () => {
  let redis: TestRedis;
  let raw: Redis;
  let stopRedis: () => Promise<void>;
  const bridges: RedisEventBridge[] = [];
  let proxy: TcpProxy | undefined;
  const open = (options: Parameters<typeof redisEventBridge>[0]) => { const b = redisEventBridge(options); bridges.push(b); return b; };

  /**
   * Bridge a straight to Redis and bridge b through a TCP proxy the test cuts (`bProxy.down()`),
   * b recording its cache switches and gaps, with short read timeouts so an outage shows quickly.
   */
  const bridgesWithBBehindProxy = async () => {
    const bProxy = await startTcpProxy(redis.url.replace('redis:', 'http:'));
    proxy = bProxy;
    const a = recordedBus();
    const b = recordedBus();
    const cache = switchLog();
    const gaps: string[] = [];
    const ba = open({ redis: redis.url, hooks: a.hooks });
    const bb = open({ redis: bProxy.url.replace('http:', 'redis:'), hooks: b.hooks, cache, onGap: (r) => { gaps.push(r); }, blockMs: 100, stallMs: 200 });
    await Promise.all([ba.ready(), bb.ready()]);
    return { bProxy, a, b, cache, gaps, ba, bb };
  };

  beforeEach(async () => { ({ redis, raw, stop: stopRedis } = await startRedisWithRawClient()); });
  afterEach(async () => {
    redis.resume();
    for (const b of bridges.splice(0)) await b.close();
    await proxy?.close();
    proxy = undefined;
    await stopRedis();
  });

  it('an event of one instance reaches the other once, remote, and is never sent back', async () => {
    const a = recordedBus();
    const b = recordedBus();
    const ba = open({ redis: redis.url, hooks: a.hooks });
    const bb = open({ redis: redis.url, hooks: b.hooks });
    await Promise.all([ba.ready(), bb.ready()]);
    const meta = a.hooks.emit('token.revoked', { tokenId: TOKEN_ID, userId: USER_A });
    await waitUntil(() => b.seen.length === 1, 'b to see the event');
    expect(b.seen[0].event).to.equal('token.revoked');
    expect(b.seen[0].payload).to.deep.equal({ tokenId: TOKEN_ID, userId: USER_A });
    expect(b.seen[0].meta).to.deep.equal({ eventId: meta.eventId, emittedAt: meta.emittedAt, remote: true });
    await ba.flush();
    // a read its own entry and skipped it; b did not publish what it received.
    await waitUntil(() => ba.stats.skippedOwn === 1, 'a to skip its own entry');
    expect(a.seen).to.have.lengthOf(1);
    expect(bb.stats.published).to.equal(0);
    expect(await raw.xlen('mattermost-pat:events')).to.equal(1);
    const [[, fields]] = await raw.xrange('mattermost-pat:events', '-', '+');
    expect(fields).to.include.members(['src', ba.instanceId, 'event', 'token.revoked']);
  });

  it('entries that are not well-formed events are counted and ignored', async () => {
    const b = recordedBus();
    const bb = open({ redis: redis.url, hooks: b.hooks });
    await bb.ready();
    await raw.xadd('mattermost-pat:events', '*', 'src', 'x', 'event', 'token.revoked', 'payload', '{"tokenId":"short"}', 'prev', '');
    await raw.xadd('mattermost-pat:events', '*', 'src', 'x', 'event', 'no.such', 'payload', '{}');
    await raw.xadd('mattermost-pat:events', '*', 'src', 'x', 'event', 'user.deactivated', 'payload', 'not json');
    await waitUntil(() => bb.stats.rejected === 3, 'three rejections');
    expect(b.seen).to.deep.equal([]);
  });

  it('cut off from Redis: degraded while away, catches up the events kept in the stream, onGap, recovered', async () => {
    const { bProxy, a, b, cache, gaps, ba } = await bridgesWithBBehindProxy();
    expect(cache.calls).to.deep.equal(['degrade:redis', 'recover:redis']);
    bProxy.down();
    await waitUntil(() => cache.degraded, 'b to degrade');
    a.hooks.emit('user.deactivated', { userId: USER_A });
    await ba.flush();
    bProxy.up();
    await waitUntil(() => !cache.degraded, 'b to recover');
    await waitUntil(() => b.seen.length === 1, 'the event of the outage');
    expect(b.seen[0].event).to.equal('user.deactivated');
    // A reconnect may flap (one gap or more), but every gap is an outage, and it ends recovered.
    expect(gaps.length).to.be.greaterThan(0);
    expect(new Set(gaps)).to.deep.equal(new Set(['unreachable']));
    expectAlternating(cache.calls);
  });

  it('its last id trimmed away while it was cut off: a gap, the cache degraded then recovered', async () => {
    const { bProxy, a, b, cache, gaps, ba, bb } = await bridgesWithBBehindProxy();
    a.hooks.emit('user.deactivated', { userId: USER_A });
    await waitUntil(() => b.seen.length === 1, 'the first event');
    bProxy.down();
    await waitUntil(() => cache.degraded, 'b to degrade');
    for (let i = 0; i < 5; i++) a.hooks.emit('user.activated', { userId: USER_A });
    await ba.flush();
    await raw.xtrim('mattermost-pat:events', 'MAXLEN', 2);
    bProxy.up();
    await waitUntil(() => !cache.degraded, 'b to recover');
    expect(bb.stats.gaps).to.be.greaterThanOrEqual(1);
    expect(gaps.length).to.be.greaterThan(0);
    expectAlternating(cache.calls);
    // It read the new stream from its start: the two entries kept.
    await waitUntil(() => b.seen.length === 3, 'the entries kept');
  });

  it('a gap in the prev chain while reading (entries trimmed under a slow reader) degrades and recovers', async () => {
    const b = recordedBus();
    const cache = switchLog();
    const gaps: string[] = [];
    const bb = open({ redis: redis.url, hooks: b.hooks, cache, onGap: (r) => { gaps.push(r); } });
    await bb.ready();
    // An entry naming a predecessor b never read: entries between were trimmed away.
    await raw.xadd('mattermost-pat:events', '*', 'src', 'x', 'event', 'user.deactivated', 'payload', JSON.stringify({ userId: USER_A }), 'prev', '1-1');
    await waitUntil(() => gaps.length === 1, 'onGap');
    expect(cache.calls).to.deep.equal(['degrade:redis', 'recover:redis', 'degrade:redis', 'recover:redis']);
    expect(b.seen.map((s) => s.event)).to.deep.equal(['user.deactivated']);
  });

  it('a paused Redis (SIGSTOP) is noticed (degraded), and a resumed one recovers', async () => {
    const b = recordedBus();
    const cache = switchLog();
    const bb = open({ redis: redis.url, hooks: b.hooks, cache, blockMs: 100, stallMs: 200 });
    await bb.ready();
    redis.pause();
    await waitUntil(() => cache.degraded, 'b to degrade');
    redis.resume();
    await waitUntil(() => !cache.degraded, 'b to recover');
  });

  it('Redis killed and restarted empty: degraded, then the new stream is read from its start', async () => {
    const a = recordedBus();
    const b = recordedBus();
    const cache = switchLog();
    const ba = open({ redis: redis.url, hooks: a.hooks });
    const bb = open({ redis: redis.url, hooks: b.hooks, cache, blockMs: 100, stallMs: 200 });
    await Promise.all([ba.ready(), bb.ready()]);
    a.hooks.emit('user.deactivated', { userId: USER_A });
    await waitUntil(() => b.seen.length === 1, 'the first event');
    await redis.kill();
    await waitUntil(() => cache.degraded, 'b to degrade');
    await redis.restart();
    await waitUntil(() => !cache.degraded, 'b to recover', 8_000);
    a.hooks.emit('user.activated', { userId: USER_A });
    await waitUntil(() => b.seen.length === 2, 'the event after the restart');
    expect(b.seen[1].event).to.equal('user.activated');
  });
});
