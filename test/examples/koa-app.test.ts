import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EVENTS_PATH, createService, main, runDemo, type Service } from '../../examples/koa-app.js';
import { ExampleFailure } from '../../examples/lib/cli.js';
import { login, secretOf, type Client } from '../../examples/lib/client.js';
import type { MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';
import { ROOT, bareEnv, collector, runExample } from './support/run-example.js';

const listen = (server: Server) => new Promise<string>((resolve) => {
  server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
});

/** Resolve when `event` is next emitted on the service's bus. */
const seen = (service: Service, event: 'token.revoked' | 'user.deactivated') => new Promise<void>((resolve) => {
  const off = service.hooks.on(event, () => { off(); resolve(); });
});

describe('examples/koa-app', () => {
  describe('createService next to a mock Mattermost (port 0) that sends it signed events', () => {
    const secret = randomBytes(32).toString('base64url');
    let http: Server;
    let appUrl: string;
    let mock: MockServer;
    let service: Service;
    let admin: Client;
    let out: ReturnType<typeof collector>;
    let user1Token: { id: string; secret: string };

    const get = async (path: string, token?: string, init: RequestInit = {}) => {
      const headers: Record<string, string> = token === undefined ? {} : { Authorization: `Bearer ${token}` };
      if (init.body !== undefined) headers['Content-Type'] = 'application/json';
      const res = await fetch(`${appUrl}${path}`, { ...init, headers });
      return { status: res.status, body: await res.json() as Record<string, unknown> & Array<Record<string, unknown>>, headers: res.headers };
    };

    async function start(withEvents: boolean) {
      http = createServer();
      appUrl = await listen(http);
      mock = await startMockServer({ port: 0, inMemory: true, ...(withEvents ? { webhooks: [`${appUrl}${EVENTS_PATH}`], webhookSecret: secret } : {}) });
      out = collector();
      service = createService({ mattermostUrl: mock.url, eventSecret: withEvents ? secret : undefined, ttlMs: 5 * 60_000, print: out.print });
      http.on('request', service.app.callback());
      admin = await login(mock.url, mock.seeded.sysadmin.username, mock.seeded.sysadmin.password);
      const pat = await admin.createUserAccessToken(mock.seeded.user1.id, 'koa test');
      user1Token = { id: pat.id, secret: secretOf(pat) };
    }

    afterEach(async () => {
      await new Promise<void>((resolve) => { http.close(() => resolve()); http.closeAllConnections(); });
      service.close();
      await mock.close();
    });

    it('public routes, 401 without a token, typed principal, slash command, 403/200 on the permission route', async () => {
      await start(true);
      expect((await get('/healthz')).body).to.deep.equal({ status: 'OK' });
      expect((await get('/hello')).status).to.equal(200);
      const anonymous = await get('/api/me');
      expect(anonymous.status).to.equal(401);
      expect(anonymous.body.id).to.equal('api.context.session_expired.app_error');
      expect(anonymous.headers.get('www-authenticate')).to.equal('Bearer realm="mattermost"');

      const me = await get('/api/me', user1Token.secret);
      expect(me.status).to.equal(200);
      expect(me.body).to.deep.equal({ user_id: mock.seeded.user1.id, username: 'user-1', roles: ['system_user'], is_bot: false, requests: 1 });
      const echo = await get('/api/commands/echo', user1Token.secret, { method: 'POST', body: JSON.stringify({ text: 'hello there' }) });
      expect(echo.body).to.deep.equal({ response_type: 'ephemeral', text: '@user-1 said: hello there' });
      const denied = await get('/api/admin/callers', user1Token.secret);
      expect(denied.status).to.equal(403);
      expect(denied.body.id).to.equal('api.context.permissions.app_error');

      const adminPat = secretOf(await admin.createUserAccessToken(mock.seeded.sysadmin.id, 'koa test admin'));
      const callers = await get('/api/admin/callers', adminPat);
      expect(callers.status).to.equal(200);
      expect(callers.body).to.deep.include({ user_id: mock.seeded.user1.id, username: 'user-1', requests: 3 });
      expect(service.resolver.upstreamCalls).to.equal(2); // one GET /users/me per token, the rest from the cache
    });

    it('a token revoked on Mattermost is refused at once (well within the 5 min TTL) and its hook drops the caller state', async () => {
      await start(true);
      expect((await get('/api/me', user1Token.secret)).status).to.equal(200);
      expect(service.callers.has(mock.seeded.user1.id)).to.equal(true);
      const event = seen(service, 'token.revoked');
      await admin.revokeUserAccessToken(user1Token.id);
      await event;
      expect(mock.store.get('tokens', user1Token.id)).to.equal(undefined);
      expect(service.callers.has(mock.seeded.user1.id)).to.equal(false);
      expect(out.lines).to.include(`app hook: token.revoked (token ${user1Token.id}): dropped the state of @user-1 (1 requests)`);
      const after = await get('/api/me', user1Token.secret);
      expect(after.status).to.equal(401);
      expect(after.body.id).to.equal('api.context.session_expired.app_error');
    });

    it('a deactivated user is refused at once; the hook logs it', async () => {
      await start(true);
      expect((await get('/api/me', user1Token.secret)).status).to.equal(200);
      const event = seen(service, 'user.deactivated');
      await admin.updateUserActive(mock.seeded.user1.id, false);
      await event;
      expect(mock.store.get('users', mock.seeded.user1.id)!.delete_at).to.be.greaterThan(0);
      expect(out.lines).to.include('app hook: user.deactivated: dropped the state of @user-1 (1 requests)');
      expect((await get('/api/me', user1Token.secret)).status).to.equal(401);
    });

    it('without the event receiver, the revoked token is still served from the cache (what the receiver fixes)', async () => {
      await start(false);
      expect((await get('/api/me', user1Token.secret)).status).to.equal(200);
      await admin.revokeUserAccessToken(user1Token.id);
      expect(mock.store.get('tokens', user1Token.id)).to.equal(undefined);
      expect((await get('/api/me', user1Token.secret)).status).to.equal(200);
      expect(out.lines).to.deep.equal([]);
      expect((await get(EVENTS_PATH, undefined, { method: 'POST', body: '{}' })).status).to.equal(401); // no receiver: just a protected path
    });

    it('an event signed with another secret is refused and evicts nothing', async () => {
      await start(true);
      expect((await get('/api/me', user1Token.secret)).status).to.equal(200);
      const { createHookBus } = await import('../../middleware/index.js');
      const { createEventSender } = await import('../../middleware/events/index.js');
      const forgerBus = createHookBus();
      const forger = createEventSender({ hooks: forgerBus, targets: [`${appUrl}${EVENTS_PATH}`], signing: { alg: 'HS256', secret: randomBytes(32).toString('base64url') }, retries: 0 });
      forgerBus.emit('user.deactivated', { userId: mock.seeded.user1.id });
      await forger.flush();
      await forger.close();
      expect(forger.delivered).to.equal(0);
      expect(forger.dropped).to.equal(1);
      expect(service.callers.has(mock.seeded.user1.id)).to.equal(true);
      expect(out.lines).to.deep.equal([]);
      expect((await get('/api/me', user1Token.secret)).status).to.equal(200);
    });
  });

  it('runDemo: accepted, cached, refused right after revocation and deactivation, accepted after reactivation', async () => {
    const out = collector();
    const result = await runDemo({ print: out.print });
    expect(result.calls.map((c) => `${c.label}=${c.status}`)).to.deep.equal([
      'public, no token=200',
      'no token=401',
      'token A=200',
      'token A again=200',
      'token A, slash command=200',
      'token A, needs manage_system=403',
      'admin token, needs manage_system=200',
      'token A after revocation=401',
      'token B, same user, still valid=200',
      'token B after deactivation=401',
      'token B after reactivation=200',
    ]);
    // Mattermost was asked about A once, the admin token once, then A, B after events evicted them, B again after reactivation.
    expect(result.upstreamCalls).to.equal(6);
    expect(result.callers.map(([, s]) => [s.username, s.requests])).to.deep.equal([['sysadmin', 1], ['user-1', 1]]);
    const text = out.text();
    expect(text).to.match(/^app hook: token\.revoked \(token [a-z0-9]{26}\): dropped the state of @user-1 \(4 requests\)$/m);
    expect(text).to.include('app hook: user.deactivated: dropped the state of @user-1 (1 requests)');
    expect(text).to.include('koa-app: the second request was served from the cache (Mattermost asked 1 time(s) so far)');
    expect(text).to.match(/koa-app: token\.revoked arrived \d+ ms after the revocation \(cache TTL 300 s\)/);
  });

  it('main: unknown arguments and a short event secret are usage errors (exit 2)', async () => {
    for (const [argv, env] of [[['--serve'], {}], [[], { MM_PAT_WEBHOOK_SECRET: 'short', PORT: '0' }], [[], { PORT: 'x' }]] as const) {
      const err = await main(argv, env).then(() => undefined, (e: unknown) => e);
      expect(err, argv.join(' ')).to.be.instanceOf(ExampleFailure);
      expect((err as ExampleFailure).exitCode).to.equal(2);
    }
  });

  it('as a process with --demo: exits 0', async () => {
    const res = await runExample('koa-app', ['--demo']);
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout).to.match(/^client: token A after revocation: GET \/api\/me -> 401 api\.context\.session_expired\.app_error$/m);
    expect(res.stdout).to.match(/^client: token B after deactivation: GET \/api\/me -> 401 /m);
    expect(res.stdout.trimEnd().split('\n').at(-1)).to.equal('done: revocation and deactivation on Mattermost were enforced by the service at once');
  });

  it('as a process without --demo: serves against MM_URL until SIGTERM, then exits 0', async () => {
    const mock = await startMockServer({ port: 0, inMemory: true });
    try {
      const admin = await login(mock.url, mock.seeded.sysadmin.username, mock.seeded.sysadmin.password);
      const token = secretOf(await admin.createUserAccessToken(mock.seeded.user1.id, 'serve test'));
      const child = spawn(process.execPath, ['--import', 'tsx', 'examples/koa-app.ts'], { cwd: ROOT, env: bareEnv({ MM_URL: mock.url, PORT: '0' }), stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        let stdout = '';
        const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
        const url = await new Promise<string>((resolve, reject) => {
          child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
            stdout += chunk;
            const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
            if (m && /^koa-app: (MM_PAT_WEBHOOK_SECRET not set|receiving signed events)/m.test(stdout)) resolve(m[1]!);
          });
          child.on('close', () => reject(new Error(`exited early: ${stdout}`)));
        });
        expect(stdout).to.include(`tokens checked against ${mock.url}`);
        expect(stdout).to.include('MM_PAT_WEBHOOK_SECRET not set');
        const res = await fetch(`${url}/api/me`, { headers: { Authorization: `Bearer ${token}` } });
        expect(res.status).to.equal(200);
        expect(((await res.json()) as { username: string }).username).to.equal('user-1');
        child.kill('SIGTERM');
        expect(await exited).to.equal(0);
        expect(stdout).to.include('koa-app: stopped');
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    } finally {
      await mock.close();
    }
  });
});
