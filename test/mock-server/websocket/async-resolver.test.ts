/**
 * The hub with an asynchronous resolver (as `remoteResolver` is): requests on a socket are handled
 * one at a time in order (a ping sent right behind a challenge is answered after it, authenticated),
 * and events published while a stale principal is being re-resolved wait for the answer, in order.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import request from 'supertest';
import type { MockApp } from '../../../mock-server/index.js';
import { createMockApp } from '../../support/fast-seed-mock.js';
import { mockResolver } from '../../../mock-server/resolver.js';
import { createWebSocketHub, type WebSocketHub } from '../../../mock-server/websocket/hub.js';
import type { Principal, TokenResolver } from '../../../middleware/types.js';
import { RawClient } from './support/ws.js';

describe('websocket: an asynchronous resolver', () => {
  let mock: MockApp;
  let hub: WebSocketHub;
  let http: Server;
  let url: string;
  let token: string;
  let resolutions = 0;
  const sockets: RawClient[] = [];

  beforeEach(async () => {
    mock = await createMockApp({ inMemory: true });
    const inner = mockResolver({ store: mock.store, hooks: mock.hooks });
    const slow: TokenResolver = {
      resolve: async (t, context) => {
        resolutions++;
        await new Promise((r) => setTimeout(r, 5));
        return inner.resolve(t, context) as Principal;
      },
    };
    hub = createWebSocketHub({ store: mock.store, hooks: mock.hooks, resolver: slow, serverVersion: () => 'test' });
    http = createServer();
    hub.attach(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/api/v4/websocket`;
    const login = await request(mock.app.callback()).post('/api/v4/users/login').send({ login_id: mock.seeded.sysadmin.username, password: mock.seeded.sysadmin.password });
    token = login.headers.token as string;
  });
  afterEach(async () => {
    for (const c of sockets.splice(0)) c.close();
    await hub.close();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await mock.close();
  });

  it('answers a ping queued behind a challenge after the challenge, authenticated', async () => {
    const c = await RawClient.open(url);
    sockets.push(c);
    const challenge = c.send('authentication_challenge', { token });
    const ping = c.send('ping');
    expect((await c.reply(challenge)).status).to.equal('OK');
    expect((await c.reply(ping)).status).to.equal('OK');
    expect(c.frames[0].event).to.equal('hello');
  });

  it('holds events while a stale principal is re-resolved, then delivers them in order', async () => {
    const c = await RawClient.open(url, { Authorization: `Bearer ${token}` });
    sockets.push(c);
    await c.event('hello');
    const before = resolutions;
    mock.hooks.emit('user.roles_changed', { userId: mock.seeded.sysadmin.id, roles: 'system_admin system_user' });
    for (let i = 1; i <= 3; i++) hub.publish({ event: `custom_${i}`, data: { i }, broadcast: {} });
    const third = await c.event('custom_3');
    expect(third.seq).to.equal(3);
    expect(c.frames.map((f) => f.event)).to.deep.equal(['hello', 'custom_1', 'custom_2', 'custom_3']);
    expect(resolutions - before).to.equal(1);
  });
});
