/**
 * Issue 9 item 7: signed revocation events are never silently lost. The mock is the event source
 * (its outbox lives in its database); a second service follows the koa-app pattern
 * (remoteResolver against the mock + eventReceiver, cache TTL 5 min). The service's events
 * endpoint can be cut off (the connection is destroyed, as in a network partition) while its API
 * keeps answering from its cache.
 */
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MockServer, MockServerOptions } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';
import { adminToken, api, createPat, FAST, PATH, SECRET, sourceEvents, startService, until, type Service } from './support/outbox-service.js';

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
