/**
 * The shared second-level cache against a real redis-server: one upstream call per token for
 * every instance, single flight across instances, the token never stored, evictions by hook
 * event and by generation, no stale write after an eviction, and Redis down or paused costs an
 * upstream call, never an error; an in-process hit in front never touches Redis.
 */
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { createHookBus, sha256Hex, type HookBus } from '../../../middleware/index.js';
import { createPrincipalCache } from '../../../middleware/cache/principal-cache.js';
import { sharedPrincipalCache, type SharedPrincipalCache } from '../../../middleware/fleet/index.js';
import type { Principal, TokenResolver } from '../../../middleware/types.js';
import { AuthFailure } from '../../../middleware/auth/auth-failure.js';
import type { TestRedis } from '../../support/redis.js';
import { startRedisWithRawClient, USER_A, USER_B } from './support.js';

const ctx = { source: 'header-bearer' } as const;
const TOKEN_A = 'tokenaaaaaaaaaaaaaaaaaaaaa';
const TOKEN_B = 'tokenbbbbbbbbbbbbbbbbbbbbb';
const principalOf = (userId: string): Principal => ({ userId, username: `u${userId[0]}`, roles: ['system_user'], sessionId: '', isBot: false, kind: 'user_access_token' });

/** An upstream that counts its calls; `gate` holds answers until released. */
function upstream() {
  const users: Record<string, string> = { [TOKEN_A]: USER_A, [TOKEN_B]: USER_B };
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  const u = {
    calls: 0,
    revoked: new Set<string>(),
    hold() { gate = new Promise((r) => { release = r; }); },
    release() { release?.(); gate = undefined; },
    resolver: {
      async resolve(token: string) {
        u.calls++;
        if (gate !== undefined) await gate;
        const userId = users[token];
        if (userId === undefined || u.revoked.has(token)) throw new AuthFailure('unknown_token');
        return principalOf(userId);
      },
    } as TokenResolver,
  };
  return u;
}

describe('sharedPrincipalCache (real redis-server)', () => {
  let redis: TestRedis;
  let raw: Redis;
  const caches: SharedPrincipalCache[] = [];
  const open = (inner: TokenResolver, hooks?: HookBus, extra: Partial<Parameters<typeof sharedPrincipalCache>[1]> = {}) => {
    const c = sharedPrincipalCache(inner, { redis: redis.url, hooks, ttlMs: 60_000, ...extra });
    caches.push(c);
    return c;
  };
  const ready = () => Promise.all(caches.map((c) => c.ready()));

  let stopRedis: () => Promise<void>;

  beforeEach(async () => { ({ redis, raw, stop: stopRedis } = await startRedisWithRawClient()); });
  afterEach(async () => {
    redis.resume();
    for (const c of caches.splice(0)) await c.close();
    await stopRedis();
  });

  it('five instances, one upstream call; Redis holds the SHA-256 of the token, never the token', async () => {
    const u = upstream();
    const instances = Array.from({ length: 5 }, () => open(u.resolver));
    await ready();
    for (const c of instances) expect((await c.resolve(TOKEN_A, ctx)).userId).to.equal(USER_A);
    expect(u.calls).to.equal(1);
    const keys = await raw.keys('*');
    expect(keys).to.include(`mattermost-pat:l2:p:0:${sha256Hex(TOKEN_A)}`);
    for (const key of keys) {
      expect(key).to.not.include(TOKEN_A);
      const type = await raw.type(key);
      const value = type === 'string' ? await raw.get(key) : (await raw.smembers(key)).join(',');
      expect(value ?? '').to.not.include(TOKEN_A);
    }
    const ttl = await raw.pttl(`mattermost-pat:l2:p:0:${sha256Hex(TOKEN_A)}`);
    expect(ttl).to.be.within(1, 60_000);
  });

  it('single flight across instances: concurrent misses make one upstream call', async () => {
    const u = upstream();
    const instances = Array.from({ length: 5 }, () => open(u.resolver));
    await ready();
    u.hold();
    const answers = instances.flatMap((c) => [c.resolve(TOKEN_A, ctx), c.resolve(TOKEN_A, ctx)]);
    await new Promise((r) => setTimeout(r, 30));
    u.release();
    for (const p of await Promise.all(answers)) expect(p.userId).to.equal(USER_A);
    expect(u.calls).to.equal(1);
    expect(instances.reduce((n, c) => n + c.stats.waited, 0)).to.be.greaterThan(0);
  });

  it('a revocation event on any instance deletes the user’s entries; the next resolve asks upstream (and is refused)', async () => {
    const u = upstream();
    const hooks = createHookBus();
    const c1 = open(u.resolver, hooks);
    const c2 = open(u.resolver);
    await ready();
    await c1.resolve(TOKEN_A, ctx);
    await c1.resolve(TOKEN_B, ctx);
    u.revoked.add(TOKEN_A);
    hooks.emit('token.revoked', { tokenId: 'x'.repeat(26), userId: USER_A });
    await waitForKeyGone(raw, `mattermost-pat:l2:p:0:${sha256Hex(TOKEN_A)}`);
    let refused: unknown;
    try { await c2.resolve(TOKEN_A, ctx); } catch (err) { refused = err; }
    expect(refused).to.be.instanceOf(AuthFailure);
    // The other user's entry is still shared.
    const before = u.calls;
    expect((await c2.resolve(TOKEN_B, ctx)).userId).to.equal(USER_B);
    expect(u.calls).to.equal(before);
  });

  it('config.changed bumps the generation: every entry is gone for every instance', async () => {
    const u = upstream();
    const hooks = createHookBus();
    const c1 = open(u.resolver, hooks);
    await ready();
    await c1.resolve(TOKEN_A, ctx);
    await c1.resolve(TOKEN_B, ctx);
    hooks.emit('config.changed', { keys: [] });
    await waitFor(async () => (await raw.get('mattermost-pat:l2:gen')) === '1');
    const c2 = open(u.resolver);
    await ready();
    await c2.resolve(TOKEN_A, ctx);
    await c2.resolve(TOKEN_B, ctx);
    expect(u.calls).to.equal(4);
  });

  it('an answer in flight while its user is evicted is returned but not stored', async () => {
    const u = upstream();
    const hooks = createHookBus();
    const c1 = open(u.resolver, hooks);
    await ready();
    u.hold();
    const pending = c1.resolve(TOKEN_A, ctx);
    await waitFor(async () => u.calls === 1);
    hooks.emit('user.deactivated', { userId: USER_A });
    u.release();
    expect((await pending).userId).to.equal(USER_A);
    expect(c1.stats.staleSkipped).to.equal(1);
    expect(await raw.exists(`mattermost-pat:l2:p:0:${sha256Hex(TOKEN_A)}`)).to.equal(0);
  });

  it('Redis down: every resolve is answered by upstream, none fails', async () => {
    const u = upstream();
    const c = open(u.resolver);
    await ready();
    await c.resolve(TOKEN_A, ctx);
    await redis.kill();
    for (let i = 0; i < 5; i++) expect((await c.resolve(TOKEN_A, ctx)).userId).to.equal(USER_A);
    expect(u.calls).to.equal(6);
    expect(c.stats.redisErrors).to.be.greaterThan(0);
  });

  it('a paused Redis: an in-process hit in front answers synchronously; a miss falls back to upstream', async () => {
    const u = upstream();
    const hooks = createHookBus();
    const shared = open(u.resolver, hooks, { commandTimeoutMs: 50 });
    await ready();
    const l1 = createPrincipalCache(shared, { hooks });
    await l1.resolve(TOKEN_A, ctx);
    redis.pause();
    const hit = l1.resolve(TOKEN_A, ctx);
    // A Map lookup: a principal, not a promise waiting on Redis.
    expect(hit).to.not.have.property('then');
    expect((hit as Principal).userId).to.equal(USER_A);
    expect((await l1.resolve(TOKEN_B, ctx)).userId).to.equal(USER_B);
    expect(shared.stats.redisErrors).to.be.greaterThan(0);
    l1.close();
  });
});

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function waitForKeyGone(raw: Redis, key: string): Promise<void> {
  await waitFor(async () => (await raw.exists(key)) === 0);
}
