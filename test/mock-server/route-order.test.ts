/**
 * Route order: every literal GET/POST path under `/users` is registered before any `:param`
 * route that could catch it (the bug where `GET /users/autocomplete` reached `/users/:user_id` and
 * answered 400). Enumerated from the router itself, so a route added later is checked too. Also
 * the catch-list of routes the mock does not emulate: 501 naming the route and one log line,
 * while an unknown path keeps Mattermost's 404.
 */
import Router from '@koa/router';
import { expect } from 'chai';
import { routeModules } from '../../mock-server/routes/index.js';
import { NOT_EMULATED } from '../../mock-server/routes/not-emulated.js';
import { raw, startClientMock, type ClientMock } from './support/client4.js';

/** A concrete URL for a route path: each `:param` replaced by a sample id. */
const concrete = (path: string): string => path.replace(/:[a-z_]+/g, 'abcdefghijklmnopqrstuvwxyz');

describe('mock server: route order and routes not emulated', () => {
  let t: ClientMock;
  before(async () => { t = await startClientMock(); });
  after(async () => { await t.close(); });

  it('no literal GET/POST/PUT/DELETE path anywhere reaches a :param handler first', () => {
    const router = new Router({ prefix: '/api/v4' });
    for (const register of routeModules()) register(router, t.mock.server);
    const pathOf = (layer: { path: string | RegExp }): string => String(layer.path);
    const offenders: string[] = [];
    for (const layer of router.stack) {
      const segments = pathOf(layer).split('/');
      for (const method of layer.methods.filter((m) => ['GET', 'POST', 'PUT', 'DELETE'].includes(m))) {
        const first = router.match(concrete(pathOf(layer)), method).pathAndMethod.find((l) => l.methods.length > 0);
        if (first === undefined || first === layer) continue;
        const catches = pathOf(first).split('/').some((segment, i) => segment.startsWith(':') && segments[i] !== undefined && !segments[i].startsWith(':'));
        if (catches) offenders.push(`${method} ${pathOf(layer)} → ${pathOf(first)}`);
      }
    }
    expect(offenders).to.deep.equal([]);
  });

  it('no literal GET/POST path under /users reaches a :param handler first', () => {
    const router = new Router({ prefix: '/api/v4' });
    for (const register of routeModules()) register(router, t.mock.server);
    const pathOf = (layer: { path: string | RegExp }): string => String(layer.path);
    const literal = router.stack.filter((layer) => /^\/api\/v4\/users\/[a-z_]/.test(pathOf(layer))
      && (layer.methods.includes('GET') || layer.methods.includes('POST')));
    expect(literal.map(pathOf)).to.include.members(['/api/v4/users/autocomplete', '/api/v4/users/search', '/api/v4/users/ids', '/api/v4/users/usernames', '/api/v4/users/tokens', '/api/v4/users/status/ids', '/api/v4/users/email/:email']);
    const offenders: string[] = [];
    for (const layer of literal) {
      const segments = pathOf(layer).split('/');
      for (const method of layer.methods.filter((m) => m === 'GET' || m === 'POST')) {
        const first = router.match(concrete(pathOf(layer)), method).pathAndMethod.find((l) => l.methods.length > 0);
        if (first === undefined) continue;
        // the first handler may be another route, but never one with a parameter where this path has a literal segment
        const catches = pathOf(first).split('/').some((segment, i) => segment.startsWith(':') && segments[i] !== undefined && !segments[i].startsWith(':'));
        if (catches) offenders.push(`${method} ${pathOf(layer)} → ${pathOf(first)}`);
      }
    }
    expect(offenders).to.deep.equal([]);
  });

  it('GET /users/autocomplete, POST /users/search, /users/ids and /users/usernames answer their own handler over HTTP', async () => {
    const token = t.user.getToken();
    const auto = await raw(t.url, 'GET', '/users/autocomplete?name=user', token);
    expect(auto.status).to.equal(200);
    expect(auto.body).to.have.property('users');
    expect((await raw(t.url, 'POST', '/users/search', token, '{"term":"user"}')).status).to.equal(200);
    expect((await raw(t.url, 'POST', '/users/ids', token, JSON.stringify([t.userId]))).status).to.equal(200);
    expect((await raw(t.url, 'POST', '/users/usernames', token, '["user-1"]')).status).to.equal(200);
    expect((await raw(t.url, 'GET', '/users/me', token)).body.id).to.equal(t.userId);
  });

  it('a route not emulated answers 501 api.mock.not_emulated.app_error naming it, and logs one line; an unknown path is 404', async () => {
    const token = t.user.getToken();
    const before = t.mock.logs.lines(0, 10_000).length;
    const res = await raw(t.url, 'GET', `/users/${t.userId}/image`, token);
    expect([res.status, res.body.id, res.body.detailed_error]).to.deep.equal([501, 'api.mock.not_emulated.app_error', 'GET /api/v4/users/{user_id}/image']);
    const lines = t.mock.logs.lines(0, 10_000).slice(before).filter((l) => l.includes('route not emulated'));
    expect(lines).to.have.lengthOf(1);
    expect(lines[0]).to.include('GET /api/v4/users/{user_id}/image');
    const pin = await raw(t.url, 'POST', `/posts/${t.userId}/pin`, token);
    expect([pin.status, pin.body.id]).to.deep.equal([501, 'api.mock.not_emulated.app_error']);
    const unknown = await raw(t.url, 'GET', '/users/me/no-such-thing', token);
    expect([unknown.status, unknown.body.id]).to.deep.equal([404, 'api.context.404.app_error']);
    // every catch-list entry is reachable (no implemented route shadows it, none is implemented too)
    for (const [method, path] of NOT_EMULATED) {
      const answer = await raw(t.url, method.toUpperCase(), concrete(path), token, method === 'get' ? undefined : '{}');
      expect([answer.status, answer.body.id], `${method} ${path}`).to.deep.equal([501, 'api.mock.not_emulated.app_error']);
    }
  });
});
