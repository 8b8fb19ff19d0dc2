/**
 * CORS for browser integrations on another origin: off by default; with `cors: { origin }` the
 * listed origins get the CORS headers (preflight included) and the headers Client4 reads exposed,
 * other origins get none.
 */
import { expect } from 'chai';
import request from 'supertest';
import type { MockApp } from '../../mock-server/index.js';
import { createMockApp } from '../support/fast-seed-mock.js';

describe('mock server: CORS', () => {
  let mock: MockApp | undefined;
  afterEach(async () => { await mock?.close(); mock = undefined; });

  it('off by default: no Access-Control-* header, a preflight is not answered as one', async () => {
    mock = await createMockApp();
    const res = await request(mock.app.callback()).get('/api/v4/system/ping').set('Origin', 'http://localhost:5173');
    expect(res.status).to.equal(200);
    expect(res.headers['access-control-allow-origin']).to.equal(undefined);
    const pre = await request(mock.app.callback()).options('/api/v4/users/login')
      .set('Origin', 'http://localhost:5173').set('Access-Control-Request-Method', 'POST');
    expect(pre.headers['access-control-allow-methods']).to.equal(undefined);
  });

  it('a listed origin: preflight 204 with methods and headers; answers carry the origin and expose Token; errors too', async () => {
    mock = await createMockApp({ cors: { origin: ['http://localhost:5173'] } });
    const http = request(mock.app.callback());
    const pre = await http.options('/api/v4/users/login')
      .set('Origin', 'http://localhost:5173').set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(pre.status).to.equal(204);
    expect(pre.headers['access-control-allow-origin']).to.equal('http://localhost:5173');
    expect(pre.headers['access-control-allow-methods']).to.include('POST');
    expect(pre.headers['access-control-allow-headers']).to.equal('authorization,content-type');

    const login = await http.post('/api/v4/users/login').set('Origin', 'http://localhost:5173')
      .send({ login_id: mock.seeded.sysadmin.username, password: mock.seeded.sysadmin.password });
    expect(login.status).to.equal(200);
    expect(login.headers['access-control-allow-origin']).to.equal('http://localhost:5173');
    expect(login.headers['access-control-expose-headers']).to.include('Token');

    const refused = await http.get('/api/v4/users/me').set('Origin', 'http://localhost:5173');
    expect(refused.status).to.equal(401);
    expect(refused.headers['access-control-allow-origin']).to.equal('http://localhost:5173');
  });

  it('an origin not listed gets no CORS headers (the browser refuses), the answer is unchanged', async () => {
    mock = await createMockApp({ cors: { origin: 'http://localhost:5173' } });
    const res = await request(mock.app.callback()).get('/api/v4/system/ping').set('Origin', 'http://evil.test');
    expect(res.status).to.equal(200);
    expect(res.headers['access-control-allow-origin']).to.equal(undefined);
  });

  it("'*' allows any origin; credentials with '*' is refused at start", async () => {
    mock = await createMockApp({ cors: { origin: '*' } });
    const res = await request(mock.app.callback()).get('/api/v4/system/ping').set('Origin', 'http://anything.test');
    expect(res.headers['access-control-allow-origin']).to.equal('*');
    await mock.close();
    mock = undefined;
    let thrown: unknown;
    try {
      mock = await createMockApp({ cors: { origin: '*', credentials: true } });
    } catch (err) {
      thrown = err;
    }
    expect(String(thrown)).to.include('credentials cannot be used with origin "*"');
  });
});
