/**
 * Issue 9 item 7: signed revocation events are never silently lost. The mock is the event source
 * (its outbox lives in its database); a second service follows the koa-app pattern
 * (remoteResolver against the mock + eventReceiver, cache TTL 5 min). The service's events
 * endpoint can be cut off (the connection is destroyed, as in a network partition) while its API
 * keeps answering from its cache.
 */
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Koa from 'koa';
import { authenticate } from '../../middleware/auth/authenticate.js';
import { errorBoundary } from '../../middleware/errors/error-boundary.js';
import { eventReceiver, type EventReceiver } from '../../middleware/events/event-receiver.js';
import { createHookBus, type HookBus, type HookEventName } from '../../middleware/hooks/hook-bus.js';
import { remoteResolver, type RemoteResolver } from '../../middleware/remote/remote-resolver.js';
import { requestId } from '../../middleware/http/request-id.js';
import { startMockServer, type MockServer, type MockServerOptions } from '../../mock-server/index.js';
import { startCli } from '../hardening/support/cli.js';

const SECRET = 'an-hs256-secret-of-at-least-32-bytes!!';
const PATH = '/mattermost-pat/events';
const FAST = { retryBaseMs: 5, retryMaxMs: 40, heartbeatMs: 100, closeTimeoutMs: 300 } as const;

interface Seen { event: HookEventName; eventId: string }

/** A second service: remote resolver against the mock, event receiver, and a switch for its events endpoint. */
interface Service {
  url: string;
  hooks: HookBus;
  receiver: EventReceiver;
  resolver: RemoteResolver;
  received: Seen[];
  resets: string[];
  /** Deliveries cut off while the endpoint was down. */
  cut: number;
  /** The receiver's clock (ms). */
  clock: { now: number };
  setDown(down: boolean): void;
  /** Point the resolver at a (re)started mock. */
  setMattermost(url: string): void;
  get(token: string): Promise<number>;
  close(): Promise<void>;
}

async function startService(): Promise<Service> {
  const hooks = createHookBus();
  const received: Seen[] = [];
  const resets: string[] = [];
  hooks.onAny((event, payload, meta) => {
    if (event === 'cache.reset') resets.push((payload as { reason: string }).reason);
    else received.push({ event, eventId: meta.eventId });
  });
  let mattermost = '';
  const resolver = remoteResolver({
    url: 'http://mattermost.invalid', hooks, ttlMs: 300_000, negativeTtlMs: 0,
    fetch: (input, init) => fetch(String(input).replace('http://mattermost.invalid', mattermost), init),
  });
  const clock = { now: Date.now() };
  const receiver = eventReceiver({ hooks, verify: { secret: SECRET }, now: () => clock.now });
  let down = false;
  const service: Partial<Service> = { cut: 0 };
  const koa = new Koa();
  koa.use(async (ctx, next) => {
    if (down && ctx.path === PATH) { (service as Service).cut++; ctx.req.socket.destroy(); return; }
    await next();
  });
  koa.use(requestId());
  koa.use(errorBoundary());
  koa.use(receiver);
  koa.use(authenticate({ resolver }));
  koa.use((ctx) => { ctx.body = { user_id: ctx.state.auth?.userId }; });
  const server: Server = createServer(koa.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(service, {
    url, hooks, receiver, resolver, received, resets, clock,
    setDown(value: boolean) { down = value; },
    setMattermost(value: string) { mattermost = value; },
    async get(token: string) { return (await fetch(`${url}/me`, { headers: { Authorization: `Bearer ${token}` } })).status; },
    async close() {
      receiver.close();
      resolver.close();
      await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
    },
  }) as Service;
}

/** Every event the mock emits itself, in order. */
function sourceEvents(mock: MockServer): Seen[] {
  const seen: Seen[] = [];
  mock.hooks.onAny((event, _payload, meta) => { if (!meta.remote) seen.push({ event, eventId: meta.eventId }); });
  return seen;
}

/** Poll until `check` holds; bounded by wall time (not by a count of polls, which a loaded machine stretches unevenly). */
async function until(check: () => boolean, what: string, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check(), what).to.equal(true);
}

async function api(mock: MockServer, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${mock.url}/api/v4${path}`, {
    method, headers: { Authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) as Record<string, unknown> };
}

async function adminToken(mock: MockServer): Promise<string> {
  const res = await fetch(`${mock.url}/api/v4/users/login`, { method: 'POST', body: JSON.stringify({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' }) });
  expect(res.status).to.equal(200);
  return res.headers.get('Token') ?? '';
}

async function createPat(mock: MockServer, admin: string, userId = 'me'): Promise<{ id: string; token: string }> {
  const res = await api(mock, 'POST', `/users/${userId}/tokens`, admin, { description: 'outbox test' });
  expect(res.status).to.equal(200);
  return res.body as { id: string; token: string };
}

describe('mock server: revocation events are delivered at least once, in order', () => {
  let service: Service;
  let mock: MockServer | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await mock?.close();
    mock = undefined;
    await service.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  const start = async (options: MockServerOptions = {}) => {
    const started = await startMockServer({
      fastSeedPasswords: true,
      port: 0, inMemory: true, webhooks: [`${service.url}${PATH}`], webhookSecret: SECRET, webhookOptions: FAST, ...options,
    });
    service.setMattermost(started.url);
    return started;
  };

  it('a receiver cut off for 10 s gets every event in order when it is back, and refuses the revoked tokens', async () => {
    service = await startService();
    mock = await start();
    const emitted = sourceEvents(mock);
    const admin = await adminToken(mock);
    const t1 = await createPat(mock, admin);
    const t2 = await createPat(mock, admin);
    await mock.flushEvents();
    expect(await service.get(t1.token)).to.equal(200);
    expect(await service.get(t2.token)).to.equal(200);
    const callsBefore = service.resolver.upstreamCalls;

    service.setDown(true);
    const before = emitted.length;
    expect((await api(mock, 'POST', '/users/tokens/revoke', admin, { token_id: t1.id })).status).to.equal(200);
    const t3 = await createPat(mock, admin);
    expect((await api(mock, 'PUT', `/users/${mock.seeded.user1.id}/active`, admin, { active: false })).status).to.equal(200);
    expect((await api(mock, 'PUT', `/users/${mock.seeded.user1.id}/active`, admin, { active: true })).status).to.equal(200);
    expect((await api(mock, 'POST', '/users/tokens/revoke', admin, { token_id: t2.id })).status).to.equal(200);
    expect(emitted.length - before).to.equal(5);
    // Down long enough for many failed attempts (the old sender gave up after 5), and 10 s on the receiver's clock.
    await until(() => service.cut >= 30, '30 deliveries cut off');
    service.clock.now += 10_000;
    service.receiver.checkHeartbeats();
    expect(await service.get(t1.token), 'while cut off the cache still trusts it (the window this closes when back)').to.equal(200);
    expect(service.resolver.upstreamCalls).to.equal(callsBefore);

    service.setDown(false);
    await mock.flushEvents();
    expect(service.received, 'every event, in emission order, each once').to.deep.equal(emitted);
    expect(await service.get(t1.token)).to.equal(401);
    expect(await service.get(t2.token)).to.equal(401);
    expect(await service.get(t3.token)).to.equal(200);
    expect(service.resets, 'the revocations themselves evicted: no gap, no reset but the first contact').to.deep.equal(['source']);
    expect(mock.store.count('outbox'), 'delivered entries are deleted').to.equal(0);
  });

  it('a restart of the mock with undelivered events still delivers them (the outbox is in the database)', async () => {
    service = await startService();
    dir = await mkdtemp(join(tmpdir(), 'mmpat-outbox-'));
    const dbFile = join(dir, 'db.json');
    mock = await start({ inMemory: false, dbFile });
    const emitted = sourceEvents(mock);
    const admin = await adminToken(mock);
    const pat = await createPat(mock, admin);
    await mock.flushEvents();
    expect(await service.get(pat.token)).to.equal(200);

    service.setDown(true);
    expect((await api(mock, 'POST', '/users/tokens/revoke', admin, { token_id: pat.id })).status).to.equal(200);
    await until(() => service.cut >= 3, 'deliveries cut off');
    expect(mock.store.count('outbox')).to.equal(1);
    await mock.close();
    mock = undefined;
    expect(await service.get(pat.token), 'the first mock is gone; the cache still trusts the token').to.equal(200);

    service.setDown(false);
    mock = await start({ inMemory: false, dbFile });
    await mock.flushEvents();
    expect(service.received).to.deep.equal(emitted);
    expect(service.received.at(-1)?.event).to.equal('token.revoked');
    expect(service.resets, 'the restart is also a new boot: the receiver drops its cache').to.deep.equal(['source', 'boot']);
    expect(service.receiver.sources().size, 'the same source id across restarts').to.equal(1);
    expect(await service.get(pat.token)).to.equal(401);
    expect(mock.store.count('outbox')).to.equal(0);
  });

  it('a revoke that answered survives a SIGKILL of the mock: the next start delivers it', async () => {
    service = await startService();
    dir = await mkdtemp(join(tmpdir(), 'mmpat-outbox-kill-'));
    const args = ['--port', '0', '--db', join(dir, 'db.json'), '--webhook', `${service.url}${PATH}`];
    const env = process.env.MM_PAT_WEBHOOK_SECRET;
    process.env.MM_PAT_WEBHOOK_SECRET = SECRET;
    try {
      const first = await startCli(args);
      const asMock = { url: first.url } as MockServer;
      service.setMattermost(first.url);
      const admin = await adminToken(asMock);
      const pat = await createPat(asMock, admin);
      await until(() => service.received.some((e) => e.event === 'token.created'), 'token.created delivered');
      expect(await service.get(pat.token)).to.equal(200);
      service.setDown(true);
      expect((await api(asMock, 'POST', '/users/tokens/revoke', admin, { token_id: pat.id })).status).to.equal(200);
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).to.equal('SIGKILL');
      expect(service.received.map((e) => e.event)).not.to.include('token.revoked');

      service.setDown(false);
      const second = await startCli(args);
      try {
        service.setMattermost(second.url);
        await until(() => service.received.some((e) => e.event === 'token.revoked'), 'token.revoked delivered by the next start');
        expect(service.resets).to.deep.equal(['source', 'boot']);
        expect(await service.get(pat.token)).to.equal(401);
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    } finally {
      if (env === undefined) delete process.env.MM_PAT_WEBHOOK_SECRET; else process.env.MM_PAT_WEBHOOK_SECRET = env;
    }
  });

  it('a regular user cycling 1,200 PAT logouts never pushes out a revocation', async () => {
    service = await startService();
    mock = await start();
    const admin = await adminToken(mock);
    const user1 = mock.seeded.user1.id;
    expect((await api(mock, 'PUT', `/users/${user1}/roles`, admin, { roles: 'system_user system_user_access_token' })).status).to.equal(200);
    const victim = await createPat(mock, admin);
    const userPat = await createPat(mock, admin, user1);
    await mock.flushEvents();
    expect(await service.get(victim.token)).to.equal(200);

    service.setDown(true);
    expect((await api(mock, 'POST', '/users/tokens/revoke', admin, { token_id: victim.id })).status).to.equal(200);
    let sessionEvents = 0;
    const off = mock.hooks.on('session.revoked', () => { sessionEvents++; });
    for (let i = 0; i < 1_200; i += 10) {
      const statuses = await Promise.all(Array.from({ length: 10 }, async () => (await api(mock!, 'POST', '/users/logout', userPat.token)).status));
      expect(statuses.every((s) => s === 200)).to.equal(true);
    }
    off();
    expect(sessionEvents, 'more logouts than the old 1,000-event queue').to.be.at.least(1_200);
    expect(mock.store.count('outbox'), 'the revocation and one coalesced logout entry').to.equal(2);

    service.setDown(false);
    await mock.flushEvents();
    expect(service.received.map((e) => e.event)).to.include('token.revoked');
    expect(service.received.filter((e) => e.event === 'session.revoked')).to.have.length(1);
    expect(service.resets).to.deep.equal(['source', 'coalesced']);
    expect(await service.get(victim.token)).to.equal(401);
  });
});
