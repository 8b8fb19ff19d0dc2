/**
 * The mock-only test controls under /__mock/ (off by default), driven over real HTTP as a suite
 * in another language would: reset to the seed, and a clock whose jump makes a token's
 * `expires_at` pass (the token is then refused, as Mattermost refuses an expired one).
 */
import { expect } from 'chai';
import type { MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';

const post = (url: string, body?: unknown) => fetch(url, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) });

async function adminToken(mock: MockServer): Promise<string> {
  const res = await post(`${mock.url}/api/v4/users/login`, { login_id: mock.seeded.sysadmin.username, password: mock.seeded.sysadmin.password });
  expect(res.status).to.equal(200);
  return res.headers.get('Token') ?? '';
}

describe('mock server: test controls (/__mock/)', () => {
  let mock: MockServer | undefined;
  afterEach(async () => { await mock?.close(); mock = undefined; });

  it('are off by default: /__mock/reset and /__mock/clock answer the generic 404 and change nothing', async () => {
    mock = await startMockServer({ port: 0 });
    for (const [method, path] of [['POST', '/__mock/reset'], ['GET', '/__mock/clock'], ['POST', '/__mock/clock/advance']] as const) {
      const res = await fetch(`${mock.url}${path}`, { method, body: method === 'POST' ? '{"ms":1000}' : undefined });
      expect(res.status, path).to.equal(404);
      expect(((await res.json()) as { id: string }).id).to.equal('api.context.404.app_error');
    }
    expect(mock.clock.offsetMs).to.equal(0);
  });

  it('POST /__mock/reset: back to the seed (a created user is gone, old sessions refused, seeded logins work)', async () => {
    mock = await startMockServer({ port: 0, testControls: true });
    const token = await adminToken(mock);
    const auth = { Authorization: `Bearer ${token}` };
    const created = await fetch(`${mock.url}/api/v4/users`, { method: 'POST', headers: auth, body: JSON.stringify({ username: 'temp-user', email: 'temp@example.com', password: 'Passw0rd!x' }) });
    expect(created.status).to.equal(201);
    expect((await fetch(`${mock.url}/api/v4/users/username/temp-user`, { headers: auth })).status).to.equal(200);

    const reset = await post(`${mock.url}/__mock/reset`);
    expect(reset.status).to.equal(200);
    expect(await reset.json()).to.deep.equal({ status: 'OK' });
    expect((await fetch(`${mock.url}/api/v4/users/me`, { headers: auth })).status).to.equal(401);
    const fresh = { Authorization: `Bearer ${await adminToken(mock)}` };
    const gone = await fetch(`${mock.url}/api/v4/users/username/temp-user`, { headers: fresh });
    expect(gone.status).to.equal(404);
  });

  it('the clock drives token expiry: a PAT with expires_at in an hour works, then after advancing 61 min is refused (401)', async () => {
    mock = await startMockServer({ port: 0, testControls: true, now: () => 1_800_000_000_000 });
    const auth = { Authorization: `Bearer ${await adminToken(mock)}` };
    const start = (await (await fetch(`${mock.url}/__mock/clock`)).json()) as { now: number; offset_ms: number };
    expect(start).to.deep.equal({ now: 1_800_000_000_000, offset_ms: 0 });
    const created = await fetch(`${mock.url}/api/v4/users/${mock.seeded.user1.id}/tokens`, {
      method: 'POST', headers: auth, body: JSON.stringify({ description: 'expiring', expires_at: start.now + 3_600_000 }),
    });
    expect(created.status).to.equal(200);
    const pat = (await created.json()) as { token: string; expires_at: number };
    expect(pat.expires_at).to.equal(start.now + 3_600_000);
    const bearer = { Authorization: `Bearer ${pat.token}` };
    expect((await fetch(`${mock.url}/api/v4/users/me`, { headers: bearer })).status).to.equal(200);

    const moved = await post(`${mock.url}/__mock/clock/advance`, { ms: 61 * 60_000 });
    expect(moved.status).to.equal(200);
    expect(await moved.json()).to.deep.equal({ now: start.now + 61 * 60_000, offset_ms: 61 * 60_000 });
    const refused = await fetch(`${mock.url}/api/v4/users/me`, { headers: bearer });
    expect(refused.status).to.equal(401);
    expect(((await refused.json()) as { id: string }).id).to.equal('api.context.session_expired.app_error');

    // Reset puts the clock back too: the seed's world, at the base time.
    expect((await post(`${mock.url}/__mock/reset`)).status).to.equal(200);
    expect(((await (await fetch(`${mock.url}/__mock/clock`)).json()) as { offset_ms: number }).offset_ms).to.equal(0);
  });

  it('bad advance bodies: 400 invalid_body_param naming ms, the clock unchanged', async () => {
    mock = await startMockServer({ port: 0, testControls: true });
    for (const body of [undefined, { ms: -1 }, { ms: 1.5 }, { ms: '1000' }, [], { ms: Number.MAX_SAFE_INTEGER + 2 }]) {
      const res = await post(`${mock.url}/__mock/clock/advance`, body);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      const err = (await res.json()) as { id: string; message: string };
      expect(err.id).to.equal('api.context.invalid_body_param.app_error');
      expect(err.message).to.include('ms');
    }
    expect(mock.clock.offsetMs).to.equal(0);
  });
});
