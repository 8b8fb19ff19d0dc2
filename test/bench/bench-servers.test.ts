/**
 * Every benchmark target answers 200 to the tokens the load presents and 401 to an unknown or
 * missing token, so a benchmark can never silently measure an error path. Correctness only: no
 * timing here (the benchmark itself checks the same before it measures).
 */
import { expect } from 'chai';
import { SignJWT } from 'jose';
import request from 'supertest';
import type { MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';
import { compactTokenStore, jwtOf, secretOf, spreadIndexes, syncTokenStore, UNKNOWN_SECRET, usernameOf } from '../../bench/lib/fixtures.js';
import { createPat, httpClient, login } from '../../bench/lib/http.js';
import { buildTarget, type TargetOptions } from '../../bench/servers/targets.js';
import { sha256Hex } from '../../middleware/util/digest.js';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function expectRefusals(options: TargetOptions, badTokens: string[]): Promise<void> {
  const { app } = await buildTarget(options);
  const http = request(app.callback());
  for (const token of badTokens) {
    const res = await http.get('/').set(bearer(token));
    expect(res.status, `${options.kind} with ${token.slice(0, 12)}…`).to.equal(401);
  }
  expect((await http.get('/')).status, `${options.kind} without a token`).to.equal(401);
}

describe('bench: target servers answer 200 / 401 correctly', function () {
  it('bare answers 200 with or without a token', async function () {
    const { app } = await buildTarget({ kind: 'bare' });
    const http = request(app.callback());
    const res = await http.get('/');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ user: 'anonymous' });
    expect((await http.get('/').set(bearer(secretOf(1)))).status).to.equal(200);
  });

  it('bare with heldTokens holds that store (its counter says so) and still answers as bare', async function () {
    const target = await buildTarget({ kind: 'bare', heldTokens: 2000 });
    expect(target.stats()).to.deep.equal({ heldTokens: 2000 });
    const res = await request(target.app.callback()).get('/').set(bearer(UNKNOWN_SECRET));
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ user: 'anonymous' });
  });

  for (const kind of ['map', 'sha-map', 'passport'] as const) {
    it(`${kind}: the load's tokens get 200 and their user; unknown and missing get 401`, async function () {
      const { app } = await buildTarget({ kind, tokens: 1000 });
      const http = request(app.callback());
      for (const i of [0, 1, 999]) {
        const res = await http.get('/').set(bearer(secretOf(i)));
        expect(res.status, `${kind} token ${i}`).to.equal(200);
        expect(res.body).to.deep.equal({ user: usernameOf(i) });
      }
      await expectRefusals({ kind, tokens: 1000 }, [UNKNOWN_SECRET, secretOf(1000)]);
    });
  }

  for (const store of ['objects', 'compact'] as const) {
    it(`middleware (${store} store): tokens spread over the store get 200; unknown, out-of-range and missing get 401`, async function () {
      const n = 20_000;
      const target = await buildTarget({ kind: 'middleware', tokens: n, store });
      const http = request(target.app.callback());
      for (const i of spreadIndexes(n, 7)) {
        const res = await http.get('/').set(bearer(secretOf(i)));
        expect(res.status, `token ${i}`).to.equal(200);
        expect(res.body).to.deep.equal({ user: usernameOf(i % 10_000) });
      }
      expect(target.stats()).to.include({ cached: 7, storeTokens: n });
      await expectRefusals({ kind: 'middleware', tokens: n, store }, [UNKNOWN_SECRET, secretOf(n)]);
    });
  }

  it('the compact store finds exactly the rows the object store holds', function () {
    const objects = syncTokenStore(5000);
    const compact = compactTokenStore(5000);
    for (const i of [0, 1, 2500, 4999]) {
      const digest = sha256Hex(secretOf(i));
      expect(compact.findTokenByDigest(digest)).to.deep.equal(objects.findTokenByDigest(digest));
    }
    for (const digest of [sha256Hex(secretOf(5000)), sha256Hex(UNKNOWN_SECRET), 'not-hex', '']) {
      expect(compact.findTokenByDigest(digest), digest).to.equal(undefined);
    }
  });

  for (const kind of ['jose', 'koa-jwt'] as const) {
    it(`${kind}: HS256 JWTs of the load get 200; a JWT signed with another key and garbage get 401`, async function () {
      const { app } = await buildTarget({ kind });
      const http = request(app.callback());
      const res = await http.get('/').set(bearer(await jwtOf(5)));
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ user: usernameOf(5) });
      const forged = await new SignJWT({ username: 'mallory' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x')
        .sign(new TextEncoder().encode('another-key-another-key-another-key!'));
      await expectRefusals({ kind }, [forged, UNKNOWN_SECRET]);
    });
  }

  describe('remote and receiver (against the mock server)', function () {
    let mock: MockServer;
    let pat: { id: string; token: string };

    before(async function () {
      mock = await startMockServer({ port: 0, inMemory: true });
      const client = httpClient(mock.url, 1);
      try {
        const admin = await login(client, mock.seeded.sysadmin.username, mock.seeded.sysadmin.password);
        pat = await createPat(client, admin, 'bench-servers test');
      } finally {
        client.close();
      }
    });

    after(async function () {
      await mock.close();
    });

    for (const kind of ['remote', 'receiver'] as const) {
      it(`${kind}: a PAT of the mock gets 200 (one upstream call, then cached); unknown and missing get 401`, async function () {
        const options: TargetOptions = { kind, upstream: mock.url, eventSecret: 'a-32-byte-event-secret-for-tests!!' };
        const target = await buildTarget(options);
        const http = request(target.app.callback());
        for (let i = 0; i < 3; i++) {
          const res = await http.get('/').set(bearer(pat.token));
          expect(res.status).to.equal(200);
          expect(res.body).to.deep.equal({ user: mock.seeded.sysadmin.username });
        }
        expect(target.stats()).to.include({ upstreamCalls: 1, cached: 1 });
        await expectRefusals(options, [UNKNOWN_SECRET]);
      });
    }

    it('receiver refuses an unsigned event body (400), so the event path is really mounted', async function () {
      const { app } = await buildTarget({ kind: 'receiver', upstream: mock.url, eventSecret: 'a-32-byte-event-secret-for-tests!!' });
      const res = await request(app.callback()).post('/mattermost-pat/events').set('Content-Type', 'application/jose').send('not-a-jws');
      expect(res.status).to.equal(400);
      expect(res.body).to.include({ id: 'api.events.malformed.app_error' });
    });
  });
});
