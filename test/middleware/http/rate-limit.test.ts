import { expect } from 'chai';
import Koa from 'koa';
import request from 'supertest';
import { errorBoundary } from '../../../middleware/errors/error-boundary.js';
import { AppError } from '../../../middleware/errors/app-error.js';
import { GcraLimiter, rateLimit, type RateLimitOptions, type RateLimitSettings } from '../../../middleware/http/rate-limit.js';
import { requestId } from '../../../middleware/http/request-id.js';
import { recordingLogger } from '../../support/koa-harness.js';

const KEYS = ['id', 'message', 'detailed_error', 'request_id', 'status_code'];

interface Rig {
  http: ReturnType<typeof request>;
  /** Requests that reached the handler. */
  calls: () => number;
  advance: (ms: number) => void;
}

/**
 * A Koa app behind the limiter with a manual clock. The handler answers 401 when `X-Fail: 1`,
 * throws a 401 AppError when `X-Fail: throw`, else 200; `X-Client` stands in for the address.
 */
function rig(settings: RateLimitOptions['settings'], extra: Partial<RateLimitOptions> = {}, handler?: Koa.Middleware): Rig {
  let clock = 1_000_000;
  let calls = 0;
  const app = new Koa();
  app.use(requestId());
  app.use(errorBoundary());
  app.use(rateLimit({ settings, now: () => clock, remoteAddress: (ctx) => ctx.get('X-Client') || ctx.ip, ...extra }));
  app.use(handler ?? ((ctx) => {
    calls += 1;
    const fail = ctx.get('X-Fail');
    if (fail === 'throw') throw new AppError('api.context.session_expired.app_error');
    ctx.status = fail === '1' ? 401 : 200;
    ctx.body = { ok: fail === '' };
  }));
  return { http: request(app.callback()), calls: () => calls, advance: (ms) => { clock += ms; } };
}

describe('rateLimit()', () => {
  it('is off by default and with Enable false: no limit, no headers', async () => {
    for (const settings of [undefined, { Enable: false, PerSec: 1, MaxBurst: 0 }]) {
      const r = rig(settings);
      for (let i = 0; i < 5; i++) {
        const res = await r.http.get('/');
        expect(res.status).to.equal(200);
        expect(res.headers).not.to.have.property('x-ratelimit-limit');
      }
      expect(r.calls()).to.equal(5);
    }
  });

  it('allows MaxBurst+1 at once, then 429 with Mattermost\'s headers and error body; the handler does not run', async () => {
    const r = rig({ Enable: true, PerSec: 1, MaxBurst: 2 });
    const seen: string[][] = [];
    for (let i = 0; i < 3; i++) {
      const res = await r.http.get('/').expect(200);
      seen.push([res.headers['x-ratelimit-limit'], res.headers['x-ratelimit-remaining'], res.headers['x-ratelimit-reset']]);
      expect(res.headers).not.to.have.property('retry-after');
    }
    expect(seen).to.deep.equal([['3', '2', '1'], ['3', '1', '2'], ['3', '0', '3']]);
    const limited = await r.http.post('/').send({ big: 'x' });
    expect(limited.status).to.equal(429);
    expect(limited.headers['content-type']).to.equal('application/json');
    expect(Object.keys(limited.body)).to.deep.equal(KEYS);
    expect(limited.body.id).to.equal('api.context.rate_limited.app_error');
    expect(limited.body.status_code).to.equal(429);
    expect(limited.headers['retry-after']).to.equal('1');
    expect(limited.headers['x-ratelimit-limit']).to.equal('3');
    expect(limited.headers['x-ratelimit-remaining']).to.equal('0');
    expect(limited.headers['x-ratelimit-reset']).to.equal('3');
    expect(r.calls()).to.equal(3);
    // One emission interval later exactly one more request passes.
    r.advance(1000);
    await r.http.get('/').expect(200);
    expect((await r.http.get('/')).status).to.equal(429);
    r.advance(3000);
    const full = await r.http.get('/').expect(200);
    expect(full.headers['x-ratelimit-remaining']).to.equal('2');
  });

  it('keys by remote address by default; VaryByHeader and VaryByUser split buckets; no vary = one global bucket', async () => {
    const byAddr = rig({ Enable: true, PerSec: 1, MaxBurst: 0 });
    await byAddr.http.get('/').set('X-Client', 'a').expect(200);
    await byAddr.http.get('/').set('X-Client', 'a').expect(429);
    await byAddr.http.get('/').set('X-Client', 'b').expect(200);

    const byHeader = rig({ Enable: true, PerSec: 1, MaxBurst: 0, VaryByHeader: 'X-Tenant' });
    await byHeader.http.get('/').set('X-Tenant', 'One').expect(200);
    await byHeader.http.get('/').set('X-Tenant', 'one').expect(429); // lower-cased like Mattermost
    await byHeader.http.get('/').set('X-Tenant', 'two').expect(200);

    const byUser = rig({ Enable: true, PerSec: 1, MaxBurst: 0, VaryByUser: true });
    await byUser.http.get('/').set('Authorization', 'Bearer aaaaaaaaaaaaaaaaaaaaaaaaaa').expect(200);
    await byUser.http.get('/').set('Authorization', 'Bearer aaaaaaaaaaaaaaaaaaaaaaaaaa').expect(429);
    await byUser.http.get('/').set('Authorization', 'Bearer bbbbbbbbbbbbbbbbbbbbbbbbbb').expect(200);
    await byUser.http.get('/').set('X-Client', 'c').expect(200); // no token: falls back to the address
    await byUser.http.get('/').set('X-Client', 'c').expect(429);

    const global = rig({ Enable: true, PerSec: 1, MaxBurst: 0, VaryByRemoteAddr: false });
    await global.http.get('/').set('X-Client', 'a').expect(200);
    await global.http.get('/').set('X-Client', 'b').expect(429);
  });

  it('follows live settings: enabling, changing or disabling takes effect on the next request', async () => {
    let settings: RateLimitSettings = { Enable: false };
    const r = rig(() => settings);
    await r.http.get('/').expect(200);
    settings = { Enable: true, PerSec: 1, MaxBurst: 0 };
    await r.http.get('/').expect(200);
    await r.http.get('/').expect(429);
    settings = { ...settings, MaxBurst: 5 }; // a new limiter: fresh buckets
    expect((await r.http.get('/').expect(200)).headers['x-ratelimit-limit']).to.equal('6');
    settings = { Enable: false };
    for (let i = 0; i < 10; i++) await r.http.get('/').expect(200);
  });

  it('ignores settings of the wrong type (a loosely typed config section) instead of failing', async () => {
    const r = rig({ Enable: true, PerSec: 'fast', MaxBurst: -3, MemoryStoreSize: null, VaryByHeader: 7 });
    const res = await r.http.get('/').expect(200);
    expect(res.headers['x-ratelimit-limit']).to.equal('101'); // defaults: PerSec 10, MaxBurst 100
  });

  describe('failed-authentication throttle', () => {
    const settings: RateLimitSettings = { Enable: true, PerSec: 0, FailedAuthMaxBurst: 3, FailedAuthPerMin: 6 };

    it('after FailedAuthMaxBurst 401s from one client, every request from it gets 429 + Retry-After until forgiven', async () => {
      const log = recordingLogger();
      const r = rig(settings, { logger: log });
      for (let i = 0; i < 10; i++) await r.http.get('/').set('X-Client', 'x').expect(200); // successes cost nothing
      await r.http.get('/').set('X-Client', 'x').set('X-Fail', '1').expect(401);
      await r.http.get('/').set('X-Client', 'x').set('X-Fail', 'throw').expect(401); // thrown 401s count too
      await r.http.get('/').set('X-Client', 'x').set('X-Fail', '1').set('Authorization', 'Bearer secretsecretsecretsecret01').expect(401);
      const calls = r.calls();
      const blocked = await r.http.get('/').set('X-Client', 'x');
      expect(blocked.status).to.equal(429);
      expect(blocked.body.id).to.equal('api.context.rate_limited.app_error');
      expect(blocked.headers['retry-after']).to.equal('10');
      await r.http.get('/').set('X-Client', 'x').set('X-Fail', '1').expect(429);
      expect(r.calls()).to.equal(calls); // nothing reached the handler
      await r.http.get('/').set('X-Client', 'other').expect(200); // other clients are unaffected
      r.advance(10_000);
      await r.http.get('/').set('X-Client', 'x').expect(200);
      await r.http.get('/').set('X-Client', 'x').set('X-Fail', '1').expect(401);
      await r.http.get('/').set('X-Client', 'x').expect(429);
      expect(log.text()).to.include('throttled').and.not.include('secretsecret');
    });

    it('concurrent failing attempts cannot exceed the burst', async () => {
      let arrived = 0;
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => { release = resolve; });
      let done = 0;
      const total = 12;
      const check = () => { if (arrived + done >= total) release(); };
      const r = rig(settings, {}, async (ctx) => {
        arrived += 1;
        check();
        await gate;
        ctx.status = 401;
      });
      const results = await Promise.all(Array.from({ length: total }, () => r.http.get('/').set('X-Client', 'y').then((res) => {
        if (res.status === 429) { done += 1; check(); }
        return res.status;
      })));
      expect(results.filter((s) => s === 401)).to.have.lengthOf(3);
      expect(results.filter((s) => s === 429)).to.have.lengthOf(total - 3);
      expect(arrived).to.equal(3);
    });

    it('FailedAuthMaxBurst 0 turns it off while the general limit stays on', async () => {
      const r = rig({ Enable: true, PerSec: 100, MaxBurst: 100, FailedAuthMaxBurst: 0 });
      for (let i = 0; i < 30; i++) await r.http.get('/').set('X-Fail', '1').expect(401);
    });
  });

  describe('GcraLimiter', () => {
    it('keeps at most capacity keys (LRU): a forgotten key starts with a full bucket', () => {
      const l = new GcraLimiter({ intervalMs: 1000, limit: 1, capacity: 3 });
      for (const key of ['a', 'b', 'c']) expect(l.take(key, 0).limited).to.equal(false);
      expect(l.take('a', 0).limited).to.equal(true);
      l.take('d', 0); // evicts the least recently stored key: 'a' (a refused take does not touch it)
      expect(l.size).to.equal(3);
      expect(l.take('b', 0).limited).to.equal(true);
      expect(l.take('a', 0).limited).to.equal(false);
      for (let i = 0; i < 10_000; i++) l.take(`k${i}`, 0);
      expect(l.size).to.equal(3);
    });

    it('refills at one unit per interval, peeks with quantity 0, refunds reservations', () => {
      const l = new GcraLimiter({ intervalMs: 100, limit: 2, capacity: 10 });
      expect(l.take('k', 0).remaining).to.equal(1);
      expect(l.take('k', 0).remaining).to.equal(0);
      const no = l.take('k', 0);
      expect(no).to.include({ limited: true, retryAfterMs: 100, resetAfterMs: 200 });
      expect(l.take('k', 50, 0).limited).to.equal(false);
      expect(l.take('k', 100).limited).to.equal(false);
      l.refund('k', 100);
      expect(l.take('k', 100).limited).to.equal(false);
      expect(l.take('k', 100).limited).to.equal(true);
    });
  });
});
