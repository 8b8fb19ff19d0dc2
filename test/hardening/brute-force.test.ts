import { expect } from 'chai';
import request from 'supertest';
import { createMockApp, defaultSeed, type MockApp } from '../../mock-server/index.js';
import type { SeedInput } from '../../mock-server/index.js';
import { hashingStats, resetHashingStats } from '../../mock-server/passwords.js';
import { login } from '../../mock-server/services/login.js';
import { prng } from '../support/prng.js';

const API = '/api/v4';

interface Rig {
  mock: MockApp;
  http: ReturnType<typeof request>;
  advance: (ms: number) => void;
}

/** An in-memory mock with a manual clock and `config` merged into the default seed's config. */
async function rig(config: Record<string, Record<string, unknown>> = {}): Promise<Rig> {
  let clock = Date.now();
  const seed: SeedInput = defaultSeed();
  seed.config = { ...seed.config, ...config, ServiceSettings: { ...seed.config?.ServiceSettings, ...config.ServiceSettings } };
  const mock = await createMockApp({ inMemory: true, seed, now: () => clock });
  return { mock, http: request(mock.app.callback()), advance: (ms) => { clock += ms; } };
}

const loginBody = (password: string) => ({ login_id: 'user-1', password });

describe('hardening: brute force', function () {
  this.timeout(30_000);
  let r: Rig;
  afterEach(async () => { await r.mock.close(); });

  describe('login lockout (ServiceSettings.MaximumLoginAttempts)', () => {
    it('after MaximumLoginAttempts wrong passwords even the right one is refused with too_many; other accounts are unaffected', async () => {
      r = await rig({ ServiceSettings: { MaximumLoginAttempts: 3 } });
      for (let i = 0; i < 3; i++) {
        const res = await r.http.post(`${API}/users/login`).send(loginBody(`wrong-${i}`));
        expect(res.status).to.equal(401);
        expect(res.body.id).to.equal('api.user.login.invalid_credentials_email_username');
      }
      const locked = await r.http.post(`${API}/users/login`).send(loginBody('SampleUs@r-1'));
      expect(locked.status).to.equal(401);
      expect(locked.body.id).to.equal('api.user.check_user_login_attempts.too_many.app_error');
      expect(locked.headers).not.to.have.property('token');
      // Other accounts are not affected.
      expect((await r.http.post(`${API}/users/login`).send({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' })).status).to.equal(200);
    });

    it('the default (10, as Mattermost) holds under 25 concurrent wrong attempts: the account ends locked', async () => {
      r = await rig();
      const results = await Promise.all(Array.from({ length: 25 }, (_, i) => r.http.post(`${API}/users/login`).send(loginBody(`guess-${i}`))));
      expect(results.every((res) => res.status === 401)).to.equal(true);
      const user = r.mock.store.findOne('users', 'username', 'user-1');
      expect(user?.failed_attempts).to.be.at.least(10);
      const locked = await r.http.post(`${API}/users/login`).send(loginBody('SampleUs@r-1'));
      expect(locked.body.id).to.equal('api.user.check_user_login_attempts.too_many.app_error');
    });

    it('50 concurrent guesses with the right password at a seeded random position: at most N are checked; the right one gets in only if checked under the limit', async () => {
      const N = 10;
      const random = prng(20261201);
      for (let round = 0; round < 6; round++) {
        r = await rig({ ServiceSettings: { MaximumLoginAttempts: N } });
        // Rounds alternate between a position under the limit and one past it.
        const position = round % 2 === 0 ? Math.floor(random() * N) : N + Math.floor(random() * (50 - N));
        resetHashingStats();
        // All 50 enter login() in one tick, before any password check finishes: the harshest interleaving.
        const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => login(r.mock.server, loginBody(i === position ? 'SampleUs@r-1' : `guess-${i}`))
          .then(() => 'ok', (err: { id?: string }) => err.id ?? 'other')));
        const checked = outcomes.filter((o) => o === 'ok' || o === 'api.user.login.invalid_credentials_email_username').length;
        expect(checked, `round ${round}, position ${position}`).to.equal(N);
        expect(hashingStats().completed, 'scrypt runs').to.equal(N);
        expect(outcomes.filter((o) => o === 'api.user.check_user_login_attempts.too_many.app_error')).to.have.lengthOf(50 - N);
        const user = r.mock.store.findOne('users', 'username', 'user-1');
        const after = await r.http.post(`${API}/users/login`).send(loginBody('SampleUs@r-1'));
        if (position < N) {
          expect(outcomes[position]).to.equal('ok');
          expect(user?.failed_attempts).to.be.below(N);
          expect(after.status).to.equal(200);
        } else {
          // N wrong ones came first: the right password was refused without being checked, and the account is locked.
          expect(outcomes[position]).to.equal('api.user.check_user_login_attempts.too_many.app_error');
          expect(user?.failed_attempts).to.equal(N);
          expect(after.body.id).to.equal('api.user.check_user_login_attempts.too_many.app_error');
        }
        await r.mock.close();
      }
      r = await rig();
    });

    it('over HTTP: 50 concurrent wrong guesses check exactly N passwords, then the right one is refused', async () => {
      r = await rig({ ServiceSettings: { MaximumLoginAttempts: 10 } });
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => r.http.post(`${API}/users/login`).send(loginBody(`guess-${i}`))));
      expect(results.every((res) => res.status === 401)).to.equal(true);
      expect(results.filter((res) => res.body.id === 'api.user.login.invalid_credentials_email_username')).to.have.lengthOf(10);
      expect(results.filter((res) => res.body.id === 'api.user.check_user_login_attempts.too_many.app_error')).to.have.lengthOf(40);
      expect(r.mock.store.findOne('users', 'username', 'user-1')?.failed_attempts).to.equal(10);
      const locked = await r.http.post(`${API}/users/login`).send(loginBody('SampleUs@r-1'));
      expect(locked.body.id).to.equal('api.user.check_user_login_attempts.too_many.app_error');
      expect(locked.headers).not.to.have.property('token');
    });

    it('a successful login resets the counter', async () => {
      r = await rig({ ServiceSettings: { MaximumLoginAttempts: 3 } });
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 2; i++) await r.http.post(`${API}/users/login`).send(loginBody('nope')).expect(401);
        await r.http.post(`${API}/users/login`).send(loginBody('SampleUs@r-1')).expect(200);
      }
    });
  });

  describe('rate limits (RateLimitSettings)', () => {
    it('are off in the default seed: hundreds of rapid requests and bad tokens, no 429, no rate-limit headers', async () => {
      r = await rig();
      expect(r.mock.store.config.RateLimitSettings.Enable).to.equal(false);
      for (let i = 0; i < 150; i++) {
        const res = await r.http.get(`${API}/users/me`).set('Authorization', `Bearer ${String(i).padStart(26, 'x')}`);
        expect(res.status).to.equal(401);
        expect(res.headers).not.to.have.property('x-ratelimit-limit');
      }
    });

    it('on: MaxBurst+1 requests pass, then 429 with Retry-After and X-RateLimit-*; the rate refills with time', async () => {
      r = await rig({ RateLimitSettings: { Enable: true, PerSec: 2, MaxBurst: 4 } });
      for (let i = 0; i < 5; i++) {
        // Error answers carry the headers too (the first request is a 401).
        const res = await r.http.get(`${API}/${i === 0 ? 'users/me' : 'system/ping'}`).expect(i === 0 ? 401 : 200);
        expect(res.headers['x-ratelimit-limit']).to.equal('5');
        expect(res.headers['x-ratelimit-remaining']).to.equal(String(4 - i));
      }
      const limited = await r.http.post(`${API}/users/login`).send(loginBody('SampleUs@r-1'));
      expect(limited.status).to.equal(429);
      expect(limited.headers['content-type']).to.equal('application/json');
      expect(limited.body).to.include({ id: 'api.context.rate_limited.app_error', status_code: 429 });
      expect(limited.headers['retry-after']).to.equal('1');
      expect(limited.headers['x-ratelimit-remaining']).to.equal('0');
      expect(r.mock.store.findOne('users', 'username', 'user-1')?.failed_attempts).to.equal(0); // never reached the handler
      r.advance(500);
      await r.http.get(`${API}/system/ping`).expect(200);
      await r.http.get(`${API}/system/ping`).expect(429);
    });

    it('on: repeated failed token attempts from one client are throttled with 429 + Retry-After, even for a good token', async () => {
      r = await rig({ RateLimitSettings: { Enable: true, PerSec: 1000, MaxBurst: 1000, FailedAuthMaxBurst: 5, FailedAuthPerMin: 6 } });
      const login = await r.http.post(`${API}/users/login`).send({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' }).expect(200);
      const good = String(login.headers.token);
      for (let i = 0; i < 20; i++) await r.http.get(`${API}/users/me`).set('Authorization', `Bearer ${good}`).expect(200); // successes are free
      for (let i = 0; i < 5; i++) {
        const res = await r.http.get(`${API}/users/me`).set('Authorization', `Bearer ${String(i).padStart(26, 'z')}`);
        expect(res.status).to.equal(401);
      }
      for (const token of ['yyyyyyyyyyyyyyyyyyyyyyyyyy', good]) {
        const res = await r.http.get(`${API}/users/me`).set('Authorization', `Bearer ${token}`);
        expect(res.status).to.equal(429);
        expect(res.body.id).to.equal('api.context.rate_limited.app_error');
        expect(res.headers['retry-after']).to.equal('10');
      }
      r.advance(10_000);
      await r.http.get(`${API}/users/me`).set('Authorization', `Bearer ${good}`).expect(200);
    });

    it('on: wrong passwords count as failed attempts too, and the throttle stops guessing before the lockout counter moves', async () => {
      r = await rig({ RateLimitSettings: { Enable: true, PerSec: 1000, MaxBurst: 1000, FailedAuthMaxBurst: 4, FailedAuthPerMin: 1 } });
      for (let i = 0; i < 4; i++) await r.http.post(`${API}/users/login`).send(loginBody(`bad-${i}`)).expect(401);
      const blocked = await r.http.post(`${API}/users/login`).send(loginBody('bad-5'));
      expect(blocked.status).to.equal(429);
      expect(blocked.headers['retry-after']).to.equal('60');
      expect(r.mock.store.findOne('users', 'username', 'user-1')?.failed_attempts).to.equal(4);
      // Concurrent guesses cannot get past the burst either.
      r.advance(60_000);
      const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => r.http.post(`${API}/users/login`).send(loginBody(`c-${i}`))));
      expect(burst.filter((res) => res.status === 401)).to.have.lengthOf(1);
      expect(burst.filter((res) => res.status === 429)).to.have.lengthOf(9);
    });

    it('can be switched on and off at run time with PUT /config/patch', async () => {
      r = await rig();
      const login = await r.http.post(`${API}/users/login`).send({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' }).expect(200);
      const admin = { Authorization: `Bearer ${String(login.headers.token)}` };
      await r.http.put(`${API}/config/patch`).set(admin).send({ RateLimitSettings: { Enable: true, PerSec: 1, MaxBurst: 0 } }).expect(200);
      await r.http.get(`${API}/system/ping`).expect(200);
      await r.http.get(`${API}/system/ping`).expect(429);
      r.advance(2000);
      await r.http.put(`${API}/config/patch`).set(admin).send({ RateLimitSettings: { Enable: false } }).expect(200);
      for (let i = 0; i < 10; i++) await r.http.get(`${API}/system/ping`).expect(200);
      const bad = await r.http.put(`${API}/config/patch`).set(admin).send({ RateLimitSettings: { PerSec: 'fast' } });
      expect(bad.status).to.equal(400);
    });
  });
});
