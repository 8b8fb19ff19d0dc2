/**
 * Revocation events leave the process: with `webhooks`, every token/user/config event is POSTed
 * as a signed JWT by the middleware's event sender — HS256 with a shared secret, or EdDSA with
 * keys whose JWKS the mock serves at `/.well-known/jwks.json`.
 */
import { expect } from 'chai';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';

const SECRET = 'an-hs256-secret-of-at-least-32-bytes!!';

interface Receiver { url: string; bodies: string[]; close(): Promise<void> }

async function receiver(): Promise<Receiver> {
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => {
      bodies.push(body);
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mattermost-pat/events`,
    bodies,
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

async function revokeOneToken(mock: MockServer): Promise<string> {
  const login = await fetch(`${mock.url}/api/v4/users/login`, { method: 'POST', body: JSON.stringify({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' }) });
  const auth = { Authorization: `Bearer ${login.headers.get('Token') ?? ''}` };
  const created = await (await fetch(`${mock.url}/api/v4/users/me/tokens`, { method: 'POST', headers: auth, body: JSON.stringify({ description: 'hook' }) })).json() as { id: string };
  const res = await fetch(`${mock.url}/api/v4/users/tokens/revoke`, { method: 'POST', headers: auth, body: JSON.stringify({ token_id: created.id }) });
  expect(res.status).to.equal(200);
  return created.id;
}

describe('mock server: signed revocation events', () => {
  let rx: Receiver;
  let mock: MockServer | undefined;
  beforeEach(async () => { rx = await receiver(); });
  afterEach(async () => {
    await mock?.close();
    mock = undefined;
    await rx.close();
  });

  it('HS256: a revocation reaches the webhook as a JWT signed with the shared secret', async () => {
    mock = await startMockServer({ port: 0, inMemory: true, webhooks: [rx.url], webhookSecret: SECRET });
    const tokenId = await revokeOneToken(mock);
    const key = new TextEncoder().encode(SECRET);
    const events = async () => Promise.all(rx.bodies.map(async (b) => (await jwtVerify(b, key)).payload));
    await mock.flushEvents(); // every event acknowledged (the first body may be a heartbeat)
    const payloads = await events();
    const revoked = payloads.find((p) => p.event === 'token.revoked');
    expect(revoked?.payload).to.deep.equal({ tokenId, userId: mock.seeded.sysadmin.id });
    expect(payloads.map((p) => p.event)).to.include('token.created');
    const jwks = await fetch(`${mock.url}/.well-known/jwks.json`);
    expect(jwks.status, 'no JWKS without keys').to.equal(404);
  });

  it('flushEvents() resolves once every event emitted so far reached the webhook', async () => {
    mock = await startMockServer({ port: 0, inMemory: true, webhooks: [rx.url], webhookSecret: SECRET });
    await revokeOneToken(mock);
    await mock.flushEvents();
    const key = new TextEncoder().encode(SECRET);
    const names = await Promise.all(rx.bodies.map(async (b) => (await jwtVerify(b, key)).payload.event));
    expect(names).to.include.members(['token.created', 'token.revoked']);
    const withoutWebhooks = await startMockServer({ port: 0, inMemory: true });
    try {
      await withoutWebhooks.flushEvents();
    } finally {
      await withoutWebhooks.close();
    }
  });

  it('EdDSA: without a secret the events are signed with keys published at /.well-known/jwks.json', async () => {
    mock = await startMockServer({ port: 0, inMemory: true, webhooks: [rx.url] });
    const jwks = await fetch(`${mock.url}/.well-known/jwks.json`);
    expect(jwks.status).to.equal(200);
    expect(jwks.headers.get('content-type')).to.equal('application/json');
    const set = await jwks.json() as JSONWebKeySet;
    expect(set.keys).to.have.lengthOf(1);
    expect(set.keys[0]).not.to.have.property('d');
    const tokenId = await revokeOneToken(mock);
    await mock.flushEvents(); // every event acknowledged (the first body may be a heartbeat)
    const verified = await Promise.all(rx.bodies.map(async (b) => (await jwtVerify(b, createLocalJWKSet(set))).payload));
    expect(verified.find((p) => p.event === 'token.revoked')?.payload).to.deep.equal({ tokenId, userId: mock.seeded.sysadmin.id });
  });
});
