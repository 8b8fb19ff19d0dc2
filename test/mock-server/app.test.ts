import { expect } from 'chai';
import { request as httpRequest } from 'node:http';
import { startMockServer } from '../support/fast-seed-mock.js';
import { API, bearer, createPat, expectError, expectPermission, startTestMock, type TestMock } from './support/mock.js';

describe('mock server: app assembly, ping, logs', () => {
  let t: TestMock;
  beforeEach(async () => { t = await startTestMock({ developerMode: true, bodyLimit: 4096 }); });
  afterEach(async () => { await t.mock.close(); });

  it('GET /system/ping answers {"status":"OK"} without a session, with a request id and version header', async () => {
    const res = await t.http.get(`${API}/system/ping`);
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.equal('application/json');
    expect(res.body.status).to.equal('OK');
    expect(res.headers['x-request-id']).to.have.lengthOf(26);
    expect(res.headers['x-version-id']).to.be.a('string');
  });

  it('RateLimitSettings turned off and on again: off, no limit and no headers; on again, fresh buckets as if the limiter had seen every request', async () => {
    const limits = (Enable: boolean) => ({ ...t.mock.store.config, RateLimitSettings: { ...t.mock.store.config.RateLimitSettings, Enable, PerSec: 1, MaxBurst: 2 } });
    const ping = () => t.http.get(`${API}/system/ping`);
    await t.mock.store.commit([{ op: 'config', config: limits(true) }]);
    const on = [];
    for (let i = 0; i < 6; i++) on.push(await ping());
    expect(on[0]?.headers['x-ratelimit-limit']).to.equal('3');
    expect(on.map((r) => r.status)).to.include(429);
    await t.mock.store.commit([{ op: 'config', config: limits(false) }]);
    for (let i = 0; i < 6; i++) {
      const res = await ping();
      expect([res.status, res.headers['x-ratelimit-limit']]).to.deep.equal([200, undefined]);
    }
    await t.mock.store.commit([{ op: 'config', config: limits(true) }]);
    const again = await ping();
    expect([again.status, again.headers['x-ratelimit-limit'], again.headers['x-ratelimit-remaining']]).to.deep.equal([200, '3', '2']);
  });

  it('unknown routes and unknown methods on known paths answer Mattermost\'s 404 body', async () => {
    for (const [method, path] of [['get', `${API}/nope`], ['delete', `${API}/users/me/tokens`], ['patch', `${API}/system/ping`], ['get', '/elsewhere'], ['post', `${API}/users/tokens/x/y`]] as const) {
      const res = await t.http[method](path).set(bearer(t.admin));
      expectError(res, 404, 'api.context.404.app_error');
      expect(res.body.message).to.equal('Sorry, we could not find the page.');
    }
  });

  it('413 for a declared body length over the limit, never 500', async () => {
    const big = JSON.stringify({ description: 'x'.repeat(10_000) });
    const res = await t.http.post(`${API}/users/me/tokens`).set(bearer(t.admin)).set('Content-Type', 'application/json').send(big);
    expectError(res, 413, 'api.context.request_body_too_large.app_error');
  });

  it('413 for a chunked body that grows over the limit (no Content-Length)', async () => {
    const mock = await startMockServer({ port: 0, inMemory: true, bodyLimit: 4096 });
    try {
      const url = new URL(`${mock.url}${API}/users/login`);
      const result = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        for (let i = 0; i < 10; i++) req.write('x'.repeat(1000));
        req.end();
      });
      expect(result.status).to.equal(413);
      expect(JSON.parse(result.body).id).to.equal('api.context.request_body_too_large.app_error');
    } finally {
      await mock.close();
    }
  });

  it('malformed input gets 4xx: scalars, arrays, deep nesting, invalid UTF-8', async () => {
    const bodies = ['null', 'true', '"x"', '[[[[[[[[[[]]]]]]]]]]', '{"description":{"a":1}}', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])];
    for (const body of bodies) {
      const res = await t.http.post(`${API}/users/me/tokens`).set(bearer(t.admin)).set('Content-Type', 'application/json').send(body);
      expect(res.status, String(body)).to.equal(400);
    }
  });

  it('an unknown token is refused with 401 on session routes; PATs in the query string are refused with token_provided', async () => {
    const bad = await t.http.get(`${API}/users/me`).set(bearer('bbbbbbbbbbbbbbbbbbbbbbbbbb'));
    expectError(bad, 401, 'api.context.session_expired.app_error');
    expect(bad.headers['www-authenticate']).to.include('invalid_token');
    const pat = await createPat(t, t.admin);
    expectError(await t.http.get(`${API}/users/me?access_token=${pat.token}`), 401, 'api.context.token_provided.app_error');
  });

  it('GET /logs needs get_logs and returns JSON strings; refused tokens are logged by id and reason, never the secret', async () => {
    expectPermission(await t.http.get(`${API}/logs`).set(bearer(t.user)), 'get_logs');
    const pat = await createPat(t, t.admin);
    await t.http.post(`${API}/users/tokens/disable`).set(bearer(t.admin)).send({ token_id: pat.id }).expect(200);
    expect((await t.http.get(`${API}/users/me`).set(bearer(pat.token))).status).to.equal(401);
    await t.http.get(`${API}/users/me`).set(bearer('cccccccccccccccccccccccccc')).expect(401);
    const res = await t.http.get(`${API}/logs`).set(bearer(t.admin));
    expect(res.status).to.equal(200);
    expect(res.body).to.be.an('array');
    expect(res.body.every((l: unknown) => typeof l === 'string')).to.equal(true);
    const refused = (res.body as string[]).filter((l) => l.includes('token refused')).map((l) => JSON.parse(l) as Record<string, string>);
    expect(refused.map((r) => [r.reason, r.token_id])).to.deep.equal([['token_disabled', pat.id], ['unknown_token', '']]);
    expect(JSON.stringify(res.body)).not.to.include(pat.token).and.not.include('cccccccccccccccccccccccccc');
    const paged = await t.http.get(`${API}/logs?page=0&logs_per_page=2`).set(bearer(t.admin));
    expect(paged.body).to.have.lengthOf(2);
    expect(paged.body.at(-1)).to.equal((res.body as string[]).at(-1));
  });

  it('reset() goes back to the seed and drops cached sessions', async () => {
    const pat = await createPat(t, t.admin);
    expect((await t.http.get(`${API}/users/me`).set(bearer(pat.token))).status).to.equal(200);
    await t.mock.reset();
    expect(t.mock.store.count('tokens')).to.equal(0);
    expect((await t.http.get(`${API}/users/me`).set(bearer(pat.token))).status).to.equal(401);
    expect((await t.http.get(`${API}/users/me`).set(bearer(t.admin))).status).to.equal(401);
    expect(t.mock.seeded.sysadmin.username).to.equal('sysadmin');
  });
});
