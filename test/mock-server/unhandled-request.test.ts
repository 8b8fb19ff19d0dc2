/**
 * Requests no route serves: Mattermost's generic 404 (the same body as a wrong path), and one log
 * line naming the method and path (msw's onUnhandledRequest), in the log buffer even without
 * --log; 'error' answers 501 with an error line; 'off' keeps the 404 alone.
 */
import { expect } from 'chai';
import request from 'supertest';
import type { MockApp } from '../../mock-server/index.js';
import { createMockApp } from '../support/fast-seed-mock.js';

const lines = (mock: MockApp) => mock.logs.lines().map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'unhandled request');

describe('mock server: unhandled requests', () => {
  let mock: MockApp | undefined;
  afterEach(async () => { await mock?.close(); mock = undefined; });

  it("default 'warn': the generic 404 body, and one warn line {method, path, request_id} without the query string", async () => {
    mock = await createMockApp();
    const res = await request(mock.app.callback()).patch('/api/v4/emoji/search?access_token=do-not-log-me').send({});
    expect(res.status).to.equal(404);
    expect(res.body).to.include({ id: 'api.context.404.app_error', status_code: 404 });
    const logged = lines(mock);
    expect(logged).to.have.lengthOf(1);
    expect(logged[0]).to.include({ level: 'warn', method: 'PATCH', path: '/api/v4/emoji/search', request_id: res.body.request_id });
    expect(JSON.stringify(logged[0])).to.not.include('do-not-log-me');
    // Outside /api/v4 too: every unknown path.
    expect((await request(mock.app.callback()).get('/nowhere')).status).to.equal(404);
    expect(lines(mock).map((l) => l.path)).to.deep.equal(['/api/v4/emoji/search', '/nowhere']);
  });

  it('a served route logs nothing of the kind', async () => {
    mock = await createMockApp();
    expect((await request(mock.app.callback()).get('/api/v4/system/ping')).status).to.equal(200);
    expect(lines(mock)).to.deep.equal([]);
  });

  it("'error': 501 api.mock.unhandled_request.app_error and an error line", async () => {
    mock = await createMockApp({ onUnhandledRequest: 'error', developerMode: true });
    const res = await request(mock.app.callback()).get('/api/v4/users/me/nonsense');
    expect(res.status).to.equal(501);
    expect(res.body).to.include({ id: 'api.mock.unhandled_request.app_error', status_code: 501, detailed_error: 'GET /api/v4/users/me/nonsense' });
    expect(lines(mock).map((l) => l.level)).to.deep.equal(['error']);
  });

  it("'off': the 404 and no line", async () => {
    mock = await createMockApp({ onUnhandledRequest: 'off' });
    const res = await request(mock.app.callback()).get('/api/v4/nonsense');
    expect([res.status, res.body.id]).to.deep.equal([404, 'api.context.404.app_error']);
    expect(lines(mock)).to.deep.equal([]);
  });
});
