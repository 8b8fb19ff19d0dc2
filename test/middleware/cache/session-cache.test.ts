import { expect } from 'chai';
import Koa from 'koa';
import { authenticate } from '../../../middleware/auth/authenticate.js';
import { errorBoundary } from '../../../middleware/errors/error-boundary.js';
import { createHookBus, type HookBus } from '../../../middleware/hooks/hook-bus.js';
import { cachedResolver, type CachedResolver } from '../../../middleware/cache/session-cache.js';
import { storeResolver } from '../../../middleware/auth/store-resolver.js';
import { sha256Hex } from '../../../middleware/util/digest.js';
import { newId } from '../../../middleware/util/ids.js';
import { AuthFailure } from '../../../middleware/auth/auth-failure.js';
import type { Principal, TokenResolver } from '../../../middleware/types.js';
import { listen, recordingLogger, type Harness } from '../../support/koa-harness.js';
import { memoryTokenStore, type MemoryTokenStore } from '../../support/memory-token-store.js';

const ctx = { source: 'header-bearer' } as const;

/** A resolver whose answers wait for `release()`. */
function gated(inner: TokenResolver) {
  const waiting: Array<() => void> = [];
  let calls = 0;
  return {
    get calls() { return calls; },
    get pending() { return waiting.length; },
    release() { for (const go of waiting.splice(0)) go(); },
    resolver: {
      resolve(token: string) {
        calls++;
        return new Promise<void>((resolve) => waiting.push(resolve)).then(() => inner.resolve(token, ctx));
      },
    } satisfies TokenResolver,
  };
}

async function refusedWith(p: unknown): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AuthFailure) return err.reason;
    throw err;
  }
  return 'accepted';
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('cachedResolver()', () => {
  let store: MemoryTokenStore;
  let hooks: HookBus;
  let userId: string;
  let tokenId: string;
  let secret: string;
  let cache: CachedResolver;
  let clock: number;

  beforeEach(() => {
    clock = 1_000_000;
    store = memoryTokenStore();
    hooks = createHookBus();
    userId = store.addUser().id;
    ({ row: { id: tokenId }, secret } = store.addToken(userId));
    cache = cachedResolver(storeResolver(store), { hooks, now: () => clock });
  });

  it('serves repeat requests from memory without touching the store, synchronously', () => {
    const first = cache.resolve(secret, ctx) as Principal;
    expect(store.lookups).to.equal(1);
    const second = cache.resolve(secret, ctx);
    expect(second).to.equal(first);
    expect(store.lookups).to.equal(1);
    expect(cache.size).to.equal(1);
  });

  it('expires entries after ttlMs and never keeps a principal past its token expiry', () => {
    cache.resolve(secret, ctx);
    clock += 59_999;
    cache.resolve(secret, ctx);
    expect(store.lookups).to.equal(1);
    clock += 2;
    cache.resolve(secret, ctx);
    expect(store.lookups).to.equal(2);

    const expiring = store.addToken(userId, { expires_at: clock + 10 });
    const resolver = cachedResolver(storeResolver(store, { now: () => clock }), { now: () => clock });
    resolver.resolve(expiring.secret, ctx);
    clock += 10;
    resolver.resolve(expiring.secret, ctx); // exactly at expires_at: still valid, still cached
    clock += 1;
    expect(() => resolver.resolve(expiring.secret, ctx)).to.throw(AuthFailure).with.property('reason', 'token_expired');
  });

  it('really caches: without an event a deleted token is still served (that is what the hooks are for)', () => {
    cache.resolve(secret, ctx);
    store.deleteToken(tokenId);
    expect((cache.resolve(secret, ctx) as Principal).tokenId).to.equal(tokenId);
  });

  describe('eviction on each hook event', () => {
    const tokenEvents = ['token.revoked', 'token.disabled', 'token.enabled', 'token.rotated'] as const;
    for (const event of tokenEvents) {
      it(`${event} evicts that token at once`, () => {
        const other = store.addToken(userId);
        cache.resolve(secret, ctx);
        cache.resolve(other.secret, ctx);
        store.updateToken(tokenId, { is_active: false });
        hooks.emit(event, { tokenId, userId });
        expect(() => cache.resolve(secret, ctx)).to.throw(AuthFailure).with.property('reason', 'token_disabled');
        expect(cache.size).to.equal(1); // the user's other token stays cached
        const before = store.lookups;
        cache.resolve(other.secret, ctx);
        expect(store.lookups).to.equal(before);
      });
    }

    it('token.rotated: the old secret is dead, the new one works', () => {
      cache.resolve(secret, ctx);
      const fresh = newId();
      store.updateToken(tokenId, { digest: sha256Hex(fresh) });
      hooks.emit('token.rotated', { tokenId, userId });
      expect(() => cache.resolve(secret, ctx)).to.throw(AuthFailure).with.property('reason', 'unknown_token');
      expect((cache.resolve(fresh, ctx) as Principal).tokenId).to.equal(tokenId);
    });

    for (const event of ['user.deactivated', 'user.activated'] as const) {
      it(`${event} evicts every entry of that user only`, () => {
        const second = store.addToken(userId);
        const stranger = store.addUser();
        const strangerToken = store.addToken(stranger.id);
        for (const s of [secret, second.secret, strangerToken.secret]) cache.resolve(s, ctx);
        store.updateUser(userId, { delete_at: 1 });
        hooks.emit(event, { userId });
        expect(cache.size).to.equal(1);
        expect(() => cache.resolve(secret, ctx)).to.throw(AuthFailure).with.property('reason', 'user_deactivated');
        expect(() => cache.resolve(second.secret, ctx)).to.throw(AuthFailure).with.property('reason', 'user_deactivated');
      });
    }

    it('user.roles_changed: the next resolution sees the new roles', () => {
      expect((cache.resolve(secret, ctx) as Principal).roles).to.deep.equal(['system_user', 'system_user_access_token']);
      store.updateUser(userId, { roles: 'system_user' });
      hooks.emit('user.roles_changed', { userId, roles: 'system_user' });
      expect((cache.resolve(secret, ctx) as Principal).roles).to.deep.equal(['system_user']);
    });

    it('session.revoked evicts the entries of that session', () => {
      const p = cache.resolve(secret, ctx) as Principal;
      const other = store.addToken(userId);
      cache.resolve(other.secret, ctx);
      hooks.emit('session.revoked', { userId, sessionId: p.sessionId });
      expect(cache.size).to.equal(1);
      const before = store.lookups;
      cache.resolve(secret, ctx);
      expect(store.lookups).to.equal(before + 1);
    });

    it('config.changed clears everything (e.g. EnableUserAccessTokens turned off)', () => {
      cache.resolve(secret, ctx);
      store.featureEnabled = false;
      hooks.emit('config.changed', { keys: ['ServiceSettings.EnableUserAccessTokens'] });
      expect(cache.size).to.equal(0);
      expect(() => cache.resolve(secret, ctx)).to.throw(AuthFailure).with.property('reason', 'feature_disabled');
    });

    it('runs before application hooks, even ones registered earlier', () => {
      const seen: number[] = [];
      const bus = createHookBus();
      bus.on('token.revoked', () => { seen.push(c.size); });
      const c = cachedResolver(storeResolver(store), { hooks: bus });
      c.resolve(secret, ctx);
      bus.emit('token.revoked', { tokenId, userId });
      expect(seen).to.deep.equal([0]);
    });

    it('close() unsubscribes', () => {
      cache.resolve(secret, ctx);
      cache.close();
      hooks.emit('config.changed', { keys: [] });
      expect(cache.size).to.equal(1);
    });
  });

  it('explicit evictToken / evictUser / evictSession / clear', () => {
    const p = cache.resolve(secret, ctx) as Principal;
    cache.evictToken('someone-else');
    expect(cache.size).to.equal(1);
    cache.evictToken(tokenId);
    expect(cache.size).to.equal(0);
    cache.resolve(secret, ctx);
    cache.evictUser(userId);
    expect(cache.size).to.equal(0);
    cache.resolve(secret, ctx);
    cache.evictSession(p.sessionId);
    expect(cache.size).to.equal(0);
    cache.resolve(secret, ctx);
    cache.clear();
    expect(cache.size).to.equal(0);
  });

  it('keeps at most maxEntries, dropping the oldest', () => {
    const small = cachedResolver(storeResolver(store), { maxEntries: 3 });
    const tokens = [secret, ...Array.from({ length: 4 }, () => store.addToken(userId).secret)];
    for (const t of tokens) small.resolve(t, ctx);
    expect(small.size).to.equal(3);
    const before = store.lookups;
    small.resolve(tokens[4], ctx); // newest: cached
    expect(store.lookups).to.equal(before);
    small.resolve(tokens[0], ctx); // oldest: dropped
    expect(store.lookups).to.equal(before + 1);
    small.evictUser(userId);
    expect(small.size).to.equal(0);
  });

  it('does not cache refusals by default; negativeTtlMs caches them until an event could revive the token', () => {
    store.updateToken(tokenId, { is_active: false });
    expect(() => cache.resolve(secret, ctx)).to.throw(AuthFailure);
    expect(() => cache.resolve(secret, ctx)).to.throw(AuthFailure);
    expect(store.lookups).to.equal(2);

    const neg = cachedResolver(storeResolver(store), { hooks, negativeTtlMs: 5_000, now: () => clock });
    const lookups = store.lookups;
    expect(() => neg.resolve(secret, ctx)).to.throw(AuthFailure);
    expect(() => neg.resolve(secret, ctx)).to.throw(AuthFailure).with.property('reason', 'token_disabled');
    expect(store.lookups).to.equal(lookups + 1);
    store.updateToken(tokenId, { is_active: true });
    hooks.emit('token.enabled', { tokenId, userId });
    expect((neg.resolve(secret, ctx) as Principal).tokenId).to.equal(tokenId);

    expect(() => neg.resolve('unknown', ctx)).to.throw(AuthFailure);
    clock += 5_001;
    const l2 = store.lookups;
    expect(() => neg.resolve('unknown', ctx)).to.throw(AuthFailure);
    expect(store.lookups).to.equal(l2 + 1);
  });

  describe('in-flight race', () => {
    /** Inner resolver that reads the store when called but answers later (a slow DB round trip). */
    function snapshotting() {
      const releases: Array<() => void> = [];
      let calls = 0;
      const resolver: TokenResolver = {
        resolve(token) {
          calls++;
          let answer: () => Principal;
          try {
            const p = storeResolver(store).resolve(token, ctx) as Principal;
            answer = () => p;
          } catch (err) {
            answer = () => { throw err; };
          }
          return new Promise<Principal>((resolve, reject) => releases.push(() => {
            try { resolve(answer()); } catch (err) { reject(err); }
          }));
        },
      };
      return {
        resolver,
        get calls() { return calls; },
        async releaseAll() { while (releases.length > 0) { releases.shift()?.(); await tick(); } },
        async releaseOne() { releases.shift()?.(); await tick(); },
      };
    }

    it('a resolution that read the store before a revocation neither returns nor re-inserts the stale principal', async () => {
      const inner = snapshotting();
      const c = cachedResolver(inner.resolver, { hooks });
      const inflight = refusedWith(c.resolve(secret, ctx)); // reads: token valid
      store.deleteToken(tokenId);
      hooks.emit('token.revoked', { tokenId, userId });
      await inner.releaseAll();
      expect(await inflight).to.equal('unknown_token');
      expect(inner.calls).to.equal(2); // retried because the eviction happened mid-flight
      expect(c.size).to.equal(0);
      const next = refusedWith(c.resolve(secret, ctx));
      await inner.releaseAll();
      expect(await next).to.equal('unknown_token');
    });

    it('the same for a user deactivated mid-flight (the user id is only known after resolving)', async () => {
      const inner = snapshotting();
      const c = cachedResolver(inner.resolver, { hooks });
      const inflight = refusedWith(c.resolve(secret, ctx));
      store.updateUser(userId, { delete_at: 1 });
      hooks.emit('user.deactivated', { userId });
      await inner.releaseAll();
      expect(await inflight).to.equal('user_deactivated');
      expect(c.size).to.equal(0);
    });

    it('keeps answering but stops caching when evictions keep coming', async () => {
      const inner = snapshotting();
      const c = cachedResolver(inner.resolver, { hooks });
      const inflight = c.resolve(secret, ctx);
      for (let i = 0; i < 3; i++) {
        hooks.emit('user.roles_changed', { userId, roles: 'system_user' });
        await inner.releaseOne();
      }
      expect((await inflight).userId).to.equal(userId);
      expect(inner.calls).to.equal(3);
      expect(c.size).to.equal(0);
    });

    it('concurrent misses for the same token share one resolution (single flight)', async () => {
      const gate = gated(storeResolver(store));
      const c = cachedResolver(gate.resolver, { hooks });
      const all = Promise.all([c.resolve(secret, ctx), c.resolve(secret, ctx), c.resolve(secret, ctx)]);
      await tick();
      expect(gate.calls).to.equal(1);
      gate.release();
      const [a, b, d] = await all;
      expect(a).to.equal(b).and.equal(d);
      expect(c.size).to.equal(1);
    });

    it('a request joining an in-flight resolution after a revocation gets the fresh answer', async () => {
      const inner = snapshotting();
      const c = cachedResolver(inner.resolver, { hooks });
      const first = refusedWith(c.resolve(secret, ctx));
      store.deleteToken(tokenId);
      hooks.emit('token.revoked', { tokenId, userId });
      const joiner = refusedWith(c.resolve(secret, ctx));
      await inner.releaseAll();
      expect(await first).to.equal('unknown_token');
      expect(await joiner).to.equal('unknown_token');
      expect(inner.calls).to.equal(2);
    });

    it('an eviction of someone else does not prevent caching', async () => {
      const gate = gated(storeResolver(store));
      const c = cachedResolver(gate.resolver, { hooks });
      const inflight = c.resolve(secret, ctx);
      hooks.emit('user.deactivated', { userId: 'someone-else' });
      hooks.emit('token.revoked', { tokenId: 'another-token', userId: 'someone-else' });
      gate.release();
      expect((await inflight).tokenId).to.equal(tokenId);
      expect(c.size).to.equal(1);
      expect(gate.calls).to.equal(1);
    });

    it('config.changed during a resolution prevents caching its result', async () => {
      const gate = gated(storeResolver(store));
      const c = cachedResolver(gate.resolver, { hooks });
      const inflight = c.resolve(secret, ctx);
      hooks.emit('config.changed', { keys: ['x'] });
      gate.release();
      await tick();
      gate.release();
      await inflight;
      expect(gate.calls).to.equal(2);
      expect(c.size).to.equal(1); // the retry started after the change, so it is fresh and cached
    });
  });

  describe('over HTTP', () => {
    let h: Harness;
    afterEach(async () => { await h.close(); });

    it('a revoked token is refused on the very next request, no TTL wait, even when another hook throws, rejects or hangs', async () => {
      const log = recordingLogger();
      const bus = createHookBus({ logger: log, hangTimeoutMs: 20 });
      bus.on('token.revoked', () => { throw new Error('hook exploded'); });
      bus.on('token.revoked', () => Promise.reject(new Error('hook rejected')));
      bus.on('token.revoked', () => new Promise<void>(() => {}));
      const app = new Koa();
      app.use(errorBoundary());
      app.use(authenticate({ resolver: cachedResolver(storeResolver(store), { hooks: bus, ttlMs: 3_600_000 }) }));
      app.use((c) => { c.body = { ok: true }; });
      h = await listen(app);
      await h.http.get('/').set('Authorization', `Bearer ${secret}`).expect(200);
      store.deleteToken(tokenId);
      await h.http.get('/').set('Authorization', `Bearer ${secret}`).expect(200); // cached, no event yet
      bus.emit('token.revoked', { tokenId, userId });
      const res = await h.http.get('/').set('Authorization', `Bearer ${secret}`).expect(401);
      expect(res.body.id).to.equal('api.context.session_expired.app_error');
      await new Promise((resolve) => setTimeout(resolve, 40));
      const messages = log.lines.map((l) => l.message);
      expect(messages).to.include.members(['hook threw', 'hook failed', 'hook still pending, not awaited']);
    });
  });
});

describe('cachedResolver() shared principals', () => {
  it('freezes cached principals so one request cannot alter another\'s', () => {
    const store = memoryTokenStore();
    const { secret } = store.addToken(store.addUser().id);
    const cache = cachedResolver(storeResolver(store));
    const p = cache.resolve(secret, ctx) as Principal;
    expect(Object.isFrozen(p)).to.equal(true);
    expect(Object.isFrozen(p.roles)).to.equal(true);
    expect(() => { (p as { userId: string }).userId = 'evil'; }).to.throw(TypeError);
  });
});
