/**
 * `webhookWaitMs`: the mock answers a request that emitted events only once the webhook has them
 * (bounded), so a second service fed by the signed events refuses a revoked token on the very
 * first request after the revoke answered — no window at all, not just a short one.
 */
import { expect } from 'chai';
import Koa from 'koa';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authenticate } from '../../middleware/auth/authenticate.js';
import { errorBoundary } from '../../middleware/errors/error-boundary.js';
import { eventReceiver } from '../../middleware/events/event-receiver.js';
import { createHookBus } from '../../middleware/hooks/hook-bus.js';
import { remoteResolver } from '../../middleware/remote/remote-resolver.js';
import { requestId } from '../../middleware/http/request-id.js';
import type { MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';

const SECRET = 'a-shared-secret-of-at-least-32-bytes-long';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('mock server: webhookWaitMs', () => {
  let mock: MockServer | undefined;
  let second: Server | undefined;
  let resolver: ReturnType<typeof remoteResolver> | undefined;
  afterEach(async () => {
    await mock?.close();
    resolver?.close();
    if (second !== undefined) await new Promise<void>((resolve) => { second?.close(() => resolve()); second?.closeAllConnections(); });
    mock = undefined;
    second = undefined;
  });

  it('a second service refuses a revoked token on the first request after the revoke answered', async () => {
    // The second service: remote resolver with a long TTL, evicted only by the signed events.
    const hooks = createHookBus();
    const app = new Koa();
    let mattermostUrl = '';
    resolver = remoteResolver({ url: 'http://127.0.0.1:1', hooks, ttlMs: 300_000, fetch: (input, init) => fetch(String(input).replace('http://127.0.0.1:1', mattermostUrl), init) });
    app.use(requestId());
    app.use(errorBoundary());
    app.use(eventReceiver({ hooks, verify: { secret: SECRET } }));
    app.use(authenticate({ resolver }));
    app.use((ctx) => { ctx.body = { user: ctx.state.auth?.username }; });
    second = createServer(app.callback());
    const secondUrl = await listen(second);

    mock = await startMockServer({ port: 0, inMemory: true, webhooks: [`${secondUrl}/mattermost-pat/events`], webhookSecret: SECRET, webhookWaitMs: 5_000 });
    mattermostUrl = mock.url;
    const login = await fetch(`${mock.url}/api/v4/users/login`, { method: 'POST', body: JSON.stringify({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' }) });
    const admin = { Authorization: `Bearer ${login.headers.get('Token') ?? ''}` };

    for (let round = 0; round < 5; round++) {
      const created = await (await fetch(`${mock.url}/api/v4/users/me/tokens`, { method: 'POST', headers: admin, body: JSON.stringify({ description: `round ${round}` }) })).json() as { id: string; token: string };
      const bearer = { Authorization: `Bearer ${created.token}` };
      expect((await fetch(`${secondUrl}/me`, { headers: bearer })).status).to.equal(200);
      const callsBefore = resolver.upstreamCalls;
      expect((await fetch(`${secondUrl}/me`, { headers: bearer })).status, 'served from the cache').to.equal(200);
      expect(resolver.upstreamCalls).to.equal(callsBefore);

      const revoked = await fetch(`${mock.url}/api/v4/users/tokens/revoke`, { method: 'POST', headers: admin, body: JSON.stringify({ token_id: created.id }) });
      expect(revoked.status).to.equal(200);
      const after = await fetch(`${secondUrl}/me`, { headers: bearer });
      expect(after.status, `round ${round}: first request after the revoke`).to.equal(401);
      expect(((await after.json()) as { id: string }).id).to.equal('api.context.session_expired.app_error');
    }
  });

  it('a webhook that is down delays answers by at most the wait, never fails them', async () => {
    const closed = createServer();
    const deadUrl = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    mock = await startMockServer({ port: 0, inMemory: true, webhooks: [`${deadUrl}/events`], webhookSecret: SECRET, webhookWaitMs: 200 });
    const login = await fetch(`${mock.url}/api/v4/users/login`, { method: 'POST', body: JSON.stringify({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' }) });
    const admin = { Authorization: `Bearer ${login.headers.get('Token') ?? ''}` };
    const created = await fetch(`${mock.url}/api/v4/users/me/tokens`, { method: 'POST', headers: admin, body: JSON.stringify({ description: 'dead webhook' }) });
    expect(created.status).to.equal(200);
    const body = await created.json() as { id: string };
    const revoked = await fetch(`${mock.url}/api/v4/users/tokens/revoke`, { method: 'POST', headers: admin, body: JSON.stringify({ token_id: body.id }) });
    expect(revoked.status).to.equal(200);
    expect((await fetch(`${mock.url}/api/v4/users/tokens/${body.id}`, { headers: admin })).status).to.equal(404);
  });
});
