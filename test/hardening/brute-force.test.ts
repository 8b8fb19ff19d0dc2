import { expect } from 'chai';
import request from 'supertest';
import { defaultSeed, type MockApp } from '../../mock-server/index.js';
import { createMockApp, startMockServer } from '../support/fast-seed-mock.js';
import type { SeedInput } from '../../mock-server/index.js';
import { hashingStats, resetHashingStats } from '../../mock-server/passwords.js';
import { login } from '../../mock-server/services/login.js';
import { prng } from '../support/prng.js';
import mattermostClient from '@mattermost/client';
import { connect as netConnect, type Socket } from 'node:net';
import type { MockServer } from '../../mock-server/index.js';

const { Client4 } = mattermostClient;

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
  afterEach(async () => { await (r as Rig | undefined)?.mock.close(); }); // close() is idempotent

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

    it('on: failed token attempts from one address are answered 429 + Retry-After once the burst is spent; a good token from it still passes', async () => {
      r = await rig({ RateLimitSettings: { Enable: true, PerSec: 1000, MaxBurst: 1000, FailedAuthMaxBurst: 5, FailedAuthPerMin: 6 } });
      const login = await r.http.post(`${API}/users/login`).send({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' }).expect(200);
      const good = String(login.headers.token);
      for (let i = 0; i < 20; i++) await r.http.get(`${API}/users/me`).set('Authorization', `Bearer ${good}`).expect(200); // successes are free
      for (let i = 0; i < 5; i++) {
        const res = await r.http.get(`${API}/users/me`).set('Authorization', `Bearer ${String(i).padStart(26, 'z')}`);
        expect(res.status).to.equal(401);
      }
      const res = await r.http.get(`${API}/users/me`).set('Authorization', `Bearer ${'y'.repeat(26)}`);
      expect(res.status).to.equal(429);
      expect(res.body.id).to.equal('api.context.rate_limited.app_error');
      expect(res.headers['retry-after']).to.equal('10');
      const me = await r.http.get(`${API}/users/me`).set('Authorization', `Bearer ${good}`);
      expect(me.status).to.equal(200);
      expect(me.body.username).to.equal('sysadmin');
      r.advance(10_000);
      await r.http.get(`${API}/users/me`).set('Authorization', `Bearer ${'x'.repeat(26)}`).expect(401);
    });

    it('on: wrong passwords count against the address and the login id; past the burst they are answered 429, the right password still logs in', async () => {
      r = await rig({ RateLimitSettings: { Enable: true, PerSec: 1000, MaxBurst: 1000, FailedAuthMaxBurst: 4, FailedAuthPerMin: 1 } });
      for (let i = 0; i < 4; i++) await r.http.post(`${API}/users/login`).send(loginBody(`bad-${i}`)).expect(401);
      const blocked = await r.http.post(`${API}/users/login`).send(loginBody('bad-5'));
      expect(blocked.status).to.equal(429);
      expect(blocked.headers['retry-after']).to.equal('60');
      expect(blocked.headers).not.to.have.property('token');
      // The login lockout, not the throttle, bounds the guesses one account gets (MaximumLoginAttempts).
      expect(r.mock.store.findOne('users', 'username', 'user-1')?.failed_attempts).to.equal(5);
      const right = await r.http.post(`${API}/users/login`).send(loginBody('SampleUs@r-1'));
      expect(right.status).to.equal(200);
      expect(right.headers.token).to.have.lengthOf(26);
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

  describe('throttles an attacker cannot turn against other users (real HTTP, Client4)', () => {
    let server: MockServer;
    const sockets: Socket[] = [];
    afterEach(async () => {
      for (const socket of sockets.splice(0)) socket.destroy();
      await server.close();
    });

    async function start(bodyMs?: number): Promise<{ admin: InstanceType<typeof Client4>; pat: InstanceType<typeof Client4> }> {
      const seed = defaultSeed();
      seed.config = { ...seed.config, ServiceSettings: { ...seed.config?.ServiceSettings, EnableUserAccessTokens: true }, RateLimitSettings: { Enable: true, PerSec: 1000, MaxBurst: 1000 } };
      server = await startMockServer({ port: 0, inMemory: true, seed, ...(bodyMs === undefined ? {} : { timeouts: { bodyMs } }) });
      const admin = new Client4();
      admin.setUrl(server.url);
      await admin.login('sysadmin', 'Sys@dmin-sample1');
      const created = await admin.createUserAccessToken(server.seeded.sysadmin.id, 'legit');
      const pat = new Client4();
      pat.setUrl(server.url);
      pat.setToken(created.token ?? '');
      return { admin, pat };
    }

    const badToken = (i: number) => fetch(`${server.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${String(i).padStart(26, 'q')}` } });

    it('25 bad tokens from one address: the 21st on get 429, but a user with a valid PAT and the admin turning the throttle off from that same address are served', async () => {
      const { admin, pat } = await start();
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) statuses.push((await badToken(i)).status);
      expect(statuses.slice(0, 20).every((st) => st === 401)).to.equal(true);
      expect(statuses.slice(20).every((st) => st === 429)).to.equal(true);
      expect((await pat.getMe()).username).to.equal('sysadmin');
      const patched = await admin.patchConfig({ RateLimitSettings: { Enable: false } } as never);
      expect((patched as { RateLimitSettings: { Enable: boolean } }).RateLimitSettings.Enable).to.equal(false);
      expect((await badToken(99)).status).to.equal(401);
    });

    it('21 unfinished uploads trigger nothing: while they hang, a bad token gets its 401 and a valid PAT its 200', async () => {
      const { pat } = await start();
      const { port } = new URL(server.url);
      await Promise.all(Array.from({ length: 21 }, () => new Promise<void>((resolve, reject) => {
        const socket = netConnect(Number(port), '127.0.0.1', () => {
          socket.write('POST /api/v4/users/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{"login_id":"user-1","pass');
          resolve();
        });
        socket.on('error', reject);
        sockets.push(socket);
      })));
      expect((await badToken(1)).status).to.equal(401);
      expect((await pat.getMe()).username).to.equal('sysadmin');
      for (let i = 2; i < 21; i++) expect((await badToken(i)).status).to.equal(401); // the whole burst is still there
      expect((await badToken(21)).status).to.equal(429);
      expect((await pat.getMe()).username).to.equal('sysadmin');
    });

    it('21 bodies that timed out (408) are not authentication failures: afterwards the whole burst of 20 is still there', async () => {
      const { pat } = await start(100);
      const { port } = new URL(server.url);
      const answers = await Promise.all(Array.from({ length: 21 }, () => new Promise<string>((resolve, reject) => {
        let text = '';
        const socket = netConnect(Number(port), '127.0.0.1', () => {
          socket.write('POST /api/v4/users/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{"login_id":"user-1","pass');
        });
        socket.on('data', (chunk) => { text += String(chunk); });
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
        sockets.push(socket);
      })));
      expect(answers.every((text) => text.startsWith('HTTP/1.1 408'))).to.equal(true);
      for (let i = 0; i < 20; i++) expect((await badToken(i)).status).to.equal(401);
      expect((await badToken(20)).status).to.equal(429);
      expect((await pat.getMe()).username).to.equal('sysadmin');
    });
  });
});
