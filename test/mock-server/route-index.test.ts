/**
 * The route index (mock-server/route-index.ts) answers exactly what `Router.match` answers: the
 * same layers, in the same order, for every registered route's path made concrete, in upper
 * case, with a trailing slash, with empty or extra segments, and for paths no route serves; also
 * for router middleware, a wildcard and a custom-option route (candidates for every path), and
 * after a route is added once the index was built. Its dispatch (`indexedRoutes`) leaves the
 * context as the router's own middleware does: params, captures, route path and name, the
 * matched layers, every matched layer's middleware in order, errors and 404s.
 */
import Router from '@koa/router';
import { expect } from 'chai';
import Koa from 'koa';
import request from 'supertest';
import type { MockApp } from '../../mock-server/index.js';
import { createMockApp } from '../support/fast-seed-mock.js';
import { indexedRoutes, indexRoutes } from '../../mock-server/route-index.js';

type Layer = Router['stack'][number];

/** Both routers' match of `path`, as comparable lists of stack positions. */
function both(linear: Router, indexed: Router, path: string, method: string): { linear: unknown; indexed: unknown } {
  const view = (router: Router) => {
    const r = router.match(path, method);
    const at = (l: Layer) => router.stack.indexOf(l);
    return { path: r.path.map(at), pathAndMethod: r.pathAndMethod.map(at), route: r.route };
  };
  return { linear: view(linear), indexed: view(indexed) };
}

function apiRouters(mock: MockApp): { linear: Router; indexed: Router } {
  const linear = new Router({ prefix: '/api/v4' });
  const indexed = new Router({ prefix: '/api/v4' });
  for (const register of mock.routes) {
    register(linear, mock.server);
    register(indexed, mock.server);
  }
  indexRoutes(indexed);
  return { linear, indexed };
}

/** Request paths derived from a route path: concrete, odd-cased, trailing slash, one segment more or less, an empty one. */
function variants(routePath: string): string[] {
  const concrete = routePath.replace(/:[A-Za-z_$][A-Za-z0-9_$]*/g, 'abcdefghijklmnopqrstuvwxyz');
  const me = routePath.replace(/:[A-Za-z_$][A-Za-z0-9_$]*/g, 'me');
  return [
    concrete, me, concrete.toUpperCase(), `${concrete}/`, `${concrete}//`, `${concrete}/extra`, concrete.replace(/\/[^/]+$/, ''),
    concrete.replace(/\/([^/]+)$/, '//$1'), concrete.replace(/^\/api\/v4/, '/API/V4'), `${concrete}?x=1`, concrete.replace(/e/g, '%65'),
  ];
}

describe('mock server: route index', () => {
  let mock: MockApp;
  before(async () => { mock = await createMockApp(); });
  after(async () => { await mock.close(); });

  it('matches every API route path (and its variants) exactly as Router.match, for every method', () => {
    const { linear, indexed } = apiRouters(mock);
    expect(linear.stack.length).to.be.greaterThan(100);
    const paths = new Set<string>(['/', '', '/api/v4', '/api/v4/', '/api', '/nothing/here', '/api/v4/users/me', '/api/v4/USERS/ME', '/api/v4/users/me/']);
    for (const layer of linear.stack) for (const p of variants(String(layer.path))) paths.add(p);
    let compared = 0;
    let matched = 0;
    for (const path of paths) {
      for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'get']) {
        const r = both(linear, indexed, path, method);
        expect(r.indexed, `${method} ${path}`).to.deep.equal(r.linear);
        compared++;
        if ((r.linear as { route: boolean }).route) matched++;
      }
    }
    // The comparison covered real matches, not only misses.
    expect(matched).to.be.greaterThan(200);
    expect(compared).to.be.greaterThan(5000);
    // Asked twice (remembered candidates), the answers stay the same.
    for (const path of ['/api/v4/users/me', '/api/v4/posts', '/api/v4/users/abc/tokens']) {
      const r = both(linear, indexed, path, 'GET');
      expect(r.indexed).to.deep.equal(r.linear);
    }
  });

  it('router middleware, wildcards, optional parts and custom options are tried for every path, in order', () => {
    const build = () => {
      const router = new Router({ prefix: '/api/v4' });
      const noop = () => undefined;
      router.get('/users/:user_id', noop);
      router.use(noop);
      router.use('/users', noop);
      router.get('/files/*rest', noop);
      router.get('/emoji{/:name}', noop);
      router.get('/Teams/:id', noop);
      router.register('/teams/:id', ['GET'], noop, { sensitive: true });
      router.register('/strict/', ['GET'], noop, { strict: true });
      router.get(/^\/api\/v4\/re(gexp)?$/, noop);
      router.get('/users/me', noop);
      return router;
    };
    const linear = build();
    const indexed = build();
    indexRoutes(indexed);
    const paths = [
      '/api/v4/users/me', '/api/v4/users/x', '/api/v4/users', '/api/v4/users/', '/api/v4/files/a/b/c', '/api/v4/files', '/api/v4/emoji',
      '/api/v4/emoji/smile', '/api/v4/teams/1', '/api/v4/Teams/1', '/api/v4/TEAMS/1', '/api/v4/strict/', '/api/v4/strict', '/api/v4/re',
      '/api/v4/regexp', '/other',
    ];
    for (const path of paths) {
      for (const method of ['GET', 'POST']) {
        const r = both(linear, indexed, path, method);
        expect(r.indexed, `${method} ${path}`).to.deep.equal(r.linear);
      }
    }
  });

  it('a route registered after the index was built is matched too', () => {
    const router = new Router();
    router.get('/a/:id', () => undefined);
    indexRoutes(router);
    expect(router.match('/b/1', 'GET').route).to.equal(false);
    router.get('/b/:id', () => undefined);
    expect(router.match('/b/1', 'GET').route).to.equal(true);
    expect(router.match('/a/1', 'GET').pathAndMethod.map((l) => l.path)).to.deep.equal(['/a/:id']);
  });
});

describe('mock server: indexed route dispatch', () => {
  /** An app whose routes record what the router left on the context; `indexed` picks the dispatch. */
  function app(indexed: boolean): Koa {
    const router = new Router({ prefix: '/api/v4' });
    const seen = (ctx: Koa.Context, label: string) => {
      const c = ctx as Koa.Context & Record<string, unknown>;
      const trail = (c.state.trail ??= []) as unknown[];
      trail.push({
        label, params: { ...(c.params as object) }, requestParams: { ...((c.request as { params?: object }).params ?? {}) },
        captures: c.captures, routerPath: c.routerPath, routerName: c.routerName, matchedRoute: c._matchedRoute,
        matchedRouteName: c._matchedRouteName, routeMatched: c.routeMatched, isRouter: c.router === router,
        matched: (c.matched as { path: string }[]).map((l) => l.path),
      });
    };
    router.get('first', '/things/:a', async (ctx, next) => { seen(ctx, 'first'); await next(); seen(ctx, 'first after'); });
    router.get('/things/:b', (ctx, next) => { seen(ctx, 'second'); return next(); }, (ctx) => { seen(ctx, 'third'); ctx.body = ctx.state.trail; });
    router.post('/things/:a', () => { throw Object.assign(new Error('boom'), { status: 418, expose: true }); });
    router.put('/things/:a', async () => { await Promise.resolve(); throw Object.assign(new Error('later'), { status: 409, expose: true }); });
    router.get('/users/me', (ctx) => { seen(ctx, 'me'); ctx.body = ctx.state.trail; });
    router.get('/users/:user_id', (ctx) => { seen(ctx, 'user'); ctx.body = ctx.state.trail; });
    const koa = new Koa();
    koa.silent = true;
    koa.use(indexed ? indexedRoutes(router) : router.routes());
    koa.use((ctx) => { ctx.status = 404; ctx.body = { fellThrough: true, matched: ((ctx as unknown as { matched?: { path: string }[] }).matched ?? []).map((l) => l.path) }; });
    return koa;
  }

  it('answers every request exactly as router.routes() does', async () => {
    const [own, indexed] = [app(false), app(true)];
    const cases: [string, string][] = [
      ['GET', '/api/v4/things/x%20y'], ['GET', '/api/v4/THINGS/abc/'], ['GET', '/api/v4/users/me'], ['GET', '/api/v4/users/u1'],
      ['HEAD', '/api/v4/users/u1'], ['POST', '/api/v4/things/x'], ['PUT', '/api/v4/things/x'], ['DELETE', '/api/v4/things/x'],
      ['GET', '/api/v4/nothing'], ['GET', '/elsewhere'], ['GET', '/api/v4/things/a/b'],
    ];
    let routed = 0;
    for (const [method, path] of cases) {
      const call = (koa: Koa) => request(koa.callback())[method.toLowerCase() as 'get'](path);
      const [a, b] = [await call(own), await call(indexed)];
      expect([b.status, b.text], `${method} ${path}`).to.deep.equal([a.status, a.text]);
      if (a.status === 200 && method === 'GET') routed++;
    }
    expect(routed).to.equal(4);
    // What was compared: both layers of /things/:a|:b ran in order, each with its own params.
    const things = await request(indexed.callback()).get('/api/v4/things/x%20y');
    expect((things.body as { label: string; params: object; routerPath: string }[]).map((t) => [t.label, t.params, t.routerPath])).to.deep.equal([
      ['first', { a: 'x y' }, '/api/v4/things/:a'], ['second', { a: 'x y', b: 'x y' }, '/api/v4/things/:b'], ['third', { a: 'x y', b: 'x y' }, '/api/v4/things/:b'],
      ['first after', { a: 'x y', b: 'x y' }, '/api/v4/things/:b'],
    ]);
  });
});
