import { expect } from 'chai';
import { createPrincipalCache, type PrincipalCache, type PrincipalCacheOptions } from '../../../middleware/cache/principal-cache.js';
import { createHookBus } from '../../../middleware/hooks/hook-bus.js';
import { storeResolver } from '../../../middleware/auth/store-resolver.js';
import { AuthFailure } from '../../../middleware/auth/auth-failure.js';
import { AppError } from '../../../middleware/errors/app-error.js';
import type { Logger } from '../../../middleware/logger.js';
import type { Principal, ResolveContext, TokenResolver } from '../../../middleware/types.js';
import { memoryTokenStore, type MemoryTokenStore } from '../../support/memory-token-store.js';
import { fakeClock, type FakeClock } from './fake-clock.js';

const ctx = { source: 'header-bearer' } as const;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The store's resolver, switchable between answering at once, answering when released (a slow
 * upstream), and failing for infrastructure (503). Records when it was called and how many of its
 * answers were outstanding at most.
 */
function upstreamOf(store: MemoryTokenStore, clock: FakeClock) {
  const inner = storeResolver(store, { now: clock.now });
  const waiting: Array<() => void> = [];
  let outstanding = 0;
  const state = {
    mode: 'sync' as 'sync' | 'gated' | 'down',
    calls: [] as number[],
    maxOutstanding: 0,
    get outstanding() { return outstanding; },
    release() { for (const go of waiting.splice(0)) go(); },
    resolver: {
      resolve(token: string, context: ResolveContext) {
        state.calls.push(clock.now());
        if (state.mode === 'down') throw new AppError('api.context.upstream_unavailable.app_error', { detailed: 'test: down' });
        if (state.mode === 'sync') return inner.resolve(token, context);
        outstanding++;
        state.maxOutstanding = Math.max(state.maxOutstanding, outstanding);
        return new Promise<void>((resolve) => waiting.push(resolve))
          .then(() => inner.resolve(token, context))
          .finally(() => { outstanding--; });
      },
    } satisfies TokenResolver,
  };
  return state;
}

function recordingLogger(lines: Array<{ level: string; message: string }>): Logger {
  const at = (level: string) => (message: string) => { lines.push({ level, message }); };
  return { info: at('info'), warn: at('warn'), error: at('error') };
}

/** What a resolution came to, whether it answered, threw or rejected. */
async function outcome(resolution: () => unknown): Promise<string> {
  try {
    const p = (await resolution()) as Principal;
    return `accepted ${p.roles.join(' ')}`;
  } catch (err) {
    if (err instanceof AuthFailure) return `refused ${err.reason}`;
    if (err instanceof AppError) return `error ${err.status}`;
    throw err;
  }
}

describe('principal cache', () => {
  let clock: FakeClock;
  let store: MemoryTokenStore;
  let upstream: ReturnType<typeof upstreamOf>;
  let userId: string;
  let tokenId: string;
  let secret: string;
  let caches: PrincipalCache[];
  let logs: Array<{ level: string; message: string }>;

  const make = (options: PrincipalCacheOptions = {}) => {
    const cache = createPrincipalCache(upstream.resolver, {
      now: clock.now, setTimer: clock.setTimer, logger: recordingLogger(logs), ...options,
    });
    caches.push(cache);
    return cache;
  };

  beforeEach(() => {
    clock = fakeClock();
    store = memoryTokenStore();
    upstream = upstreamOf(store, clock);
    userId = store.addUser().id;
    ({ row: { id: tokenId }, secret } = store.addToken(userId));
    caches = [];
    logs = [];
  });

  afterEach(() => {
    for (const cache of caches) cache.close();
  });

  describe('revalidation (revalidateMs)', () => {
    it('evicts a token revoked without any event within revalidateMs, in the background', async () => {
      const cache = make({ revalidateMs: 1_000, ttlMs: 3_600_000 });
      cache.resolve(secret, ctx);
      store.deleteToken(tokenId); // revoked, and nobody tells the cache
      clock.advance(699);
      expect(upstream.calls).to.have.length(1); // not due yet: refresh-ahead starts at 70 % of the window
      expect(cache.size).to.equal(1);
      clock.advance(301);
      expect(upstream.calls).to.have.length(2); // re-checked by the timer, not by a request
      expect(cache.size).to.equal(0);
      expect(await outcome(() => cache.resolve(secret, ctx))).to.equal('refused unknown_token');
    });

    it('re-checks every principal again and again, and picks up what changed (new roles)', async () => {
      const cache = make({ revalidateMs: 1_000, ttlMs: 3_600_000 });
      const other = store.addToken(userId);
      cache.resolve(secret, ctx);
      cache.resolve(other.secret, ctx);
      for (let round = 1; round <= 5; round++) {
        const before = upstream.calls.length;
        clock.advance(1_000); // each is re-checked at 70-90 % of the window: once or twice per window
        expect(upstream.calls.length - before, `round ${round}`).to.be.within(2, 4);
      }
      store.updateUser(userId, { roles: 'system_user' }); // no event either
      clock.advance(1_000);
      expect(await outcome(() => cache.resolve(secret, ctx))).to.equal('accepted system_user');
      expect(await outcome(() => cache.resolve(other.secret, ctx))).to.equal('accepted system_user');
    });

    it('never runs on the request path: a due entry is served synchronously, and a running re-check is not waited for', async () => {
      const cache = make({ revalidateMs: 1_000 });
      cache.resolve(secret, ctx);
      upstream.mode = 'gated';
      clock.skip(950); // due, but the timer has not fired yet
      const served = cache.resolve(secret, ctx);
      expect(served).not.to.be.instanceOf(Promise);
      expect(upstream.calls).to.have.length(1);
      clock.advance(0); // the timer fires: the re-check starts and hangs upstream
      expect(upstream.outstanding).to.equal(1);
      expect(cache.resolve(secret, ctx)).to.equal(served);
      const done = cache.revalidateDue();
      upstream.release();
      await done;
      expect(upstream.calls).to.have.length(2);
      expect(cache.resolve(secret, ctx)).not.to.be.instanceOf(Promise);
    });

    it('runs at most revalidateConcurrency re-checks at once, and all of them in the end', async () => {
      const secrets = [secret, ...Array.from({ length: 9 }, () => store.addToken(userId).secret)];
      const cache = make({ revalidateMs: 1_000, revalidateConcurrency: 3 });
      for (const s of secrets) cache.resolve(s, ctx);
      upstream.mode = 'gated';
      clock.advance(900); // all ten are due
      expect(upstream.outstanding).to.equal(3);
      const done = cache.revalidateDue();
      for (let round = 0; round < 10 && (upstream.calls.length < 20 || upstream.outstanding > 0); round++) {
        upstream.release();
        await tick();
      }
      await done;
      expect(upstream.maxOutstanding).to.equal(3);
      expect(upstream.calls).to.have.length(20);
      expect(cache.size).to.equal(10);
    });

    it('spreads re-checks with jitter between 70 % and 90 % of the window', () => {
      const cache = make({ revalidateMs: 10_000 });
      for (let i = 0; i < 50; i++) cache.resolve(store.addToken(userId).secret, ctx);
      const start = clock.now();
      clock.advance(10_000);
      const offsets = upstream.calls.slice(50).map((t) => t - start);
      expect(offsets).to.have.length(50);
      expect(Math.min(...offsets)).to.be.at.least(7_000);
      expect(Math.max(...offsets)).to.be.below(9_000);
      expect(new Set(offsets).size).to.be.above(10);
    });

    it('an infrastructure failure (503) during a re-check keeps the entry at most degradedTtlMs, and a recovered upstream restores it', async () => {
      const cache = make({ revalidateMs: 1_000, degradedTtlMs: 100 });
      cache.resolve(secret, ctx);
      upstream.mode = 'down';
      clock.skip(899);
      clock.advance(0); // the re-check fails
      const failedAt = upstream.calls[1] as number;
      expect(logs.map((l) => `${l.level} ${l.message}`)).to.include('warn principal cache: re-check failed, entry kept at most degradedTtlMs');
      clock.advance(failedAt + 99 - clock.now()); // the one retry (at 70-90 % of the 100 ms) fails too
      expect(upstream.calls).to.have.length(3);
      expect(cache.resolve(secret, ctx)).not.to.be.instanceOf(Promise); // still served, no call
      clock.advance(1);
      expect(await outcome(() => cache.resolve(secret, ctx))).to.equal('error 503');
      clock.advance(10_000);
      expect(upstream.calls).to.have.length(4); // no retries after that: the entry lapsed

      upstream.mode = 'sync';
      cache.resolve(secret, ctx);
      upstream.mode = 'down';
      clock.skip(899);
      clock.advance(0); // the re-check fails: at most 100 ms left
      upstream.mode = 'sync';
      clock.advance(95); // the retry succeeds: a full window again
      expect(upstream.calls).to.have.length(7);
      clock.advance(500);
      expect(cache.resolve(secret, ctx)).not.to.be.instanceOf(Promise);
      expect(upstream.calls).to.have.length(7);
    });

    it('a refused re-check caches the refusal when negativeTtlMs is set: the next request is refused without a call', async () => {
      const cache = make({ revalidateMs: 1_000, negativeTtlMs: 10_000 });
      cache.resolve(secret, ctx);
      store.updateToken(tokenId, { is_active: false });
      clock.advance(1_000);
      expect(cache.size).to.equal(0);
      expect(cache.refusals).to.equal(1);
      expect(await outcome(() => cache.resolve(secret, ctx))).to.equal('refused token_disabled');
      expect(upstream.calls).to.have.length(2);
    });

    it('an entry the re-check cannot reach in time is not served past revalidateMs', async () => {
      const cache = make({ revalidateMs: 1_000 });
      cache.resolve(secret, ctx);
      upstream.mode = 'gated';
      clock.advance(1_000); // the re-check started and hangs
      expect(upstream.outstanding).to.equal(1);
      const request = cache.resolve(secret, ctx);
      expect(request).to.be.instanceOf(Promise); // a miss: resolved like any unknown token
      upstream.release();
      expect(await outcome(() => request)).to.equal('accepted system_user system_user_access_token');
    });

    it('a re-check that lands after an eviction does not bring the entry back', async () => {
      const hooks = createHookBus();
      const cache = make({ hooks, revalidateMs: 1_000 });
      cache.resolve(secret, ctx);
      upstream.mode = 'gated';
      clock.advance(1_000);
      hooks.emit('user.roles_changed', { userId, roles: 'system_user' });
      upstream.release();
      await cache.revalidateDue();
      expect(cache.size).to.equal(0);
    });

    it('ttlMs still ends an entry: an idle token stops costing re-checks', () => {
      const cache = make({ revalidateMs: 1_000, ttlMs: 2_500 });
      cache.resolve(secret, ctx);
      clock.advance(10_000);
      expect(upstream.calls.length).to.be.within(3, 4); // 2 or 3 re-checks, then nothing
      expect(clock.armed).to.equal(0);
      expect(cache.resolve(secret, ctx)).to.be.an('object');
      expect(upstream.calls.length).to.be.within(4, 5); // expired: resolved again by the request
    });

    it('close() cancels the timer; nothing is re-checked afterwards', () => {
      const cache = make({ revalidateMs: 1_000 });
      cache.resolve(secret, ctx);
      expect(clock.armed).to.equal(1);
      cache.close();
      expect(clock.armed).to.equal(0);
      clock.advance(5_000);
      expect(upstream.calls).to.have.length(1);
    });
  });

  describe('fail safe: degrade() and recover()', () => {
    it('degrade() drops everything; until recover(), principals and refusals live at most degradedTtlMs', async () => {
      const cache = make({ ttlMs: 60_000, negativeTtlMs: 30_000, degradedTtlMs: 5_000 });
      cache.resolve(secret, ctx);
      expect(await outcome(() => cache.resolve('no-such-token', ctx))).to.equal('refused unknown_token');
      expect([cache.size, cache.refusals]).to.deep.equal([1, 1]);
      cache.degrade('websocket');
      expect(cache.degraded).to.equal(true);
      expect([cache.size, cache.refusals]).to.deep.equal([0, 0]);
      expect(logs.some((l) => l.level === 'warn' && l.message.startsWith('principal cache degraded'))).to.equal(true);

      cache.resolve(secret, ctx);
      expect(await outcome(() => cache.resolve('no-such-token', ctx))).to.equal('refused unknown_token');
      const calls = upstream.calls.length;
      clock.advance(4_999);
      cache.resolve(secret, ctx);
      expect(await outcome(() => cache.resolve('no-such-token', ctx))).to.equal('refused unknown_token');
      expect(upstream.calls).to.have.length(calls);
      clock.advance(1);
      cache.resolve(secret, ctx);
      expect(await outcome(() => cache.resolve('no-such-token', ctx))).to.equal('refused unknown_token');
      expect(upstream.calls).to.have.length(calls + 2);
    });

    it('recover() drops what was cached during the gap; afterwards entries live ttlMs again', () => {
      const cache = make({ ttlMs: 60_000, degradedTtlMs: 5_000 });
      cache.degrade('redis');
      cache.resolve(secret, ctx);
      expect(cache.size).to.equal(1);
      cache.recover('redis');
      expect(cache.degraded).to.equal(false);
      expect(cache.size).to.equal(0);
      cache.resolve(secret, ctx);
      clock.advance(59_999);
      cache.resolve(secret, ctx);
      expect(upstream.calls).to.have.length(2);
      expect(logs.some((l) => l.level === 'info' && l.message.startsWith('principal cache recovered'))).to.equal(true);
    });

    it('stays degraded until every transport that degraded has recovered (recover() without a reason ends all gaps)', () => {
      const cache = make({ degradedTtlMs: 5_000 });
      cache.degrade('websocket');
      cache.degrade('redis');
      cache.recover('websocket');
      expect(cache.degraded).to.equal(true);
      cache.resolve(secret, ctx);
      clock.advance(5_000);
      expect((cache.resolve(secret, ctx) as Principal).userId).to.equal(userId);
      expect(upstream.calls).to.have.length(2); // still the short life
      cache.recover('redis');
      expect(cache.degraded).to.equal(false);
      cache.degrade('a');
      cache.degrade('b');
      cache.recover();
      expect(cache.degraded).to.equal(false);
      cache.recover('never-degraded'); // harmless
      expect(cache.degraded).to.equal(false);
    });

    it('a resolution in flight across degrade() is not cached for the full TTL', async () => {
      const cache = make({ ttlMs: 60_000, degradedTtlMs: 5_000 });
      upstream.mode = 'gated';
      const inflight = cache.resolve(secret, ctx);
      cache.degrade('gap');
      upstream.release(); // the answer read before the gap: resolved again, then cached for the degraded TTL
      await tick();
      upstream.release();
      await inflight;
      expect(upstream.calls).to.have.length(2);
      upstream.mode = 'sync';
      clock.advance(5_000);
      cache.resolve(secret, ctx);
      expect(upstream.calls).to.have.length(3);
    });
  });

  describe('indexes', () => {
    it('a token event evicts the user\'s PATs whose token id is unknown, not their login sessions', () => {
      const hooks = createHookBus();
      const principals: Record<string, Principal> = {
        remote: { userId, username: 'u', roles: [], sessionId: '', isBot: false, kind: 'user_access_token' },
        login: { userId, username: 'u', roles: [], sessionId: 'login-session', isBot: false, kind: 'session' },
        stranger: { userId: 'someone-else', username: 's', roles: [], sessionId: '', isBot: false, kind: 'user_access_token' },
      };
      const cache = createPrincipalCache({ resolve: (token) => ({ ...principals[token] as Principal }) }, { hooks });
      for (const token of Object.keys(principals)) cache.resolve(token, ctx);
      hooks.emit('token.revoked', { tokenId: 'a-token-id', userId });
      expect(cache.size).to.equal(2);
      hooks.emit('session.revoked', { sessionId: 'another-session', userId });
      expect(cache.size).to.equal(2); // the login session has a known id, and it is not this one
      hooks.emit('session.revoked', { sessionId: 'login-session', userId });
      expect(cache.size).to.equal(1);
      cache.close();
    });

    it('many tokens under one key are evicted together and one by one', () => {
      const hooks = createHookBus();
      const cache = make({ hooks });
      const tokens = [{ row: { id: tokenId }, secret }, ...Array.from({ length: 4 }, () => store.addToken(userId))];
      for (const t of tokens) cache.resolve(t.secret, ctx);
      hooks.emit('token.revoked', { tokenId: tokens[1]?.row.id as string, userId });
      hooks.emit('token.revoked', { tokenId: tokens[2]?.row.id as string, userId });
      expect(cache.size).to.equal(3);
      hooks.emit('user.deactivated', { userId });
      expect(cache.size).to.equal(0);
      for (const t of tokens) cache.resolve(t.secret, ctx);
      expect(cache.size).to.equal(5);
    });

    it('does not cache refusals of keys longer than a token can be', async () => {
      const cache = make({ negativeTtlMs: 10_000 });
      expect(await outcome(() => cache.resolve('x'.repeat(10_000), ctx))).to.equal('refused unknown_token');
      expect(cache.refusals).to.equal(0);
    });
  });
});

describe('principal cache without revalidation', () => {
  it('serves hits synchronously and arms no timer', () => {
    const clock = fakeClock();
    const store = memoryTokenStore();
    const { secret } = store.addToken(store.addUser().id);
    const cache = createPrincipalCache(storeResolver(store), { now: clock.now, setTimer: clock.setTimer });
    const first = cache.resolve(secret, ctx);
    expect(cache.resolve(secret, ctx)).to.equal(first);
    expect(clock.armed).to.equal(0);
    expect(store.lookups).to.equal(1);
  });
});
