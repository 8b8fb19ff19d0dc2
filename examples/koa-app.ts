/**
 * koa-app: an outside Koa service (think: the backend of a slash command or a webhook) that
 * accepts Mattermost personal access tokens. It asks Mattermost whether a token works
 * (`remoteResolver`, GET /api/v4/users/me, cached 5 minutes) and receives Mattermost's signed
 * revocation events, so a token revoked on the server, or whose account is deactivated, is refused
 * here at once, not after the cache TTL. Its own hook logs the event and drops what it kept for
 * that caller.
 *
 * Routes:
 *   GET  /healthz                   public
 *   GET  /hello                     public
 *   POST /mattermost-pat/events     signed events from Mattermost (HS256, MM_PAT_WEBHOOK_SECRET)
 *   GET  /api/me                    token required: who is calling (typed ctx.state.auth)
 *   POST /api/commands/echo         token required: a slash-command style answer
 *   GET  /api/admin/callers         token with manage_system: the per-caller state
 *
 * Run it:
 *
 *     npx tsx examples/koa-app.ts --demo        # self-contained demo: mock + this service, then exits
 *     npx tsx examples/koa-app.ts               # serve on PORT (3000), Mattermost at MM_URL
 *                                               # (default http://127.0.0.1:8065, i.e. `npm start`)
 *
 * To have the mock deliver events to the served app (both read MM_PAT_WEBHOOK_SECRET, ≥ 32 bytes):
 *
 *     export MM_PAT_WEBHOOK_SECRET=$(node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))")
 *     npx mattermost-pat-mock --webhook http://127.0.0.1:3000/mattermost-pat/events &
 *     npx tsx examples/koa-app.ts
 *
 * Exit codes: 0 (demo passed, or served and stopped by SIGINT/SIGTERM), 1 something did not behave
 * as documented (one line on stderr), 2 wrong usage.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import {
  authenticate, consoleLogger, createHookBus, errorBoundary, getPrincipal, requestId, requirePermission,
  silentLogger, type HookBus, type Logger,
} from 'mattermost-pat';
import { eventReceiver } from 'mattermost-pat/events';
import { remoteResolver, type RemoteResolver } from 'mattermost-pat/remote';
import { secretOf } from './lib/client.js';
import { EXIT, ExampleFailure, check, isMain, runMain, type Print } from './lib/cli.js';
import { startDemo, type Demo } from './lib/demo.js';

export const EVENTS_PATH = '/mattermost-pat/events';

export interface ServiceOptions {
  /** Base URL of Mattermost (or the mock), without /api/v4. */
  mattermostUrl: string;
  /** HS256 secret shared with Mattermost's event sender. Without it no receiver is mounted. */
  eventSecret?: string;
  /** How long a working token is trusted without asking Mattermost again. Default 5 minutes. */
  ttlMs?: number;
  /** Structured logs of the middleware (refusals, upstream failures). Default silent. */
  logger?: Logger;
  /** Where this service's own hook writes its lines. Default `console.log`. */
  print?: Print;
}

/** What the service keeps per caller (here: a request counter; think rate limits, open streams). */
export interface CallerState {
  username: string;
  requests: number;
}

export interface Service {
  app: Koa;
  hooks: HookBus;
  resolver: RemoteResolver;
  /** Per-caller state, by user id; dropped by the revocation hook. */
  callers: Map<string, CallerState>;
  /** Unsubscribe the resolver and the hooks. */
  close(): void;
}

/**
 * Build the service (not listening).
 *
 * @example
 * ```ts
 * const service = createService({ mattermostUrl: 'http://127.0.0.1:8065', eventSecret: process.env.MM_PAT_WEBHOOK_SECRET });
 * http.createServer(service.app.callback()).listen(3000);
 * ```
 */
export function createService(options: ServiceOptions): Service {
  const { mattermostUrl, eventSecret, ttlMs = 5 * 60_000, logger = silentLogger, print = console.log } = options;
  const hooks = createHookBus({ logger });
  // Ask Mattermost (GET /api/v4/users/me) about unknown tokens; the bus evicts revoked ones at once.
  const resolver = remoteResolver({ url: mattermostUrl, hooks, ttlMs, logger });
  const callers = new Map<string, CallerState>();

  // The service's own hooks: they run after the resolver's cache eviction (it subscribed first).
  const drop = (event: string, userId: string, tokenId?: string) => {
    const state = callers.get(userId);
    callers.delete(userId);
    const who = state === undefined ? `user ${userId}` : `@${state.username}`;
    print(`app hook: ${event}${tokenId === undefined ? '' : ` (token ${tokenId})`}: dropped the state of ${who}${state === undefined ? ' (none kept)' : ` (${state.requests} requests)`}`);
  };
  const offs = [
    hooks.on('token.revoked', ({ tokenId, userId }) => drop('token.revoked', userId, tokenId)),
    hooks.on('token.disabled', ({ tokenId, userId }) => drop('token.disabled', userId, tokenId)),
    hooks.on('token.rotated', ({ tokenId, userId }) => drop('token.rotated', userId, tokenId)),
    hooks.on('user.deactivated', ({ userId }) => drop('user.deactivated', userId)),
    hooks.on('user.activated', ({ userId }) => print(`app hook: user.activated: user ${userId} may call again`)),
  ];

  const app = new Koa();
  app.use(requestId());
  app.use(errorBoundary({ logger }));
  if (eventSecret !== undefined) app.use(eventReceiver({ hooks, verify: { secret: eventSecret }, path: EVENTS_PATH, logger }));
  app.use(authenticate({ resolver, logger, exclude: ['/healthz', '/hello'] }));
  app.use(async (ctx, next) => {
    const auth = ctx.state.auth; // typed: Principal | undefined (declaration merging from 'mattermost-pat')
    if (auth !== undefined) {
      const state = callers.get(auth.userId) ?? { username: auth.username, requests: 0 };
      state.requests += 1;
      callers.set(auth.userId, state);
    }
    await next();
  });
  app.use(bodyParser({ enableTypes: ['json'] }));

  const router = new Router();
  router.get('/healthz', (ctx) => { ctx.body = { status: 'OK' }; });
  router.get('/hello', (ctx) => { ctx.body = { message: 'Hello! Call /api/me with a Mattermost personal access token.' }; });
  router.get('/api/me', (ctx) => {
    const me = getPrincipal(ctx);
    ctx.body = { user_id: me.userId, username: me.username, roles: me.roles, is_bot: me.isBot, requests: callers.get(me.userId)?.requests ?? 0 };
  });
  router.post('/api/commands/echo', (ctx) => {
    const me = getPrincipal(ctx);
    const body = ctx.request.body as { text?: unknown } | undefined;
    const text = typeof body?.text === 'string' ? body.text : '';
    ctx.body = { response_type: 'ephemeral', text: `@${me.username} said: ${text}` };
  });
  router.get('/api/admin/callers', requirePermission('manage_system'), (ctx) => {
    ctx.body = [...callers].map(([userId, s]) => ({ user_id: userId, username: s.username, requests: s.requests }));
  });
  app.use(router.routes());
  app.use(router.allowedMethods());

  return {
    app, hooks, resolver, callers,
    close() {
      for (const off of offs) off();
      resolver.close();
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(`http://${host}:${(server.address() as AddressInfo).port}`);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Resolve with the event's payload the next time `event` is emitted on `hooks` (reject after `timeoutMs`). */
function nextEvent(hooks: HookBus, event: 'token.revoked' | 'user.deactivated' | 'user.activated', timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new ExampleFailure(`no ${event} event reached the service within ${timeoutMs} ms`)); }, timeoutMs);
    const off = hooks.on(event, () => { clearTimeout(timer); off(); resolve(); });
  });
}

export interface DemoOptions {
  print?: Print;
  /** Cache TTL of the service. Default 5 minutes. */
  ttlMs?: number;
  /** How long to wait for an event from the mock. Default 5 s. */
  eventTimeoutMs?: number;
  /** Called with the started mock (tests inspect it before it is closed). */
  onMock?: (demo: Demo) => Promise<void> | void;
}

/** One request the demo made to the service, and the answer. */
export interface DemoCall {
  label: string;
  status: number;
}

export interface DemoResult {
  calls: DemoCall[];
  /** Per-caller state left in the service at the end. */
  callers: Array<[string, CallerState]>;
  /** Upstream calls made by the resolver (GET /users/me on Mattermost). */
  upstreamCalls: number;
}

/**
 * The demo: this service on a free port, a mock Mattermost delivering signed events to it, tokens
 * accepted, then revoked / deactivated on the mock and refused here at once.
 *
 * @example
 * ```ts
 * const { calls } = await runDemo({ print: () => {} });
 * ```
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const { print = console.log, ttlMs = 5 * 60_000, eventTimeoutMs = 5_000 } = options;
  const secret = randomBytes(32).toString('base64url');
  // 1. The service listens first, so Mattermost can be told where to send events.
  // Until the service is attached, answer 503: the mock's event sender retries, so the events of
  // the admin steps below are delivered to the service, not lost.
  let handle: ReturnType<Koa['callback']> | undefined;
  const http = createServer((req, res) => {
    if (handle !== undefined) return void handle(req, res);
    res.writeHead(503, { 'Retry-After': '1' }).end();
  });
  const appUrl = await listen(http, 0, '127.0.0.1');
  let service: Service | undefined;
  let demo: Demo | undefined;
  try {
    demo = await startDemo({ print, mock: { webhooks: [`${appUrl}${EVENTS_PATH}`], webhookSecret: secret } });
    print(`demo: the mock sends signed events to ${appUrl}${EVENTS_PATH}`);
    service = createService({ mattermostUrl: demo.url, eventSecret: secret, ttlMs, print });
    handle = service.app.callback();
    print(`koa-app: listening on ${appUrl}, asking ${demo.url} about tokens, cache TTL ${ttlMs / 1000} s`);
    await options.onMock?.(demo);

    // 2. Admin steps on Mattermost: tokens for user-1 (two) and for the admin.
    const { admin } = demo;
    const user1 = await admin.getUserByUsername('user-1');
    const tokenA = await admin.createUserAccessToken(user1.id, 'koa-app demo A');
    const tokenB = await admin.createUserAccessToken(user1.id, 'koa-app demo B');
    const adminToken = await admin.createUserAccessToken((await admin.getMe()).id, 'koa-app demo admin');
    print(`admin: created tokens A (${tokenA.id}) and B (${tokenB.id}) for @user-1, and one for @sysadmin (${adminToken.id})`);
    const [a, b, root] = [secretOf(tokenA), secretOf(tokenB), secretOf(adminToken)];
    // Let the events of these admin steps (config changed, tokens created) reach the service first,
    // so a late one cannot clear its cache in the middle of the calls below.
    await demo.flushEvents();

    // 3. Call the service like a client would.
    const calls: DemoCall[] = [];
    const call = async (label: string, path: string, token?: string, expectStatus?: number, init: RequestInit = {}) => {
      const headers: Record<string, string> = { ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }) };
      if (token !== undefined) headers.Authorization = `Bearer ${token}`;
      const res = await fetch(`${appUrl}${path}`, { ...init, headers });
      const body = await res.json() as Record<string, unknown>;
      const shown = res.ok ? JSON.stringify(body) : String(body.id);
      print(`client: ${label}: ${init.method ?? 'GET'} ${path} -> ${res.status} ${shown}`);
      calls.push({ label, status: res.status });
      if (expectStatus !== undefined) check(res.status === expectStatus, `${label}: ${path} answered ${res.status}, expected ${expectStatus}`);
      return body;
    };
    await call('public, no token', '/healthz', undefined, 200);
    await call('no token', '/api/me', undefined, 401);
    const me = await call('token A', '/api/me', a, 200);
    check(me.username === 'user-1', `token A authenticated as ${String(me.username)}, expected user-1`);
    const upstream = service.resolver.upstreamCalls;
    await call('token A again', '/api/me', a, 200);
    check(service.resolver.upstreamCalls === upstream, 'the second request with token A was not served from the cache');
    print(`koa-app: the second request was served from the cache (Mattermost asked ${upstream} time(s) so far)`);
    await call('token A, slash command', '/api/commands/echo', a, 200, { method: 'POST', body: JSON.stringify({ text: 'hi' }) });
    await call('token A, needs manage_system', '/api/admin/callers', a, 403);
    await call('admin token, needs manage_system', '/api/admin/callers', root, 200);

    // 4. Revoke token A on Mattermost: refused here as soon as the signed event arrives.
    const revokedSeen = nextEvent(service.hooks, 'token.revoked', eventTimeoutMs);
    const revokedAt = Date.now();
    await admin.revokeUserAccessToken(tokenA.id);
    print(`admin: revoked token A on Mattermost (POST /users/tokens/revoke)`);
    await revokedSeen;
    print(`koa-app: token.revoked arrived ${Date.now() - revokedAt} ms after the revocation (cache TTL ${ttlMs / 1000} s)`);
    await call('token A after revocation', '/api/me', a, 401);
    await call('token B, same user, still valid', '/api/me', b, 200);

    // 5. Deactivate user-1: token B is refused at once; reactivate: it works again.
    const deactivatedSeen = nextEvent(service.hooks, 'user.deactivated', eventTimeoutMs);
    await admin.updateUserActive(user1.id, false);
    print('admin: deactivated @user-1 on Mattermost (PUT /users/{id}/active)');
    await deactivatedSeen;
    await call('token B after deactivation', '/api/me', b, 401);
    const activatedSeen = nextEvent(service.hooks, 'user.activated', eventTimeoutMs);
    await admin.updateUserActive(user1.id, true);
    print('admin: reactivated @user-1');
    await activatedSeen;
    await call('token B after reactivation', '/api/me', b, 200);

    print('done: revocation and deactivation on Mattermost were enforced by the service at once');
    return { calls, callers: [...service.callers], upstreamCalls: service.resolver.upstreamCalls };
  } finally {
    await closeServer(http);
    service?.close();
    await demo?.close();
  }
}

/** Serve until SIGINT/SIGTERM. */
async function serve(env: Record<string, string | undefined>, print: Print): Promise<void> {
  const mattermostUrl = env.MM_URL ?? 'http://127.0.0.1:8065';
  const port = Number(env.PORT ?? '3000');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ExampleFailure(`PORT must be an integer from 0 to 65535, got "${env.PORT}"`, EXIT.usage);
  const eventSecret = env.MM_PAT_WEBHOOK_SECRET;
  if (eventSecret !== undefined && Buffer.byteLength(eventSecret) < 32) throw new ExampleFailure('MM_PAT_WEBHOOK_SECRET must be at least 32 bytes', EXIT.usage);
  const service = createService({ mattermostUrl, eventSecret, logger: consoleLogger(), print });
  const http = createServer(service.app.callback());
  const url = await listen(http, port, env.HOST ?? '127.0.0.1');
  print(`koa-app: listening on ${url}; tokens checked against ${mattermostUrl}`);
  print(eventSecret === undefined
    ? 'koa-app: MM_PAT_WEBHOOK_SECRET not set: no event receiver, a revoked token is refused only after the 5 min cache TTL'
    : `koa-app: receiving signed events at ${url}${EVENTS_PATH}`);
  await new Promise<void>((resolve) => {
    const stop = () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await closeServer(http);
  service.close();
  print('koa-app: stopped');
}

/**
 * The program: `--demo` runs the demo, no argument serves.
 *
 * @example
 * ```ts
 * await main(['--demo']);
 * ```
 */
export async function main(argv: readonly string[] = process.argv.slice(2), env: Record<string, string | undefined> = process.env): Promise<void> {
  if (argv.length === 1 && argv[0] === '--demo') {
    await runDemo();
    return;
  }
  if (argv.length > 0) throw new ExampleFailure(`unknown arguments: ${argv.join(' ')} (usage: koa-app [--demo])`, EXIT.usage);
  await serve(env, console.log);
}

if (isMain(import.meta.url)) runMain(() => main());
