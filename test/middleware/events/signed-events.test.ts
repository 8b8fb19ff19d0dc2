import { expect } from 'chai';
import { request as httpRequest } from 'node:http';
import { SignJWT, UnsecuredJWT, base64url, type JWK } from 'jose';
import Koa from 'koa';
import { authenticate } from '../../../middleware/auth/authenticate.js';
import { errorBoundary } from '../../../middleware/errors/error-boundary.js';
import { EVENT_JWT_TYPE, EVENT_MEDIA_TYPE } from '../../../middleware/events/event-format.js';
import { generateEventKeys, jwksHandler, publicJwks, type EventKeys } from '../../../middleware/events/event-keys.js';
import { eventReceiver, type EventReceiverOptions } from '../../../middleware/events/event-receiver.js';
import { createEventSender, type EventSender, type EventSenderOptions } from '../../../middleware/events/event-sender.js';
import { createHookBus, type HookBus, type HookEventMeta, type HookEventName } from '../../../middleware/hooks/hook-bus.js';
import { newId } from '../../../middleware/util/ids.js';
import { remoteResolver } from '../../../middleware/remote/remote-resolver.js';
import { requestId } from '../../../middleware/http/request-id.js';
import { startFakeMattermost, type FakeMattermost } from '../support/fake-mattermost.js';
import { listen, type Listening } from '../support/listen.js';

const SECRET = 'a-shared-secret-of-at-least-32-bytes!!';
const PATH = '/mattermost-pat/events';

interface Received { event: HookEventName; payload: unknown; meta: HookEventMeta }

/** Every event a bus sees, but the receiver's fail-safe `cache.reset` signals (see `resetsOn`). */
function spy(hooks: HookBus): Received[] {
  const seen: Received[] = [];
  hooks.onAny((event, payload, meta) => { if (event !== 'cache.reset') seen.push({ event, payload, meta }); });
  return seen;
}

/** The `cache.reset` signals a bus sees. */
function resetsOn(hooks: HookBus): unknown[] {
  const seen: unknown[] = [];
  hooks.on('cache.reset', (payload) => { seen.push(payload); });
  return seen;
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check(), what).to.equal(true);
}

/** A receiving app: request id, error boundary, an optional gate in front, the receiver. */
async function receivingApp(hooks: HookBus, options: Partial<EventReceiverOptions> = {}, before?: Koa.Middleware) {
  const koa = new Koa();
  koa.use(requestId());
  koa.use(errorBoundary());
  if (before) koa.use(before);
  koa.use(eventReceiver({ hooks, verify: { secret: SECRET }, ...options }));
  koa.use((ctx) => { ctx.status = 404; ctx.body = 'not here'; });
  return listen(koa);
}

/** Sign claims like a sender would; `claims` may override anything. */
function signed(claims: Record<string, unknown> = {}, secret: string = SECRET, iat = Math.floor(Date.now() / 1000)) {
  return new SignJWT({ event: 'token.revoked', payload: { tokenId: newId(), userId: newId() }, emitted_at: Date.now(), ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: EVENT_JWT_TYPE })
    .setIssuer('mattermost-pat')
    .setIssuedAt(iat)
    .setExpirationTime(iat + 300)
    .setJti(typeof claims.jti === 'string' ? claims.jti : newId())
    .sign(new TextEncoder().encode(secret));
}

const post = (url: string, body: string, type = EVENT_MEDIA_TYPE) =>
  fetch(`${url}${PATH}`, { method: 'POST', headers: { 'Content-Type': type }, body });

async function errorOf(res: Response): Promise<{ status: number; id: unknown; type: string | null }> {
  const body = await res.json() as Record<string, unknown>;
  expect(body.status_code).to.equal(res.status);
  expect(body).to.have.keys('id', 'message', 'detailed_error', 'request_id', 'status_code');
  return { status: res.status, id: body.id, type: res.headers.get('content-type') };
}

describe('signed events', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  const sender = (options: Partial<EventSenderOptions> & Pick<EventSenderOptions, 'hooks' | 'targets'>): EventSender => {
    const s = createEventSender({ signing: { alg: 'HS256', secret: SECRET }, retryBaseMs: 5, ...options });
    cleanup.push(() => s.close());
    return s;
  };
  const serve = async (hooks: HookBus, options?: Partial<EventReceiverOptions>, before?: Koa.Middleware) => {
    const app = await receivingApp(hooks, options, before);
    cleanup.push(() => app.close());
    return app;
  };

  describe('end to end (HS256)', () => {
    let upstream: FakeMattermost;
    let busA: HookBus;
    let busB: HookBus;
    let appB: Listening;

    beforeEach(async () => {
      upstream = await startFakeMattermost();
      cleanup.push(() => upstream.stop());
      busA = createHookBus();
      busB = createHookBus();
      const resolver = remoteResolver({ url: upstream.url, hooks: busB });
      cleanup.push(() => resolver.close());
      const koa = new Koa();
      koa.use(requestId());
      koa.use(errorBoundary());
      koa.use(eventReceiver({ hooks: busB, verify: { secret: SECRET } }));
      koa.use(authenticate({ resolver }));
      koa.use((ctx) => { ctx.body = { user_id: ctx.state.auth?.userId }; });
      appB = await listen(koa);
      cleanup.push(() => appB.close());
    });

    it('an event emitted on A arrives on B as remote and evicts B\'s cache: the token is refused at once', async () => {
      const userId = newId();
      const token = newId();
      upstream.users.set(token, { id: userId, username: 'alice', roles: 'system_user' });
      const receivedOnB = spy(busB);
      const resetsOnB = resetsOn(busB);
      const s = sender({ hooks: busA, targets: [`${appB.url}${PATH}`] });
      // The sender's first heartbeat introduces the source: B resets once, before it caches anything.
      await until(() => s.heartbeats === 1, 'first heartbeat');
      expect(resetsOnB).to.deep.equal([{ reason: 'source' }]);
      const me = () => fetch(`${appB.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${token}` } });

      expect((await me()).status).to.equal(200);
      upstream.users.delete(token);
      expect((await me()).status).to.equal(200); // B's cache still trusts it

      const tokenId = newId();
      const meta = busA.emit('token.revoked', { tokenId, userId });
      await s.flush();
      expect(s.delivered).to.equal(1);
      expect(s.pending).to.equal(0);
      expect(receivedOnB).to.have.length(1);
      expect(receivedOnB[0].event).to.equal('token.revoked');
      expect(receivedOnB[0].payload).to.deep.equal({ tokenId, userId });
      expect(receivedOnB[0].meta).to.deep.equal({ eventId: meta.eventId, emittedAt: meta.emittedAt, remote: true });

      const refused = await me();
      expect(refused.status).to.equal(401);
      expect((await errorOf(refused)).id).to.equal('api.context.session_expired.app_error');
      expect(upstream.calls).to.equal(2);
    });

    it('a sender with the wrong secret is refused once (401, not retried) and nothing is emitted', async () => {
      const receivedOnB = spy(busB);
      const s = sender({ hooks: busA, targets: [`${appB.url}${PATH}`], signing: { alg: 'HS256', secret: 'another-secret-that-is-32-bytes-long' } });
      busA.emit('user.deactivated', { userId: newId() });
      await s.flush();
      expect(s.delivered).to.equal(0);
      expect(s.dropped).to.equal(1);
      expect(receivedOnB).to.have.length(0);
    });
  });

  describe('receiver checks', () => {
    let bus: HookBus;
    let received: Received[];
    let app: Listening;

    beforeEach(async () => {
      bus = createHookBus();
      received = spy(bus);
      app = await serve(bus, { issuer: 'mattermost-pat' });
    });

    it('accepts a valid event: 200 {"status":"OK"} as application/json', async () => {
      const userId = newId();
      const res = await post(app.url, await signed({ event: 'user.roles_changed', payload: { userId, roles: 'system_user', extra: 'dropped' } }));
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('application/json');
      expect(await res.text()).to.equal('{"status":"OK"}');
      expect(received).to.have.length(1);
      expect(received[0].payload).to.deep.equal({ userId, roles: 'system_user' });
      expect(received[0].meta.remote).to.equal(true);
    });

    it('rejects a tampered payload and a wrong secret with 401 invalid_signature', async () => {
      const [h, , sig] = (await signed()).split('.');
      const forged = base64url.encode(JSON.stringify({ iss: 'mattermost-pat', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60, jti: newId(), event: 'config.changed', payload: { keys: [] }, emitted_at: Date.now() }));
      for (const jws of [`${h}.${forged}.${sig}`, await signed({}, 'not-the-secret-but-also-32-bytes-long')]) {
        const err = await errorOf(await post(app.url, jws));
        expect(err).to.deep.equal({ status: 401, id: 'api.events.invalid_signature.app_error', type: 'application/json' });
      }
      expect(received).to.have.length(0);
    });

    it('rejects alg none', async () => {
      const now = Math.floor(Date.now() / 1000);
      const jws = new UnsecuredJWT({ event: 'config.changed', payload: { keys: [] }, emitted_at: Date.now() })
        .setIssuer('mattermost-pat').setIssuedAt(now).setExpirationTime(now + 60).setJti(newId()).encode();
      expect(jws.endsWith('.')).to.equal(true);
      expect((await errorOf(await post(app.url, jws))).id).to.equal('api.events.invalid_signature.app_error');
      expect(received).to.have.length(0);
    });

    it('rejects an EdDSA-signed event when HS256 is configured', async () => {
      const keys = await generateEventKeys();
      const jws = await new SignJWT({ event: 'config.changed', payload: { keys: [] }, emitted_at: Date.now() })
        .setProtectedHeader({ alg: 'EdDSA', typ: EVENT_JWT_TYPE, kid: keys.kid })
        .setIssuer('mattermost-pat').setIssuedAt().setExpirationTime('1m').setJti(newId()).sign(keys.privateKey);
      expect((await errorOf(await post(app.url, jws))).status).to.equal(401);
      expect(received).to.have.length(0);
    });

    it('rejects a wrong issuer or a missing typ with 401', async () => {
      const wrongIss = await new SignJWT({ event: 'config.changed', payload: { keys: [] }, emitted_at: Date.now() })
        .setProtectedHeader({ alg: 'HS256', typ: EVENT_JWT_TYPE }).setIssuer('someone-else')
        .setIssuedAt().setExpirationTime('1m').setJti(newId()).sign(new TextEncoder().encode(SECRET));
      const noTyp = await new SignJWT({ event: 'config.changed', payload: { keys: [] }, emitted_at: Date.now() })
        .setProtectedHeader({ alg: 'HS256' }).setIssuer('mattermost-pat')
        .setIssuedAt().setExpirationTime('1m').setJti(newId()).sign(new TextEncoder().encode(SECRET));
      for (const jws of [wrongIss, noTyp]) {
        expect(await errorOf(await post(app.url, jws))).to.include({ status: 401, id: 'api.events.invalid_signature.app_error' });
      }
      expect(received).to.have.length(0);
    });

    it('rejects a stale iat, a future iat and an expired token with 401 expired', async () => {
      const now = Math.floor(Date.now() / 1000);
      for (const iat of [now - 120, now + 60, now - 400]) {
        expect(await errorOf(await post(app.url, await signed({}, SECRET, iat)))).to.include({ status: 401, id: 'api.events.expired.app_error' });
      }
      expect(received).to.have.length(0);
    });

    it('rejects a replayed jti with 401 replayed, emitting once', async () => {
      const jws = await signed();
      expect((await post(app.url, jws)).status).to.equal(200);
      expect(await errorOf(await post(app.url, jws))).to.include({ status: 401, id: 'api.events.replayed.app_error' });
      expect(received).to.have.length(1);
    });

    it('answers 400 malformed for garbage, wrong media type, unknown event, bad payload, missing jti', async () => {
      const now = Math.floor(Date.now() / 1000);
      const noJti = await new SignJWT({ event: 'config.changed', payload: { keys: [] }, emitted_at: Date.now() })
        .setProtectedHeader({ alg: 'HS256', typ: EVENT_JWT_TYPE }).setIssuer('mattermost-pat')
        .setIssuedAt(now).setExpirationTime(now + 60).sign(new TextEncoder().encode(SECRET));
      const cases: Array<[string, string?]> = [
        ['hello'],
        ['not.a.jws!'],
        [`${base64url.encode('{not json')}.${base64url.encode('{}')}.c2ln`],
        [JSON.stringify({ jws: await signed() }), 'application/json'],
        [await signed({ event: 'token.exploded' })],
        [await signed({ event: 'user.deactivated', payload: { userId: 42 } })],
        [await signed({ event: 'token.revoked', payload: 'x' })],
        [await signed({ event: 'config.changed', payload: { keys: [1, 2] } })],
        [await signed({ emitted_at: 'yesterday' })],
        [await signed({ jti: 'short' })],
        [noJti],
      ];
      for (const [body, type] of cases) {
        const err = await errorOf(await post(app.url, body, type));
        expect(err, body.slice(0, 40)).to.deep.equal({ status: 400, id: 'api.events.malformed.app_error', type: 'application/json' });
      }
      expect(received).to.have.length(0);
    });

    it('answers 413 for a body over 64 KiB', async () => {
      const res = await post(app.url, 'a'.repeat(70 * 1024));
      expect(await errorOf(res)).to.include({ status: 413, id: 'api.context.request_body_too_large.app_error' });
      expect(received).to.have.length(0);
    });

    it('answers 413 for a chunked body that grows over 64 KiB, without hanging', async () => {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(`${app.url}${PATH}`, { method: 'POST', headers: { 'Content-Type': EVENT_MEDIA_TYPE } }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (c: string) => { text += c; }).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        for (let i = 0; i < 10; i++) req.write('a'.repeat(8 * 1024));
        req.end();
      });
      expect(status).to.equal(413);
      expect(JSON.parse(body)).to.include({ id: 'api.context.request_body_too_large.app_error', status_code: 413 });
      expect(received).to.have.length(0);
    });

    it('leaves other methods and paths to the next middleware', async () => {
      expect((await fetch(`${app.url}${PATH}`)).status).to.equal(404);
      expect((await fetch(`${app.url}/other`, { method: 'POST', headers: { 'Content-Type': EVENT_MEDIA_TYPE }, body: await signed() })).status).to.equal(404);
      expect(received).to.have.length(0);
    });
  });

  describe('EdDSA with the JWKS served over HTTP by the sender side', () => {
    let keys: EventKeys;
    let jwksApp: Listening;

    beforeEach(async () => {
      keys = await generateEventKeys();
      const koa = new Koa();
      koa.use(jwksHandler([keys], { path: '/.well-known/jwks.json' }));
      jwksApp = await listen(koa);
      cleanup.push(() => jwksApp.close());
    });

    it('publishes only public members and delivers a signed event', async () => {
      const jwks = await (await fetch(`${jwksApp.url}/.well-known/jwks.json`)).json() as { keys: JWK[] };
      expect(jwks.keys).to.have.length(1);
      expect(jwks.keys[0]).to.include({ kty: 'OKP', crv: 'Ed25519', kid: keys.kid, alg: 'EdDSA', use: 'sig' });
      expect(jwks.keys[0]).not.to.have.property('d');

      const busA = createHookBus();
      const busB = createHookBus();
      const received = spy(busB);
      const appB = await serve(busB, { verify: { jwksUrl: `${jwksApp.url}/.well-known/jwks.json` } });
      const s = sender({ hooks: busA, targets: [`${appB.url}${PATH}`], signing: { alg: 'EdDSA', privateKey: keys.privateKey, kid: keys.kid } });
      const userId = newId();
      busA.emit('user.deactivated', { userId });
      await s.flush();
      expect(s.delivered).to.equal(1);
      expect(received.map((r) => r.payload)).to.deep.equal([{ userId }]);
    });

    it('refuses an unknown key and HS256 signed with the public key bytes (alg confusion)', async () => {
      const bus = createHookBus();
      const received = spy(bus);
      const app = await serve(bus, { verify: { jwks: publicJwks([keys]) } });
      const other = await generateEventKeys();
      const unknownKey = await new SignJWT({ event: 'config.changed', payload: { keys: [] }, emitted_at: Date.now() })
        .setProtectedHeader({ alg: 'EdDSA', typ: EVENT_JWT_TYPE, kid: other.kid }).setIssuer('mattermost-pat')
        .setIssuedAt().setExpirationTime('1m').setJti(newId()).sign(other.privateKey);
      const confused = await new SignJWT({ event: 'config.changed', payload: { keys: [] }, emitted_at: Date.now() })
        .setProtectedHeader({ alg: 'HS256', typ: EVENT_JWT_TYPE, kid: keys.kid }).setIssuer('mattermost-pat')
        .setIssuedAt().setExpirationTime('1m').setJti(newId())
        .sign(new TextEncoder().encode(JSON.stringify(keys.publicJwk)));
      for (const jws of [unknownKey, confused]) {
        expect(await errorOf(await post(app.url, jws))).to.include({ status: 401, id: 'api.events.invalid_signature.app_error' });
      }
      expect(received).to.have.length(0);
    });

    it('answers 503 keys_unavailable when the JWKS cannot be fetched', async () => {
      const bus = createHookBus();
      await jwksApp.close();
      const app = await serve(bus, { verify: { jwksUrl: `${jwksApp.url}/.well-known/jwks.json` } });
      const jws = await new SignJWT({ event: 'config.changed', payload: { keys: [] }, emitted_at: Date.now() })
        .setProtectedHeader({ alg: 'EdDSA', typ: EVENT_JWT_TYPE, kid: keys.kid }).setIssuer('mattermost-pat')
        .setIssuedAt().setExpirationTime('1m').setJti(newId()).sign(keys.privateKey);
      expect(await errorOf(await post(app.url, jws))).to.include({ status: 503, id: 'api.events.keys_unavailable.app_error' });
    });
  });

  describe('sender', () => {
    it('retries a target failing twice with 503 and delivers the event exactly once', async () => {
      const bus = createHookBus();
      const received = spy(bus);
      let attempts = 0;
      const app = await serve(bus, {}, async (ctx, next) => {
        attempts++;
        if (attempts <= 2) { ctx.status = 503; ctx.body = 'busy'; return; }
        await next();
      });
      const busA = createHookBus();
      const s = sender({ hooks: busA, targets: [`${app.url}${PATH}`] });
      busA.emit('token.disabled', { tokenId: newId(), userId: newId() });
      await s.flush();
      expect(attempts).to.equal(3);
      expect(s.delivered).to.equal(1);
      expect(s.dropped).to.equal(0);
      expect(received).to.have.length(1);
    });

    it('gives up after `retries` on 5xx and on network errors, counting the drops', async () => {
      let attempts = 0;
      const failing = await listen((_req, res) => { attempts++; res.writeHead(500).end(); });
      cleanup.push(() => failing.close());
      const closed = await listen((_req, res) => { res.end(); });
      await closed.close();
      const busA = createHookBus();
      const s = sender({ hooks: busA, targets: [`${failing.url}${PATH}`, `${closed.url}${PATH}`], retries: 2, heartbeatMs: 0 });
      busA.emit('config.changed', { keys: [] });
      await s.flush();
      expect(attempts).to.equal(3);
      expect(s.delivered).to.equal(0);
      expect(s.dropped).to.equal(2);
    });

    it('does not forward remote events (no loops between two processes)', async () => {
      const busA = createHookBus();
      const busB = createHookBus();
      const seenA = spy(busA);
      const seenB = spy(busB);
      const appA = await serve(busA);
      const appB = await serve(busB);
      const sA = sender({ hooks: busA, targets: [`${appB.url}${PATH}`] });
      const sB = sender({ hooks: busB, targets: [`${appA.url}${PATH}`] });
      busA.emit('session.revoked', { userId: newId(), sessionId: newId() });
      await sA.flush();
      await sB.flush();
      expect(seenA.map((r) => r.meta.remote)).to.deep.equal([false]);
      expect(seenB.map((r) => r.meta.remote)).to.deep.equal([true]);
      expect(sA.delivered).to.equal(1);
      expect(sB.delivered + sB.pending + sB.dropped).to.equal(0);
    });

    it('close() waits for deliveries only up to closeTimeoutMs, then aborts, keeps them in the outbox and ignores later events', async () => {
      let arrived = 0;
      const hanging = await listen(() => { arrived++; });
      cleanup.push(() => hanging.close());
      const busA = createHookBus();
      const s = createEventSender({ hooks: busA, targets: [`${hanging.url}${PATH}`], signing: { alg: 'HS256', secret: SECRET }, closeTimeoutMs: 50 });
      busA.emit('config.changed', { keys: [] });
      busA.emit('config.changed', { keys: [] });
      while (arrived === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await s.close();
      expect(s.pending, 'still owed: a durable outbox delivers them after a restart').to.equal(2);
      expect(s.outbox.size).to.equal(2);
      expect(s.dropped).to.equal(0);
      busA.emit('config.changed', { keys: [] });
      expect(s.pending).to.equal(2);
    });

    it('refuses an HS256 secret shorter than 32 bytes', () => {
      expect(() => createEventSender({ hooks: createHookBus(), targets: [], signing: { alg: 'HS256', secret: 'short' } })).to.throw(TypeError);
      expect(() => eventReceiver({ hooks: createHookBus(), verify: { secret: 'short' } })).to.throw(TypeError);
    });
  });
});
