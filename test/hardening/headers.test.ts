import { expect } from 'chai';
import type { MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';
import { expectClientError } from './support/fuzz.js';
import { send, sendRaw, type RawReply } from './support/http.js';

const EXPIRED = ['api.context.session_expired.app_error'];

describe('hardening: abusive headers', function () {
  this.timeout(30_000);
  let mock: MockServer;
  let pat: string;
  let host: string;

  before(async () => {
    mock = await startMockServer({ port: 0, inMemory: true });
    host = new URL(mock.url).host;
    const login = await send(mock.url, '/api/v4/users/login', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ login_id: mock.seeded.sysadmin.username, password: mock.seeded.sysadmin.password }),
    });
    const created = await send(mock.url, '/api/v4/users/me/tokens', {
      method: 'POST', headers: { Authorization: `Bearer ${String(login.headers.token)}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ description: 'headers' }),
    });
    expect(created.status).to.equal(200);
    pat = (created.json as { token: string }).token;
  });
  after(async () => { await mock.close(); });

  /** A raw GET /api/v4/users/me with `lines` as extra header lines. */
  const rawMe = (lines: string[], path = '/api/v4/users/me'): Promise<RawReply> => sendRaw(mock.url, Buffer.concat([
    Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n`, 'latin1'),
    ...lines.map((l) => Buffer.concat([Buffer.from(l, 'latin1'), Buffer.from('\r\n')])),
    Buffer.from('\r\n'),
  ]));
  const me = (headers: Record<string, string>) => send(mock.url, '/api/v4/users/me', { headers });
  const jsonOf = (reply: RawReply) => JSON.parse(reply.body) as { id: string; status_code: number };

  afterEach(async () => {
    // Whatever the abuse, the server keeps serving and the token keeps working.
    expect((await send(mock.url, '/api/v4/system/ping')).status).to.equal(200);
    expect((await me({ Authorization: `Bearer ${pat}` })).status).to.equal(200);
  });

  it('an absurdly long Authorization header (8 KB) answers 401 session_expired', async () => {
    expectClientError(await me({ Authorization: `Bearer ${'a'.repeat(8000)}` }), EXPIRED, 'long bearer');
    expectClientError(await me({ Authorization: `Token ${pat}${'x'.repeat(8000)}` }), EXPIRED, 'long token scheme');
  });

  it('headers over the server limit (16 KB) get a 4xx from the HTTP layer, never a 5xx', async () => {
    for (const lines of [
      [`Authorization: Bearer ${'a'.repeat(20_000)}`],
      [`Cookie: MMAUTHTOKEN=${'b'.repeat(20_000)}`],
      Array.from({ length: 3000 }, (_, i) => `X-Filler-${i}: ${'v'.repeat(5)}`),
    ]) {
      const reply = await rawMe(lines);
      expect(reply.status, reply.raw.slice(0, 100)).to.be.within(400, 499);
    }
    const longUrl = await rawMe([], `/api/v4/users/me?x=${'q'.repeat(20_000)}`);
    expect(longUrl.status).to.be.within(400, 499);
  });

  it('an absurdly long or many-valued Cookie header: 401 without a session, 200 with a valid MMAUTHTOKEN among them', async () => {
    expectClientError(await me({ Cookie: `MMAUTHTOKEN=${'c'.repeat(8000)}` }), EXPIRED, 'long cookie');
    const many = Array.from({ length: 700 }, (_, i) => `c${i}=v${i}`).join('; ');
    expectClientError(await me({ Cookie: many }), EXPIRED, 'many cookies, no token');
    expect((await me({ Cookie: `${many}; MMAUTHTOKEN=${pat}` })).status).to.equal(200);
    // Go's r.Cookie semantics: invalid cookie values are skipped, the first valid one wins.
    expect((await me({ Cookie: `MMAUTHTOKEN="bad;"; MMAUTHTOKEN=${pat}` })).status).to.equal(200);
  });

  it('duplicate headers: Authorization keeps the first, Cookie lines are joined; no 5xx', async () => {
    const first = await rawMe([`Authorization: Bearer ${pat}`, 'Authorization: Bearer bbbbbbbbbbbbbbbbbbbbbbbbbb']);
    expect(first.status).to.equal(200);
    const bad = await rawMe(['Authorization: Bearer bbbbbbbbbbbbbbbbbbbbbbbbbb', `Authorization: Bearer ${pat}`]);
    expect(bad.status).to.equal(401);
    expect(jsonOf(bad).id).to.equal(EXPIRED[0]);
    const cookies = await rawMe(['Cookie: a=1', `Cookie: MMAUTHTOKEN=${pat}`]);
    expect(cookies.status).to.equal(200);
    const csrf = await sendRaw(mock.url, `POST /api/v4/users/tokens/search HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n`
      + `Cookie: MMAUTHTOKEN=${pat}\r\nX-CSRF-Token: a\r\nX-CSRF-Token: b\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
    expect(csrf.status).to.equal(401); // the PAT session's CSRF token is '': "a, b" does not match
  });

  it('non-ASCII and control bytes in header values: 401 or 400, never 5xx', async () => {
    for (const value of ['Bearer \u00e9\u00e9\u00e9', 'Bearer \u00c3\u00a9'.repeat(20), `Bearer ${pat}\u00ff`, 'Bearer \u00ff\u00fe\u00fd', 'Bearer \u0001\u0002', 'Bearer a\u007fb']) {
      const reply = await rawMe([`Authorization: ${value}`]);
      expect(reply.status, JSON.stringify(value)).to.be.oneOf([400, 401]);
      if (reply.status === 401) expect(jsonOf(reply).id).to.equal(EXPIRED[0]);
    }
    const cookie = await rawMe(['Cookie: MMAUTHTOKEN=\u00e9\u00e9\u00e9\u00e9']);
    expect(cookie.status).to.equal(401);
    const name = await rawMe(['X-\u00e9t\u00e9: 1']);
    expect(name.status).to.be.within(400, 499);
  });

  it('malformed Authorization schemes answer 401 with a WWW-Authenticate challenge', async () => {
    for (const value of ['Bearer', 'Bearer ', 'Token', 'Basic dXNlcjpwYXNz', 'BEARER\tbbbbbbbbbbbbbbbbbbbbbbbbbb', 'Bearer  ', `Bearer ${pat.toUpperCase()}`, 'Bearer ../../etc/passwd', 'Bearer %00']) {
      const reply = await me({ Authorization: value });
      expectClientError(reply, EXPIRED, JSON.stringify(value));
      expect(reply.headers['www-authenticate']).to.match(/^Bearer realm=/);
    }
  });

  it('conflicting framing headers (smuggling attempts) are refused with 400 by the HTTP layer', async () => {
    const head = `POST /api/v4/users/login HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\nContent-Type: application/json\r\n`;
    for (const framing of ['Content-Length: 2\r\nContent-Length: 5\r\n', 'Content-Length: -1\r\n', 'Content-Length: abc\r\n', 'Content-Length: 2\r\nTransfer-Encoding: chunked\r\n', 'Transfer-Encoding: gzip, chunked, identity\r\n']) {
      const reply = await sendRaw(mock.url, `${head}${framing}\r\n{}`);
      expect(reply.status, framing).to.be.within(400, 499);
    }
  });
});
