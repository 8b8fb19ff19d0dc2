import { expect } from 'chai';
import Koa from 'koa';
import { authenticate } from '../../../middleware/auth/authenticate.js';
import { errorBoundary } from '../../../middleware/errors/error-boundary.js';
import { requestId } from '../../../middleware/http/request-id.js';
import { AppError } from '../../../middleware/errors/app-error.js';
import { createHookBus, type HookBus } from '../../../middleware/hooks/hook-bus.js';
import { newId } from '../../../middleware/util/ids.js';
import { remoteResolver, type RemoteResolver, type RemoteResolverOptions } from '../../../middleware/remote/remote-resolver.js';
import { AuthFailure } from '../../../middleware/auth/auth-failure.js';
import type { Logger } from '../../../middleware/logger.js';
import type { Principal } from '../../../middleware/types.js';
import { startFakeMattermost, type FakeMattermost, type FakeUser } from '../support/fake-mattermost.js';
import { listen, type Listening } from '../support/listen.js';
import { fakeClock, type FakeClock } from '../cache/fake-clock.js';

const ctx = { source: 'header-bearer' } as const;

/** Settle a resolve() call into a value or the error it threw/rejected with. */
async function attempt(resolver: RemoteResolver, token: string): Promise<Principal | Error> {
  try {
    return await resolver.resolve(token, ctx);
  } catch (err) {
    return err as Error;
  }
}

function memoryLogger(lines: string[]): Logger {
  const write = (level: string) => (msg: string, fields?: Record<string, unknown>) => { lines.push(JSON.stringify({ level, msg, ...fields })); };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}

describe('remoteResolver', () => {
  let upstream: FakeMattermost;
  let hooks: HookBus;
  let logs: string[];
  let alice: FakeUser;
  let aliceToken: string;
  let clock: number;
  const resolvers: RemoteResolver[] = [];

  const make = (options: Partial<RemoteResolverOptions> = {}) => {
    const r = remoteResolver({ url: upstream.url, hooks, logger: memoryLogger(logs), now: () => clock, ...options });
    resolvers.push(r);
    return r;
  };

  beforeEach(async () => {
    upstream = await startFakeMattermost();
    hooks = createHookBus();
    logs = [];
    clock = 1_000_000;
    alice = { id: newId(), username: 'alice', roles: 'system_user system_user_access_token' };
    aliceToken = newId();
    upstream.users.set(aliceToken, alice);
  });

  afterEach(async () => {
    for (const r of resolvers.splice(0)) r.close();
    await upstream.stop();
    for (const line of logs) expect(line).not.to.include(aliceToken);
  });

  it('resolves a working token to a principal and asks with a Bearer header on /api/v4/users/me', async () => {
    const resolver = make();
    const principal = await resolver.resolve(aliceToken, ctx);
    expect(principal).to.deep.equal({
      userId: alice.id, username: 'alice', roles: ['system_user', 'system_user_access_token'],
      sessionId: '', tokenId: undefined, isBot: false, kind: 'user_access_token',
    });
    expect(upstream.authHeaders).to.deep.equal([`Bearer ${aliceToken}`]);
  });

  it('marks bots from is_bot', async () => {
    const botToken = newId();
    upstream.users.set(botToken, { id: newId(), username: 'robot', roles: 'system_user', is_bot: true });
    const principal = await make().resolve(botToken, ctx);
    expect(principal.isBot).to.equal(true);
    expect(principal.roles).to.deep.equal(['system_user']);
  });

  it('caches a positive answer: the second resolve is synchronous and makes no upstream call', async () => {
    const resolver = make();
    await resolver.resolve(aliceToken, ctx);
    const second = resolver.resolve(aliceToken, ctx);
    expect(second).not.to.be.instanceOf(Promise);
    expect((second as Principal).userId).to.equal(alice.id);
    expect(upstream.calls).to.equal(1);
    expect(resolver.upstreamCalls).to.equal(1);
    expect(resolver.size).to.equal(1);
  });

  it('re-checks a positive answer after ttlMs', async () => {
    const resolver = make({ ttlMs: 30 });
    await resolver.resolve(aliceToken, ctx);
    clock += 29;
    expect(resolver.resolve(aliceToken, ctx)).not.to.be.instanceOf(Promise);
    clock += 1;
    upstream.users.delete(aliceToken);
    const err = await attempt(resolver, aliceToken);
    expect(err).to.be.instanceOf(AuthFailure);
    expect(upstream.calls).to.equal(2);
  });

  it('caches a refusal for negativeTtlMs only, then asks again', async () => {
    const resolver = make({ negativeTtlMs: 40 });
    const token = newId();
    const first = await attempt(resolver, token);
    expect(first).to.be.instanceOf(AuthFailure);
    expect((first as AuthFailure).reason).to.equal('upstream_rejected');
    const second = await attempt(resolver, token);
    expect((second as AuthFailure).reason).to.equal('upstream_rejected');
    expect(upstream.calls).to.equal(1);

    upstream.users.set(token, alice);
    clock += 39;
    expect(((await attempt(resolver, token)) as AuthFailure).reason).to.equal('upstream_rejected');
    expect(upstream.calls).to.equal(1);
    clock += 1;
    const third = await attempt(resolver, token);
    expect((third as Principal).userId).to.equal(alice.id);
    expect(upstream.calls).to.equal(2);
  });

  it('treats upstream 403 with a Mattermost error as a refusal', async () => {
    upstream.forceStatus = 403;
    const err = await attempt(make(), aliceToken);
    expect((err as AuthFailure).reason).to.equal('upstream_rejected');
  });

  it('shares one upstream call among 50 concurrent requests with the same token', async () => {
    const resolver = make();
    const release = upstream.hold();
    const all = Promise.all(Array.from({ length: 50 }, () => resolver.resolve(aliceToken, ctx)));
    await upstream.waitForCalls(1);
    release();
    const principals = await all;
    expect(principals.every((p) => p.userId === alice.id)).to.equal(true);
    expect(upstream.calls).to.equal(1);
  });

  it('makes at most one upstream call per token for 10k requests over 100 tokens', async () => {
    const tokens = Array.from({ length: 100 }, (_, i) => {
      const token = newId();
      upstream.users.set(token, { id: newId(), username: `user${i}`, roles: 'system_user' });
      return token;
    });
    const resolver = make();
    const results = await Promise.all(Array.from({ length: 10_000 }, (_, i) => resolver.resolve(tokens[i % 100], ctx)));
    expect(results).to.have.length(10_000);
    expect(results[150].username).to.equal('user50');
    expect(upstream.calls).to.equal(100);
    expect(resolver.size).to.equal(100);
  });

  it('answers 503 upstream_unavailable on upstream 500 and does not cache it', async () => {
    const resolver = make();
    upstream.forceStatus = 500;
    const err = await attempt(resolver, aliceToken);
    expect(err).to.be.instanceOf(AppError);
    expect((err as AppError).id).to.equal('api.context.upstream_unavailable.app_error');
    expect((err as AppError).status).to.equal(503);
    expect(resolver.size).to.equal(0);

    upstream.forceStatus = undefined;
    expect(((await attempt(resolver, aliceToken)) as Principal).userId).to.equal(alice.id);
    expect(upstream.calls).to.equal(2);
    expect(logs.some((l) => l.includes('upstream unavailable'))).to.equal(true);
  });

  it('answers 503 when the upstream is down, and the token works once it is back', async () => {
    const resolver = make();
    await upstream.stop();
    const err = await attempt(resolver, aliceToken);
    expect((err as AppError).id).to.equal('api.context.upstream_unavailable.app_error');
    await upstream.start();
    expect(((await attempt(resolver, aliceToken)) as Principal).userId).to.equal(alice.id);
  });

  it('keeps serving a positive entry within its TTL while the upstream is down', async () => {
    const resolver = make();
    await resolver.resolve(aliceToken, ctx);
    await upstream.stop();
    expect((resolver.resolve(aliceToken, ctx) as Principal).userId).to.equal(alice.id);
  });

  it('answers 503 on timeout and on a 200 that is not a user', async () => {
    const resolver = make({ timeoutMs: 50 });
    const release = upstream.hold();
    const err = await attempt(resolver, aliceToken);
    release();
    expect((err as AppError).status).to.equal(503);

    upstream.rawBody = '<html>proxy</html>';
    expect(((await attempt(resolver, aliceToken)) as AppError).id).to.equal('api.context.upstream_unavailable.app_error');
    upstream.rawBody = '{"message":"not a user"}';
    expect(((await attempt(resolver, aliceToken)) as AppError).id).to.equal('api.context.upstream_unavailable.app_error');
    expect(resolver.size).to.equal(0);
  });

  it('refuses a token that cannot be a header value without asking upstream', async () => {
    const err = await attempt(make(), 'bad token\r\nX-Injected: 1');
    expect((err as AuthFailure).reason).to.equal('unknown_token');
    expect(upstream.calls).to.equal(0);
  });

  for (const event of ['token.revoked', 'token.disabled', 'token.rotated'] as const) {
    it(`evicts the user's tokens on ${event}: the next request asks upstream and is refused`, async () => {
      const resolver = make();
      await resolver.resolve(aliceToken, ctx);
      upstream.users.delete(aliceToken);
      hooks.emit(event, { tokenId: newId(), userId: alice.id });
      expect(resolver.size).to.equal(0);
      const err = await attempt(resolver, aliceToken);
      expect((err as AuthFailure).reason).to.equal('upstream_rejected');
      expect(upstream.calls).to.equal(2);
    });
  }

  it('evicts on user.deactivated, user.roles_changed and session.revoked, and only that user', async () => {
    const bobToken = newId();
    const bob: FakeUser = { id: newId(), username: 'bob', roles: 'system_user' };
    upstream.users.set(bobToken, bob);
    const resolver = make();
    const emits: Array<() => void> = [
      () => hooks.emit('user.deactivated', { userId: alice.id }),
      () => hooks.emit('user.roles_changed', { userId: alice.id, roles: 'system_user' }),
      () => hooks.emit('session.revoked', { userId: alice.id, sessionId: newId() }),
    ];
    for (const emit of emits) {
      await resolver.resolve(aliceToken, ctx);
      await resolver.resolve(bobToken, ctx);
      expect(resolver.size).to.equal(2);
      emit();
      expect(resolver.size).to.equal(1);
      expect((resolver.resolve(bobToken, ctx) as Principal).userId).to.equal(bob.id);
    }
    expect(upstream.calls).to.equal(4);
  });

  it('picks up new roles after user.roles_changed', async () => {
    const resolver = make();
    expect((await resolver.resolve(aliceToken, ctx)).roles).to.include('system_user_access_token');
    upstream.users.set(aliceToken, { ...alice, roles: 'system_user' });
    hooks.emit('user.roles_changed', { userId: alice.id, roles: 'system_user' });
    expect((await resolver.resolve(aliceToken, ctx)).roles).to.deep.equal(['system_user']);
  });

  it('forgets refusals on token.enabled and user.activated, everything on config.changed', async () => {
    const resolver = make({ negativeTtlMs: 60_000 });
    upstream.users.delete(aliceToken);
    expect(await attempt(resolver, aliceToken)).to.be.instanceOf(AuthFailure);
    upstream.users.set(aliceToken, alice);
    hooks.emit('token.enabled', { tokenId: newId(), userId: alice.id });
    expect(((await attempt(resolver, aliceToken)) as Principal).userId).to.equal(alice.id);

    const other = newId();
    expect(await attempt(resolver, other)).to.be.instanceOf(AuthFailure);
    upstream.users.set(other, alice);
    hooks.emit('user.activated', { userId: alice.id });
    expect(((await attempt(resolver, other)) as Principal).userId).to.equal(alice.id);

    expect(resolver.size).to.equal(1);
    hooks.emit('config.changed', { keys: ['ServiceSettings.EnableUserAccessTokens'] });
    expect(resolver.size).to.equal(0);
  });

  it('does not cache an answer that was in flight when its user was evicted, and asks again', async () => {
    const resolver = make();
    const release = upstream.hold();
    const inflight = attempt(resolver, aliceToken);
    await upstream.waitForCalls(1);
    // The upstream decided "200" before the revocation; the revocation lands while it is in flight.
    upstream.users.delete(aliceToken);
    hooks.emit('token.revoked', { tokenId: newId(), userId: alice.id });
    // A request arriving now shares the flight, which asks again rather than answer the stale 200.
    const late = attempt(resolver, aliceToken);
    release();
    expect(((await inflight) as AuthFailure).reason).to.equal('upstream_rejected');
    expect(((await late) as AuthFailure).reason).to.equal('upstream_rejected');
    expect(upstream.calls).to.equal(2);
    expect(resolver.size).to.equal(1); // only the negative answer of the second call
    expect(resolver.refusals).to.equal(1);
    expect(((await attempt(resolver, aliceToken)) as AuthFailure).reason).to.equal('upstream_rejected');
    expect(upstream.calls).to.equal(2);
  });

  it('does not cache an in-flight answer across clear(): it asks again and caches the fresh one', async () => {
    const resolver = make();
    const release = upstream.hold();
    const inflight = resolver.resolve(aliceToken, ctx);
    await upstream.waitForCalls(1);
    upstream.users.set(aliceToken, { ...alice, roles: 'system_user' });
    resolver.clear();
    release();
    expect((await inflight).roles).to.deep.equal(['system_user']);
    expect(upstream.calls).to.equal(2);
    expect((resolver.resolve(aliceToken, ctx) as Principal).roles).to.deep.equal(['system_user']);
  });

  it('bounds the cache to maxEntries, evicting the oldest', async () => {
    const tokens = Array.from({ length: 5 }, (_, i) => {
      const token = newId();
      upstream.users.set(token, { id: newId(), username: `u${i}`, roles: 'system_user' });
      return token;
    });
    const resolver = make({ maxEntries: 3 });
    for (const token of tokens) await resolver.resolve(token, ctx);
    expect(resolver.size).to.equal(3);
    expect(resolver.resolve(tokens[4], ctx)).not.to.be.instanceOf(Promise);
    expect(resolver.resolve(tokens[0], ctx)).to.be.instanceOf(Promise);
  });

  it('evictUser() evicts by hand and close() stops listening to the bus', async () => {
    const resolver = make();
    await resolver.resolve(aliceToken, ctx);
    resolver.evictUser(alice.id);
    expect(resolver.size).to.equal(0);
    await resolver.resolve(aliceToken, ctx);
    resolver.close();
    hooks.emit('token.revoked', { tokenId: newId(), userId: alice.id });
    expect(resolver.size).to.equal(1);
  });
});

describe('remoteResolver: answers that are not Mattermost\'s are configuration errors', () => {
  let upstream: FakeMattermost;
  let lines: string[];
  let token: string;
  const resolvers: RemoteResolver[] = [];

  const make = (options: Partial<RemoteResolverOptions> = {}) => {
    const r = remoteResolver({ url: upstream.url, logger: memoryLogger(lines), ...options });
    resolvers.push(r);
    return r;
  };
  /** A fetch that answers every request with `response()`, recording what it was asked. */
  const answering = (response: () => Response, asked: Array<{ url: string; redirect?: RequestInit['redirect'] }> = []) =>
    (async (input: string | URL | Request, init?: RequestInit) => {
      asked.push({ url: String(input), redirect: init?.redirect });
      return response();
    }) as typeof fetch;
  const errorLines = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 'error');

  beforeEach(async () => {
    upstream = await startFakeMattermost();
    lines = [];
    token = newId();
    upstream.users.set(token, { id: newId(), username: 'alice', roles: 'system_user' });
  });

  afterEach(async () => {
    for (const r of resolvers.splice(0)) r.close();
    await upstream.stop();
    for (const line of lines) expect(line).not.to.include(token);
  });

  it('a base URL that already ends in /api/v4 (404 from /api/v4/api/v4/users/me): 503, logged at error with the URL, never cached', async () => {
    const resolver = make({ url: `${upstream.url}/api/v4` });
    for (let i = 1; i <= 2; i++) {
      const err = await attempt(resolver, token);
      expect(err).to.be.instanceOf(AppError);
      expect((err as AppError).id).to.equal('api.context.upstream_unavailable.app_error');
      expect((err as AppError).status).to.equal(503);
      expect(resolver.size).to.equal(0);
      expect(resolver.upstreamCalls).to.equal(i); // asked again: not cached as an invalid token
    }
    const logged = errorLines();
    expect(logged).to.have.length(2);
    expect(logged[0]?.url).to.equal(`${upstream.url}/api/v4/api/v4/users/me`);
    expect(String(logged[0]?.detail)).to.include('404');
    expect(String(logged[0]?.hint)).to.include('/api/v4');
  });

  it('an upstream 404 on the right URL is a configuration error too, not a refusal', async () => {
    upstream.forceStatus = 404;
    const err = await attempt(make({ negativeTtlMs: 60_000 }), token);
    expect((err as AppError).status).to.equal(503);
    expect(errorLines()).to.have.length(1);
  });

  it('a 401 or 403 that is not a Mattermost error (a proxy in between): 503 at error level, not a refusal', async () => {
    for (const status of [401, 403]) {
      const resolver = make({ fetch: answering(() => new Response('<html>Authorization Required</html>', { status, headers: { 'Content-Type': 'text/html' } })) });
      const err = await attempt(resolver, token);
      expect((err as AppError).id, String(status)).to.equal('api.context.upstream_unavailable.app_error');
      expect(resolver.size).to.equal(0);
    }
    expect(errorLines()).to.have.length(2);
  });

  it('a redirect is not followed (the token goes nowhere else) and is a configuration error', async () => {
    const asked: Array<{ url: string; redirect?: RequestInit['redirect'] }> = [];
    const resolver = make({ fetch: answering(() => new Response(null, { status: 301, headers: { Location: 'https://elsewhere.example/api/v4/users/me' } }), asked) });
    expect(((await attempt(resolver, token)) as AppError).status).to.equal(503);
    expect(asked).to.deep.equal([{ url: `${upstream.url}/api/v4/users/me`, redirect: 'manual' }]);
    expect(String(errorLines()[0]?.detail)).to.include('https://elsewhere.example');
  });

  it('other statuses and 200s without a Mattermost user are configuration errors; 5xx and 429 stay warnings', async () => {
    const cases: Array<[() => Response, 'error' | 'warn']> = [
      [() => new Response('{"id":"x"}', { status: 400 }), 'error'],
      [() => new Response(null, { status: 204 }), 'error'],
      [() => new Response('{"ok":true}', { status: 200 }), 'error'],
      [() => new Response('not json', { status: 200 }), 'error'],
      [() => new Response('{"id":"abc"}', { status: 200 }), 'error'],
      [() => new Response('busy', { status: 502 }), 'warn'],
      [() => new Response('{}', { status: 429 }), 'warn'],
    ];
    for (const [response, level] of cases) {
      lines.length = 0;
      const resolver = make({ fetch: answering(response) });
      const err = await attempt(resolver, token);
      expect((err as AppError).status).to.equal(503);
      expect(resolver.size).to.equal(0);
      const levels = lines.map((l) => (JSON.parse(l) as { level: string }).level);
      expect(levels, response().status.toString()).to.deep.equal([level]);
    }
  });

  it('answers 503 (not 401) through authenticate() when the URL is wrong', async () => {
    const koa = new Koa();
    koa.use(errorBoundary());
    koa.use(authenticate({ resolver: make({ url: `${upstream.url}/api/v4` }) }));
    koa.use((c) => { c.body = { ok: true }; });
    const app = await listen(koa);
    try {
      const res = await fetch(`${app.url}/things`, { headers: { Authorization: `Bearer ${token}` } });
      expect(res.status).to.equal(503);
      expect((await res.json() as Record<string, unknown>).id).to.equal('api.context.upstream_unavailable.app_error');
    } finally {
      await app.close();
    }
  });
});

describe('remoteResolver: revalidation and fail safe, on an injected clock', () => {
  let upstream: FakeMattermost;
  let clock: FakeClock;
  let alice: FakeUser;
  let aliceToken: string;
  let resolver: RemoteResolver;

  beforeEach(async () => {
    upstream = await startFakeMattermost();
    clock = fakeClock();
    alice = { id: newId(), username: 'alice', roles: 'system_user' };
    aliceToken = newId();
    upstream.users.set(aliceToken, alice);
    resolver = remoteResolver({ url: upstream.url, now: clock.now, setTimer: clock.setTimer, revalidateMs: 1_000, degradedTtlMs: 100 });
  });

  afterEach(async () => {
    resolver.close();
    await upstream.stop();
  });

  it('a token revoked upstream, with no event, is refused within revalidateMs; the re-check ran in the background', async () => {
    await resolver.resolve(aliceToken, ctx);
    upstream.users.delete(aliceToken);
    expect(resolver.resolve(aliceToken, ctx)).not.to.be.instanceOf(Promise);
    clock.advance(1_000);
    await resolver.revalidateDue();
    expect(upstream.calls).to.equal(2);
    // The refusal is cached: refused at once, without a call.
    expect(() => resolver.resolve(aliceToken, ctx)).to.throw(AuthFailure).with.property('reason', 'upstream_rejected');
    expect(upstream.calls).to.equal(2);
  });

  it('an upstream 503 during the re-check keeps the entry at most degradedTtlMs', async () => {
    await resolver.resolve(aliceToken, ctx);
    upstream.forceStatus = 503;
    clock.skip(899);
    clock.advance(0);
    await resolver.revalidateDue();
    expect(upstream.calls).to.equal(2);
    expect(resolver.resolve(aliceToken, ctx)).not.to.be.instanceOf(Promise);
    clock.skip(100);
    expect(((await attempt(resolver, aliceToken)) as AppError).status).to.equal(503);
  });

  it('degrade() drops the cache and shortens lives until recover(), which drops what the gap cached', async () => {
    await resolver.resolve(aliceToken, ctx);
    resolver.degrade('websocket');
    expect(resolver.size).to.equal(0);
    await resolver.resolve(aliceToken, ctx);
    clock.skip(100);
    expect(resolver.resolve(aliceToken, ctx)).to.be.instanceOf(Promise);
    await resolver.resolve(aliceToken, ctx);
    resolver.recover('websocket');
    expect(resolver.size).to.equal(0);
    expect(upstream.calls).to.equal(3);
  });
});

describe('remoteResolver behind authenticate() (HTTP)', () => {
  let upstream: FakeMattermost;
  let hooks: HookBus;
  let resolver: RemoteResolver;
  let app: Listening;
  let alice: FakeUser;
  let aliceToken: string;

  const get = (token: string) => fetch(`${app.url}/api/v4/things`, { headers: { Authorization: `Bearer ${token}` } });

  beforeEach(async () => {
    upstream = await startFakeMattermost();
    hooks = createHookBus();
    resolver = remoteResolver({ url: upstream.url, hooks });
    alice = { id: newId(), username: 'alice', roles: 'system_user' };
    aliceToken = newId();
    upstream.users.set(aliceToken, alice);
    const koa = new Koa();
    koa.use(requestId());
    koa.use(errorBoundary());
    koa.use(authenticate({ resolver }));
    koa.use((c) => { c.body = { user_id: c.state.auth?.userId, username: c.state.auth?.username }; });
    app = await listen(koa);
  });

  afterEach(async () => {
    resolver.close();
    await app.close();
    await upstream.stop();
  });

  it('answers 200 with the upstream user, then 200 from the cache', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await get(aliceToken);
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({ user_id: alice.id, username: 'alice' });
    }
    expect(upstream.calls).to.equal(1);
  });

  it('answers a Mattermost 503 while the upstream is down, and 200 once it is back', async () => {
    await upstream.stop();
    const down = await get(aliceToken);
    expect(down.status).to.equal(503);
    expect(down.headers.get('content-type')).to.equal('application/json');
    const body = await down.json() as Record<string, unknown>;
    expect(body.id).to.equal('api.context.upstream_unavailable.app_error');
    expect(body.status_code).to.equal(503);
    expect(body.message).to.equal('The authentication server is unavailable. Please try again later.');
    expect(body.request_id).to.equal(down.headers.get('x-request-id'));

    await upstream.start();
    const back = await get(aliceToken);
    expect(back.status).to.equal(200);
    expect((await back.json() as Record<string, unknown>).user_id).to.equal(alice.id);
  });

  it('answers 503 on upstream 500 without caching it, 200 when the upstream recovers', async () => {
    upstream.forceStatus = 500;
    expect((await get(aliceToken)).status).to.equal(503);
    upstream.forceStatus = undefined;
    expect((await get(aliceToken)).status).to.equal(200);
    expect(upstream.calls).to.equal(2);
  });

  it('refuses a token the upstream refuses with 401 session_expired, and after token.revoked at once', async () => {
    const unknown = await get(newId());
    expect(unknown.status).to.equal(401);
    expect((await unknown.json() as Record<string, unknown>).id).to.equal('api.context.session_expired.app_error');
    expect(unknown.headers.get('www-authenticate')).to.include('error="invalid_token"');

    expect((await get(aliceToken)).status).to.equal(200);
    upstream.users.delete(aliceToken);
    expect((await get(aliceToken)).status).to.equal(200); // still cached: nobody said anything
    hooks.emit('token.revoked', { tokenId: newId(), userId: alice.id });
    const refused = await get(aliceToken);
    expect(refused.status).to.equal(401);
    expect((await refused.json() as Record<string, unknown>).id).to.equal('api.context.session_expired.app_error');
  });
});
