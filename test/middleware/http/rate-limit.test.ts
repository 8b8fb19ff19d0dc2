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
    const token = (c: string) => ({ Authorization: `Bearer ${c.repeat(26)}` });

    it('after FailedAuthMaxBurst 401s from one address, its further failures are answered 429 + Retry-After until forgiven; its successes pass', async () => {
      const log = recordingLogger();
      const r = rig(settings, { logger: log });
      for (let i = 0; i < 10; i++) await r.http.get('/').set('X-Client', 'x').expect(200); // successes cost nothing
      await r.http.get('/').set('X-Client', 'x').set('X-Fail', '1').expect(401);
      await r.http.get('/').set('X-Client', 'x').set('X-Fail', 'throw').expect(401); // thrown 401s count too
      await r.http.get('/').set('X-Client', 'x').set('X-Fail', '1').set('Authorization', 'Bearer secretsecretsecretsecret01').expect(401);
      const blocked = await r.http.get('/').set('X-Client', 'x').set('X-Fail', '1').set(token('k'));
      expect(blocked.status).to.equal(429);
      expect(Object.keys(blocked.body)).to.deep.equal(KEYS);
      expect(blocked.body.id).to.equal('api.context.rate_limited.app_error');
      expect(blocked.headers['retry-after']).to.equal('10');
      expect((await r.http.get('/').set('X-Client', 'x').set('X-Fail', 'throw')).status).to.equal(429);
      // A request that proves valid is not refused for the address's failures.
      await r.http.get('/').set('X-Client', 'x').set(token('g')).expect(200);
      await r.http.get('/').set('X-Client', 'x').expect(200);
      await r.http.get('/').set('X-Client', 'other').set('X-Fail', '1').expect(401); // other addresses are unaffected
      r.advance(10_000);
      await r.http.get('/').set('X-Client', 'x').set('X-Fail', '1').expect(401);
      await r.http.get('/').set('X-Client', 'x').set('X-Fail', '1').expect(429);
      expect(log.text()).to.include('throttled').and.not.include('secretsecret');
    });

    it('counts failures per token too: a token that failed FailedAuthMaxBurst times is refused before it is resolved, from any address', async () => {
      const r = rig(settings);
      for (const client of ['a', 'b', 'c']) await r.http.get('/').set('X-Client', client).set('X-Fail', '1').set(token('t')).expect(401);
      expect((await r.http.get('/').set('X-Client', 'd').set('X-Fail', '1').set(token('t'))).status).to.equal(429); // over: answered 429
      const calls = r.calls();
      const early = await r.http.get('/').set('X-Client', 'e').set(token('t'));
      expect(early.status).to.equal(429);
      expect(early.headers['retry-after']).to.equal('10');
      expect(r.calls(), 'refused before the handler ran').to.equal(calls);
      // Another token from the same fresh address is checked as usual.
      await r.http.get('/').set('X-Client', 'e').set(token('u')).expect(200);
      await r.http.get('/').set('X-Client', 'e').set('X-Fail', '1').set(token('v')).expect(401);
    });

    it('counts failures per login id (the login_id of a parsed body): over the burst its failures get 429, a right password still passes', async () => {
      // The mock's bodyReader leaves the parsed body on ctx.request.body before the limiter's post-check reads it.
      const app = new Koa();
      let clock = 0;
      app.use(errorBoundary());
      app.use(async (ctx, next) => {
        let raw = '';
        for await (const chunk of ctx.req) raw += String(chunk);
        (ctx.request as { body?: unknown }).body = raw === '' ? undefined : JSON.parse(raw) as unknown;
        await next();
      });
      app.use(rateLimit({ settings, now: () => clock, remoteAddress: (ctx) => ctx.get('X-Client') }));
      app.use((ctx) => {
        const body = (ctx.request as { body?: { password?: string } }).body;
        ctx.status = body?.password === 'right' ? 200 : 401;
        ctx.body = {};
      });
      const http = request(app.callback());
      const login = (client: string, loginId: string, password: string) => http.post('/').set('X-Client', client).send({ login_id: loginId, password });
      for (const client of ['a', 'b', 'c']) await login(client, 'Alice', 'wrong').expect(401);
      const over = await login('d', 'alice', 'wrong'); // same login id, lower-cased, from a fourth address
      expect(over.status).to.equal(429);
      expect(over.headers['retry-after']).to.equal('10');
      await login('d', 'alice', 'right').expect(200);
      await login('d', 'bob', 'wrong').expect(401);
      clock += 10_000;
      await login('e', 'alice', 'wrong').expect(401);
    });

    it('reserves nothing while a request runs: 25 slow requests in flight from one address cost nothing, failing ones are counted when they end', async () => {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => { release = resolve; });
      let arrived = 0;
      const r = rig(settings, {}, async (ctx) => {
        if (ctx.get('X-Slow') === '1') {
          arrived += 1;
          await gate;
        }
        ctx.status = ctx.get('X-Fail') === '1' ? 401 : 200;
        ctx.body = {};
      });
      const slow = Array.from({ length: 25 }, (_, i) => r.http.get('/').set('X-Client', 's').set('X-Slow', '1').set('X-Fail', i < 12 ? '1' : '0').then((res) => res.status));
      while (arrived < 25) await new Promise((resolve) => setImmediate(resolve));
      await r.http.get('/').set('X-Client', 's').expect(200);
      await r.http.get('/').set('X-Client', 's').set('X-Fail', '1').expect(401); // the bucket is still full
      release();
      const statuses = await Promise.all(slow);
      // 1 failure before them + 12 failing slow ones: 2 more fit the burst, the other 10 are answered 429.
      expect(statuses.filter((st) => st === 200)).to.have.lengthOf(13);
      expect(statuses.filter((st) => st === 401)).to.have.lengthOf(2);
      expect(statuses.filter((st) => st === 429)).to.have.lengthOf(10);
    });

    it('only 401s are failures: 408s, 413s and errors without a status (a body that timed out, an aborted upload) cost nothing', async () => {
      const r = rig(settings, {}, (ctx) => {
        const kind = ctx.get('X-Kind');
        if (kind === 'abort') throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
        ctx.status = kind === '408' ? 408 : kind === '413' ? 413 : ctx.get('X-Fail') === '1' ? 401 : 200;
        ctx.body = {};
      });
      for (let i = 0; i < 10; i++) {
        for (const kind of ['408', '413', 'abort']) expect((await r.http.get('/').set('X-Client', 'u').set('X-Kind', kind)).status).to.not.equal(429);
      }
      for (let i = 0; i < 3; i++) await r.http.get('/').set('X-Client', 'u').set('X-Fail', '1').expect(401);
      await r.http.get('/').set('X-Client', 'u').set('X-Fail', '1').expect(429);
    });

    it('concurrent failing attempts: all are checked, at most FailedAuthMaxBurst are answered 401, the rest 429', async () => {
      let arrived = 0;
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => { release = resolve; });
      const total = 12;
      const r = rig(settings, {}, async (ctx) => {
        arrived += 1;
        if (arrived === total) release();
        await gate;
        ctx.status = 401;
      });
      const results = await Promise.all(Array.from({ length: total }, () => r.http.get('/').set('X-Client', 'y').then((res) => res.status)));
      expect(results.filter((st) => st === 401)).to.have.lengthOf(3);
      expect(results.filter((st) => st === 429)).to.have.lengthOf(total - 3);
      expect(arrived).to.equal(total);
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
