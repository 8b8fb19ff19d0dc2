import { expect } from 'chai';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import type { MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';
import { ENDPOINTS, fillPath, paramNames, type Endpoint, type Seeds } from './support/catalogue.js';
import { badBody, badId, badNumber, DEEP_OBJECT, expectClientError, fingerprint, inPath } from './support/fuzz.js';
import { send, type Reply } from './support/http.js';

/** Fixed seed: the same inputs on every run (set FC_SEED to explore others). */
const SEED = Number(process.env.FC_SEED ?? 0x6b1d);
const ROUTER_IDS = ['api.context.invalid_url_param.app_error', 'api.context.404.app_error'];

describe('hardening: every endpoint, bad input', function () {
  this.timeout(60_000);
  let mock: MockServer;
  let admin: string;
  let seeds: Seeds;

  let pristine: string;
  const login = async () => {
    const reply = await send(mock.url, '/api/v4/users/login', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ login_id: mock.seeded.sysadmin.username, password: mock.seeded.sysadmin.password }),
    });
    expect(reply.status).to.equal(200);
    admin = String(reply.headers.token);
  };

  before(async () => {
    mock = await startMockServer({ port: 0, inMemory: true });
    await login();
    pristine = fingerprint(mock.store);
    const { team, channels } = mock.seeded;
    seeds = { adminId: mock.seeded.sysadmin.id, userId: mock.seeded.user1.id, teamId: team?.id ?? '', channelId: channels['town-square']?.id ?? '' };
  });
  after(async () => { await mock.close(); });
  // Tests that legitimately change data (the description round trip) leave the next one a clean seed.
  beforeEach(async () => {
    if (fingerprint(mock.store) === pristine) return;
    await mock.reset();
    await login();
    pristine = fingerprint(mock.store);
  });

  const call = (e: Endpoint, path: string, body?: string): Promise<Reply> => send(mock.url, path, {
    method: e.method,
    headers: { Authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body,
  });
  const validParams = (e: Endpoint): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(e.params ?? {})) out[name] = value(seeds);
    return out;
  };
  const label = (e: Endpoint) => `${e.method} ${e.path}`;

  for (const e of ENDPOINTS.filter((x) => paramNames(x.path).length > 0)) {
    it(`${label(e)}: a bad id in the URL answers 400/404 with the right id and changes nothing`, async () => {
      const names = paramNames(e.path);
      await fc.assert(fc.asyncProperty(fc.constantFrom(...names), badId, fc.boolean(), async (name, value, raw) => {
        const before = fingerprint(mock.store);
        const path = fillPath(e.path, { ...validParams(e), [name]: inPath(value, raw) });
        const reply = await call(e, path, e.fields === undefined ? undefined : '{}');
        expectClientError(reply, [...ROUTER_IDS, ...(e.badParam ?? [])], `${e.method} ${path}`);
        expect(fingerprint(mock.store), `${e.method} ${path} changed stored data`).to.equal(before);
      }), { numRuns: 15, seed: SEED });
    });
  }

  for (const e of ENDPOINTS.filter((x) => x.fields !== undefined && x.noBodyFuzz !== true)) {
    it(`${label(e)}: malformed JSON, arrays, scalars, wrong types, extra fields answer 4xx with the right id and change nothing`, async () => {
      await fc.assert(fc.asyncProperty(badBody(e.fields ?? {}), async (body) => {
        const before = fingerprint(mock.store);
        const path = fillPath(e.path, validParams(e));
        const reply = await call(e, path, body);
        const what = `${e.method} ${path} ${body.slice(0, 120)}`;
        if (e.lenientBody === true && reply.status === 200) expect(reply.json, what).to.deep.equal([]);
        // Any body may be refused as a whole (e.g. nested too deep) with invalid_body_param.
        else expectClientError(reply, [...(e.badBody ?? []), 'api.context.invalid_body_param.app_error'], what);
        expect(fingerprint(mock.store), `${what} changed stored data`).to.equal(before);
      }), { numRuns: 25, seed: SEED });
    });
  }

  it('JSON nested 100 000 deep in any field of any body answers 400 invalid_body_param, never a stack overflow', async () => {
    for (const e of ENDPOINTS.filter((x) => x.fields !== undefined && x.noBodyFuzz !== true)) {
      for (const field of [...Object.keys(e.fields ?? {}), 'props', 'unknown_field']) {
        const before = fingerprint(mock.store);
        const path = fillPath(e.path, validParams(e));
        const reply = await call(e, path, `{"${field}":${DEEP_OBJECT}}`);
        expectClientError(reply, ['api.context.invalid_body_param.app_error'], `${e.method} ${path} deep ${field}`);
        expect(fingerprint(mock.store)).to.equal(before);
      }
    }
  });

  it('moderately nested JSON (200 deep) in post props is still accepted', async () => {
    const channel = seeds.channelId;
    const props = `${'{"a":'.repeat(200)}1${'}'.repeat(200)}`;
    const reply = await send(mock.url, '/api/v4/posts', {
      method: 'POST', headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
      body: `{"channel_id":"${channel}","message":"deep props","props":${props}}`,
    });
    expect(reply.status, reply.text.slice(0, 200)).to.equal(201);
  });

  for (const e of ENDPOINTS.filter((x) => x.query !== undefined)) {
    it(`${label(e)}: negative, huge and garbage paging values fall back to defaults (200), never 5xx`, async () => {
      await fc.assert(fc.asyncProperty(fc.constantFrom(...(e.query ?? [])), badNumber, async (name, value) => {
        const path = `${fillPath(e.path, validParams(e))}?${name}=${encodeURIComponent(value)}`;
        const reply = await call(e, path);
        expect(reply.status, `${path} → ${reply.text.slice(0, 200)}`).to.equal(200);
        expect(reply.headers['content-type']).to.equal('application/json');
        expect(reply.json, path).to.not.equal(undefined);
      }), { numRuns: 20, seed: SEED });
    });
  }

  it('unicode, emoji, NUL and injection-looking descriptions are stored verbatim or refused as too long, never 5xx', async () => {
    const description = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 100 }),
      fc.constantFrom("'; DROP TABLE UserAccessTokens; --", '{"$ne":null}', '\u0000\u0000', '😀'.repeat(255), '😀'.repeat(256), '\ud800x'),
    );
    await fc.assert(fc.asyncProperty(description, async (text) => {
      const created = await send(mock.url, '/api/v4/users/me/tokens', {
        method: 'POST', headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ description: text }),
      });
      if ([...text].length > 255) {
        expectClientError(created, ['model.user_access_token.is_valid.description.app_error'], 'long description');
        return;
      }
      expect(created.status, created.text).to.equal(200);
      const { id } = created.json as { id: string };
      const read = await send(mock.url, `/api/v4/users/tokens/${id}`, { headers: { Authorization: `Bearer ${admin}` } });
      expect(read.status).to.equal(200);
      expect((read.json as { description: string }).description).to.equal(JSON.parse(JSON.stringify(text)));
    }), { numRuns: 60, seed: SEED });
  });

  describe('body size limit (default 1 MB)', () => {
    /** A body stream that sends some bytes and then never ends. */
    const endless = (first: number) => new Readable({
      read() {
        if (first > 0) {
          const n = Math.min(first, 64 * 1024);
          first -= n;
          this.push(Buffer.alloc(n, 0x61));
        }
      },
    });

    it('a Content-Length over the limit gets 413 at once, without the rest of the body being read', async () => {
      const before = fingerprint(mock.store);
      const reply = await send(mock.url, '/api/v4/users/me/tokens', {
        method: 'POST',
        headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json', 'Content-Length': String(1024 * 1024 + 1) },
        body: endless(1024),
      });
      expectClientError(reply, ['api.context.request_body_too_large.app_error'], '413 by Content-Length');
      expect(fingerprint(mock.store)).to.equal(before);
    });

    it('a chunked body that never ends gets 413 once it passes the limit', async () => {
      const reply = await send(mock.url, '/api/v4/users/login', {
        method: 'POST', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, body: endless(2 * 1024 * 1024),
      });
      expectClientError(reply, ['api.context.request_body_too_large.app_error'], '413 chunked');
    });

    it('a body just under the limit is read and refused as a bad body, and the server keeps serving', async () => {
      const body = JSON.stringify({ description: 'x'.repeat(1024 * 1024 - 40) });
      const reply = await send(mock.url, '/api/v4/users/me/tokens', {
        method: 'POST', headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' }, body,
      });
      expectClientError(reply, ['model.user_access_token.is_valid.description.app_error'], 'just under the limit');
      expect((await send(mock.url, '/api/v4/system/ping')).status).to.equal(200);
    });
  });
});
