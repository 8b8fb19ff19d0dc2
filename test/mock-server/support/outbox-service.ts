/**
 * The second service of the outbox tests (issue 9 item 7): a koa-app-style service
 * (remoteResolver against the mock + eventReceiver, cache TTL 5 min) whose events endpoint can be
 * cut off (the connection is destroyed, as in a network partition) while its API keeps answering
 * from its cache; plus the REST calls the tests make on the mock.
 */
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { authenticate } from '../../../middleware/auth/authenticate.js';
import { errorBoundary } from '../../../middleware/errors/error-boundary.js';
import { eventReceiver, type EventReceiver } from '../../../middleware/events/event-receiver.js';
import { createHookBus, type HookBus, type HookEventName } from '../../../middleware/hooks/hook-bus.js';
import { remoteResolver, type RemoteResolver } from '../../../middleware/remote/remote-resolver.js';
import { requestId } from '../../../middleware/http/request-id.js';
import type { MockServer } from '../../../mock-server/index.js';

export const SECRET = 'an-hs256-secret-of-at-least-32-bytes!!';
export const PATH = '/mattermost-pat/events';
export const FAST = { retryBaseMs: 5, retryMaxMs: 40, heartbeatMs: 100, closeTimeoutMs: 300 } as const;

export interface Seen { event: HookEventName; eventId: string }

/** A second service: remote resolver against the mock, event receiver, and a switch for its events endpoint. */
export interface Service {
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

export async function startService(): Promise<Service> {
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
export function sourceEvents(mock: MockServer): Seen[] {
  const seen: Seen[] = [];
  mock.hooks.onAny((event, _payload, meta) => { if (!meta.remote) seen.push({ event, eventId: meta.eventId }); });
  return seen;
}

/** Poll until `check` holds; bounded by wall time (not by a count of polls, which a loaded machine stretches unevenly). */
export async function until(check: () => boolean, what: string, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check(), what).to.equal(true);
}

export async function api(mock: MockServer, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${mock.url}/api/v4${path}`, {
    method, headers: { Authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) as Record<string, unknown> };
}

export async function adminToken(mock: MockServer): Promise<string> {
  const res = await fetch(`${mock.url}/api/v4/users/login`, { method: 'POST', body: JSON.stringify({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' }) });
  expect(res.status).to.equal(200);
  return res.headers.get('Token') ?? '';
}

export async function createPat(mock: MockServer, admin: string, userId = 'me'): Promise<{ id: string; token: string }> {
  const res = await api(mock, 'POST', `/users/${userId}/tokens`, admin, { description: 'outbox test' });
  expect(res.status).to.equal(200);
  return res.body as { id: string; token: string };
}
