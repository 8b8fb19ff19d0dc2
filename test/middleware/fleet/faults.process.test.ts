/**
 * A fleet of three app instances (fleetResolver: in-process cache, shared Redis cache, Redis
 * event bridge) in front of the mock, which publishes its events to the same stream (`redis`
 * option). Under a steady load: a revoked token is refused by every instance; Redis killed and
 * restarted mid-load never causes a 5xx, and a token revoked during the outage is refused by
 * every instance once the degraded TTL has passed (an injected clock, no sleep); a paused Redis
 * does not stop the instances from answering.
 */
import { expect } from 'chai';
import { startRedis, type TestRedis } from '../../support/redis.js';
import { startWsMock, type WsMock } from '../../mock-server/websocket/support/ws.js';
import { fleetApp, waitUntil, type FleetApp } from './support.js';

const DEGRADED_TTL = 5_000;

describe('fleet faults (real redis-server, the mock publishing to it)', () => {
  let redis: TestRedis;
  let m: WsMock;
  let apps: FleetApp[];
  let offset: number;
  let statuses: number[];
  let load: { stop(): Promise<void> } | undefined;
  let second: { id: string; token: string };

  beforeEach(async () => {
    redis = await startRedis();
    m = await startWsMock({ redis: redis.url });
    const created = await m.user.createUserAccessToken(m.userId, 'second');
    second = { id: created.id, token: created.token ?? '' };
    offset = 0;
    statuses = [];
    apps = Array.from({ length: 3 }, () => fleetApp({
      url: m.mock.url, redis: redis.url, ttlMs: 300_000, degradedTtlMs: DEGRADED_TTL, now: () => Date.now() + offset,
      bridge: { blockMs: 200, stallMs: 300 },
    }));
    await Promise.all(apps.map((a) => a.fleet.ready()));
  });
  afterEach(async () => {
    await load?.stop();
    load = undefined;
    redis.resume();
    for (const a of apps) await a.fleet.close();
    await m.mock.close();
    await redis.stop();
  });

  /** Requests on every instance with both tokens, until stopped; every status recorded. */
  function startLoad(tokens: string[]): { stop(): Promise<void> } {
    let running = true;
    const loop = (async () => {
      while (running) {
        for (const a of apps) for (const t of tokens) statuses.push(await a.me(t));
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    return { async stop() { running = false; await loop; } };
  }

  const allRefuse = async (token: string) => (await Promise.all(apps.map((a) => a.me(token)))).every((s) => s === 401);

  it('a token revoked on the mock is refused by every instance (the event came through Redis)', async () => {
    for (const a of apps) expect(await a.me(m.pat.token)).to.equal(200);
    await m.user.revokeUserAccessToken(m.pat.id);
    const deadline = Date.now() + 5_000;
    while (!(await allRefuse(m.pat.token))) {
      if (Date.now() > deadline) throw new Error('an instance still accepts the revoked token');
      await new Promise((r) => setTimeout(r, 5));
    }
    // Once refused, refused: and the other token is unaffected.
    for (const a of apps) expect(await a.me(m.pat.token)).to.equal(401);
    for (const a of apps) expect(await a.me(second.token)).to.equal(200);
    // The instances received the mock's event, not a re-check.
    for (const a of apps) expect(a.fleet.bridge.stats.received).to.be.greaterThan(0);
  });

  it('Redis killed and restarted mid-load: no 5xx; a token revoked in the outage is refused everywhere after the degraded TTL', async () => {
    load = startLoad([m.pat.token, second.token]);
    await waitUntil(() => statuses.length > 30, 'some load');
    await redis.kill();
    await waitUntil(() => apps.every((a) => a.fleet.resolver.degraded), 'every instance to degrade');
    await m.user.revokeUserAccessToken(m.pat.id);
    offset += DEGRADED_TTL + 1; // the degraded TTL has passed
    for (const a of apps) expect(await a.me(m.pat.token)).to.equal(401);
    await redis.restart();
    await waitUntil(() => apps.every((a) => !a.fleet.resolver.degraded), 'every instance to recover', 8_000);
    const mark = statuses.length;
    await waitUntil(() => statuses.length > mark + 30, 'more load');
    await load.stop();
    load = undefined;
    for (const a of apps) {
      expect(await a.me(m.pat.token)).to.equal(401);
      expect(await a.me(second.token)).to.equal(200);
    }
    expect(statuses.filter((s) => s >= 500)).to.deep.equal([]);
    expect(new Set(statuses)).to.deep.equal(new Set([200, 401]));
  });

  it('a paused Redis (SIGSTOP) mid-load: every request is still answered, none with a 5xx', async () => {
    load = startLoad([m.pat.token, second.token]);
    await waitUntil(() => statuses.length > 30, 'some load');
    redis.pause();
    const mark = statuses.length;
    await waitUntil(() => apps.every((a) => a.fleet.resolver.degraded), 'every instance to notice');
    await waitUntil(() => statuses.length > mark + 30, 'load answered while Redis is paused');
    redis.resume();
    await waitUntil(() => apps.every((a) => !a.fleet.resolver.degraded), 'every instance to recover', 8_000);
    await load.stop();
    load = undefined;
    expect(statuses.filter((s) => s !== 200)).to.deep.equal([]);
  });
});
