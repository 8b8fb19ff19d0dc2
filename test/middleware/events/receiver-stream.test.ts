/**
 * The receiver's fail-safe side: sequence numbers, boot ids and heartbeats. A service with a
 * remote resolver (cache TTL 5 min) and an event receiver: whenever events may have been missed,
 * its cache is dropped, so a token revoked upstream is refused on the next request instead of
 * being served from the cache.
 */
import { expect } from 'chai';
import { SignJWT } from 'jose';
import Koa from 'koa';
import { authenticate } from '../../../middleware/auth/authenticate.js';
import { errorBoundary } from '../../../middleware/errors/error-boundary.js';
import { EVENT_JWT_TYPE, EVENT_MEDIA_TYPE, HEARTBEAT_EVENT } from '../../../middleware/events/event-format.js';
import { eventReceiver, type EventReceiver } from '../../../middleware/events/event-receiver.js';
import { createHookBus, type HookBus } from '../../../middleware/hooks/hook-bus.js';
import { newId } from '../../../middleware/util/ids.js';
import { remoteResolver, type RemoteResolver } from '../../../middleware/remote/remote-resolver.js';
import { requestId } from '../../../middleware/http/request-id.js';
import { startFakeMattermost, type FakeMattermost } from '../support/fake-mattermost.js';
import { listen, type Listening } from '../support/listen.js';

const SECRET = 'a-shared-secret-of-at-least-32-bytes!!';
const PATH = '/mattermost-pat/events';

interface Stream { src: string; boot: string; seq: number; prev: number; coalesced?: number }

function signed(event: string, payload: unknown, stream: Partial<Stream> | undefined, jti = newId()) {
  return new SignJWT({ event, payload, emitted_at: Date.now(), ...stream })
    .setProtectedHeader({ alg: 'HS256', typ: EVENT_JWT_TYPE })
    .setIssuer('mattermost-pat')
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti(jti)
    .sign(new TextEncoder().encode(SECRET));
}

describe('event receiver: sequence, boot id and heartbeat fail safe', () => {
  let upstream: FakeMattermost;
  let hooks: HookBus;
  let resolver: RemoteResolver;
  let receiver: EventReceiver;
  let app: Listening;
  let clock: number;
  let resets: unknown[];
  let applied: string[];
  const token = newId();
  const userId = newId();

  beforeEach(async () => {
    upstream = await startFakeMattermost();
    upstream.users.set(token, { id: userId, username: 'alice', roles: 'system_user' });
    hooks = createHookBus();
    resets = [];
    applied = [];
    hooks.onAny((event, payload) => { if (event === 'cache.reset') resets.push(payload); else applied.push(event); });
    resolver = remoteResolver({ url: upstream.url, hooks, ttlMs: 300_000, negativeTtlMs: 0 });
    clock = 1_000_000;
    receiver = eventReceiver({ hooks, verify: { secret: SECRET }, heartbeatTimeoutMs: 30_000, now: () => clock });
    const koa = new Koa();
    koa.use(requestId());
    koa.use(errorBoundary());
    koa.use(receiver);
    koa.use(authenticate({ resolver }));
    koa.use((ctx) => { ctx.body = { user_id: ctx.state.auth?.userId }; });
    app = await listen(koa);
  });

  afterEach(async () => {
    receiver.close();
    resolver.close();
    await app.close();
    await upstream.stop();
  });

  const post = async (jws: string) => {
    const res = await fetch(`${app.url}${PATH}`, { method: 'POST', headers: { 'Content-Type': EVENT_MEDIA_TYPE }, body: jws });
    return { status: res.status, body: await res.json() as Record<string, unknown> };
  };
  const me = async () => (await fetch(`${app.url}/me`, { headers: { Authorization: `Bearer ${token}` } })).status;
  /** Cache the token, then revoke it upstream only: the cache alone still accepts it. */
  const cachedThenRevokedUpstream = async () => {
    expect(await me()).to.equal(200);
    upstream.users.delete(token);
    expect(await me(), 'served from the cache').to.equal(200);
  };
  const other = () => ({ tokenId: newId(), userId: newId() });

  const src = newId();
  const boot = newId();

  it('first contact resets once; in-order events apply; a redelivered seq is acknowledged and not applied again', async () => {
    expect((await post(await signed('token.revoked', other(), { src, boot, seq: 7, prev: 6 }))).status).to.equal(200);
    expect(resets).to.deep.equal([{ reason: 'source' }]);
    await cachedThenRevokedUpstream();
    const jti = newId();
    expect((await post(await signed('token.disabled', other(), { src, boot, seq: 8, prev: 7 }, jti))).status).to.equal(200);
    expect(resets).to.have.length(1);
    expect(await me(), 'no reset: the cache is trusted while the stream is whole').to.equal(200);
    // The same event again (its answer was lost): 200, same jti, not applied, no reset.
    expect(await post(await signed('token.disabled', other(), { src, boot, seq: 8, prev: 7 }, jti))).to.deep.equal({ status: 200, body: { status: 'OK' } });
    expect(applied).to.deep.equal(['token.revoked', 'token.disabled']);
    expect(receiver.duplicates).to.equal(1);
    expect(receiver.sources().get(src)).to.include({ boot, last: 8 });
  });

  it('a gap (prev is not the last seq) drops the cache: the revoked token is refused at once', async () => {
    await post(await signed('token.revoked', other(), { src, boot, seq: 1, prev: 0 }));
    await cachedThenRevokedUpstream();
    expect((await post(await signed('token.revoked', other(), { src, boot, seq: 5, prev: 4 }))).status).to.equal(200);
    expect(resets.at(-1)).to.deep.equal({ reason: 'gap' });
    expect(await me()).to.equal(401);
    expect(receiver.resets).to.include({ source: 1, gap: 1 });
  });

  it('a new boot id drops the cache, even when the seq looks old', async () => {
    await post(await signed('token.revoked', other(), { src, boot, seq: 10, prev: 9 }));
    await cachedThenRevokedUpstream();
    expect((await post(await signed('config.changed', { keys: [] }, { src, boot: newId(), seq: 3, prev: 2 }))).status).to.equal(200);
    expect(resets.at(-1)).to.deep.equal({ reason: 'boot' });
    expect(applied.at(-1), 'applied, not taken for a redelivery').to.equal('config.changed');
    expect(await me()).to.equal(401);
  });

  it('a new boot redelivering an event already applied (same jti, old seq): acknowledged, not applied again, and still a new boot', async () => {
    const payload = other();
    const jti = newId();
    await post(await signed('token.revoked', payload, { src, boot, seq: 2, prev: 1 }, jti));
    await cachedThenRevokedUpstream();
    const boot2 = newId();
    // Not a 401 replay: the new start's sender would skip it as lost and never tell its boot.
    expect(await post(await signed('token.revoked', payload, { src, boot: boot2, seq: 2, prev: 1 }, jti))).to.deep.equal({ status: 200, body: { status: 'OK' } });
    expect(applied).to.deep.equal(['token.revoked']);
    expect(receiver.duplicates).to.equal(1);
    expect(resets.at(-1)).to.deep.equal({ reason: 'boot' });
    expect(await me(), 'the new boot dropped the cache').to.equal(401);
    expect(receiver.sources().get(src)).to.include({ boot: boot2, last: 2 });
    expect((await post(await signed('config.changed', { keys: [] }, { src, boot: boot2, seq: 3, prev: 2 }))).status).to.equal(200);
    expect(receiver.resets).to.include({ source: 1, boot: 1, gap: 0 });
  });

  it('a heartbeat with a matching prev keeps the cache; one naming a later seq is a gap', async () => {
    await post(await signed('token.revoked', other(), { src, boot, seq: 4, prev: 3 }));
    await cachedThenRevokedUpstream();
    expect((await post(await signed(HEARTBEAT_EVENT, {}, { src, boot, seq: 4, prev: 4 }))).status).to.equal(200);
    expect(await me()).to.equal(200);
    expect(applied, 'a heartbeat is not a hook event').to.deep.equal(['token.revoked']);
    expect((await post(await signed(HEARTBEAT_EVENT, {}, { src, boot, seq: 6, prev: 6 }))).status).to.equal(200);
    expect(resets.at(-1)).to.deep.equal({ reason: 'gap' });
    expect(await me()).to.equal(401);
  });

  it('a source silent for heartbeatTimeoutMs drops the cache, and again every period while it stays silent', async () => {
    await post(await signed(HEARTBEAT_EVENT, {}, { src, boot, seq: 0, prev: 0 }));
    await cachedThenRevokedUpstream();
    clock += 29_000;
    receiver.checkHeartbeats();
    expect(await me(), 'heard 29 s ago: still trusted').to.equal(200);
    clock += 2_000;
    receiver.checkHeartbeats();
    expect(resets.at(-1)).to.deep.equal({ reason: 'heartbeat' });
    expect(await me()).to.equal(401);

    // Re-validated answers are cached again, but not for longer than one more period of silence.
    upstream.users.set(token, { id: userId, username: 'alice', roles: 'system_user' });
    expect(await me()).to.equal(200);
    upstream.users.delete(token);
    clock += 10_000;
    receiver.checkHeartbeats();
    expect(await me(), 'within the period').to.equal(200);
    clock += 21_000;
    receiver.checkHeartbeats();
    expect(receiver.resets.heartbeat).to.equal(2);
    expect(await me()).to.equal(401);

    // Heard again: no more resets.
    await post(await signed(HEARTBEAT_EVENT, {}, { src, boot, seq: 0, prev: 0 }));
    clock += 20_000;
    receiver.checkHeartbeats();
    expect(receiver.resets.heartbeat).to.equal(2);
  });

  it('a coalesced event resets that user only', async () => {
    await post(await signed('token.revoked', other(), { src, boot, seq: 1, prev: 0 }));
    await cachedThenRevokedUpstream();
    const elsewhere = newId();
    await post(await signed('session.revoked', { userId: elsewhere, sessionId: newId() }, { src, boot, seq: 9, prev: 1, coalesced: 8 }));
    expect(resets.at(-1)).to.deep.equal({ reason: 'coalesced', userId: elsewhere });
    expect(await me(), 'another user: kept').to.equal(200);
    await post(await signed('session.revoked', { userId, sessionId: newId() }, { src, boot, seq: 12, prev: 9, coalesced: 3 }));
    expect(resets.at(-1)).to.deep.equal({ reason: 'coalesced', userId });
    expect(await me()).to.equal(401);
  });

  it('refuses partial or ill-typed stream claims and a heartbeat without them (400), changing nothing', async () => {
    const bad: Array<Partial<Stream> | undefined> = [
      { src, seq: 1 }, { src: 'short', boot, seq: 1, prev: 0 }, { src, boot, seq: -1, prev: 0 }, { src, boot, seq: 1.5, prev: 0 },
      { src, boot, seq: 1, prev: 2 }, { src, boot, seq: 2, prev: 1, coalesced: 0 },
    ];
    for (const stream of bad) {
      const res = await post(await signed('token.revoked', other(), stream));
      expect(res, JSON.stringify(stream)).to.deep.include({ status: 400 });
      expect(res.body.id).to.equal('api.events.malformed.app_error');
    }
    for (const stream of [undefined, { src, boot, seq: 2, prev: 1 }]) {
      expect((await post(await signed(HEARTBEAT_EVENT, {}, stream))).status).to.equal(400);
    }
    expect(resets).to.deep.equal([]);
    expect(applied).to.deep.equal([]);
    expect(receiver.sources().size).to.equal(0);
  });

  it('an event without stream claims (an older sender) is applied as before, with no sequence check', async () => {
    expect((await post(await signed('user.deactivated', { userId: newId() }, undefined))).status).to.equal(200);
    expect(applied).to.deep.equal(['user.deactivated']);
    expect(resets).to.deep.equal([]);
  });
});
