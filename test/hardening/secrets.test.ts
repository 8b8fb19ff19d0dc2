import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { safeEqual, sha256Hex } from '../../middleware/util/digest.js';
import type { MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';
import { send, type Reply, type SendOptions } from './support/http.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const json = { 'Content-Type': 'application/json' };
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

interface Recorded { label: string; reply: Reply; mayShowSecret: boolean }

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...await sourceFiles(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

describe('hardening: secrets', function () {
  this.timeout(60_000);
  let dir: string;
  let mock: MockServer | undefined;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mmpat-secrets-')); });
  afterEach(async () => {
    await mock?.close();
    mock = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('after a full lifecycle no response (but create/rotate/login), log line or byte of the database holds a secret; files are 0600', async () => {
    const dbFile = join(dir, 'db.json');
    const server = await startMockServer({ port: 0, dbFile, developerMode: true });
    mock = server;
    const recorded: Recorded[] = [];
    const call = async (label: string, path: string, options: SendOptions = {}, mayShowSecret = false): Promise<Reply> => {
      const reply = await send(server.url, path, options);
      recorded.push({ label, reply, mayShowSecret });
      return reply;
    };
    const post = (label: string, path: string, body: unknown, token: string, mayShowSecret = false) =>
      call(label, path, { method: 'POST', headers: { ...auth(token), ...json }, body: JSON.stringify(body) }, mayShowSecret);

    const newPassword = 'Lifecycle-pass-9';
    const wrongPassword = 'Wrong-guess-7';
    const adminLogin = await call('login admin', '/api/v4/users/login', { method: 'POST', headers: json, body: JSON.stringify({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' }) }, true);
    const admin = String(adminLogin.headers.token);
    const created = await post('create user', '/api/v4/users', { username: 'lifecycle', email: 'lc@example.com', password: newPassword, roles: 'system_user system_user_access_token' }, admin);
    expect(created.status, created.text).to.equal(201);
    const userId = (created.json as { id: string }).id;
    const userLogin = await call('login user (xhr)', '/api/v4/users/login', {
      method: 'POST', headers: { ...json, 'X-Requested-With': 'XMLHttpRequest' }, body: JSON.stringify({ login_id: 'lifecycle', password: newPassword }),
    }, true);
    expect(userLogin.status).to.equal(200);
    const session = String(userLogin.headers.token);
    await call('failed login', '/api/v4/users/login', { method: 'POST', headers: json, body: JSON.stringify({ login_id: 'lifecycle', password: wrongPassword }) });

    const t1 = (await post('create T1', '/api/v4/users/me/tokens', { description: 'one' }, session, true)).json as { id: string; token: string };
    const t2 = (await post('create T2', `/api/v4/users/${userId}/tokens`, { description: 'two' }, admin, true)).json as { id: string; token: string };
    expect((await call('use T1 header', '/api/v4/users/me', { headers: auth(t1.token) })).status).to.equal(200);
    expect((await call('use T1 cookie', '/api/v4/users/me', { headers: { Cookie: `MMAUTHTOKEN=${t1.token}` } })).status).to.equal(200);
    expect((await call('use T1 query', `/api/v4/users/me?access_token=${t1.token}`)).status).to.equal(401);
    await call('list', `/api/v4/users/${userId}/tokens`, { headers: auth(admin) });
    await call('list all', '/api/v4/users/tokens', { headers: auth(admin) });
    await call('get', `/api/v4/users/tokens/${t1.id}`, { headers: auth(admin) });
    await post('search', '/api/v4/users/tokens/search', { term: 'lifecycle' }, admin);
    await call('sessions', `/api/v4/users/${userId}/sessions`, { headers: auth(admin) });
    const rotated = (await post('rotate T2', '/api/v4/users/tokens/rotate', { token_id: t2.id }, admin, true)).json as { token: string };
    expect((await call('use old T2', '/api/v4/users/me', { headers: auth(t2.token) })).status).to.equal(401);
    expect((await call('use new T2', '/api/v4/users/me', { headers: auth(rotated.token) })).status).to.equal(200);
    await post('disable T1', '/api/v4/users/tokens/disable', { token_id: t1.id }, admin);
    expect((await call('use disabled', '/api/v4/users/me', { headers: auth(t1.token) })).status).to.equal(401);
    await post('enable T1', '/api/v4/users/tokens/enable', { token_id: t1.id }, admin);
    await call('deactivate', `/api/v4/users/${userId}/active`, { method: 'PUT', headers: { ...auth(admin), ...json }, body: '{"active":false}' });
    expect((await call('use while deactivated', '/api/v4/users/me', { headers: auth(t1.token) })).status).to.equal(401);
    await call('reactivate', `/api/v4/users/${userId}/active`, { method: 'PUT', headers: { ...auth(admin), ...json }, body: '{"active":true}' });
    await post('revoke T1', '/api/v4/users/tokens/revoke', { token_id: t1.id }, admin);
    expect((await call('use revoked', '/api/v4/users/me', { headers: auth(t1.token) })).status).to.equal(401);
    for (const guess of [t1.token.slice(0, 25), `${t1.token}x`, t1.token.toUpperCase()]) await call('guess', '/api/v4/users/me', { headers: auth(guess) });
    await call('logs', '/api/v4/logs', { headers: auth(admin) });
    await call('config', '/api/v4/config', { headers: auth(admin) });
    await call('logout', '/api/v4/users/logout', { method: 'POST', headers: { ...auth(session), ...json } });

    const secrets: Record<string, string> = {
      'admin session': admin, 'user session': session, T1: t1.token, T2: t2.token, 'rotated T2': rotated.token,
      'new password': newPassword, 'wrong password': wrongPassword, 'seeded admin password': 'Sys@dmin-sample1', 'seeded user password': 'SampleUs@r-1',
    };
    const leaks = (text: string) => Object.entries(secrets).filter(([, s]) => text.includes(s)).map(([name]) => name);

    for (const { label, reply, mayShowSecret } of recorded) {
      if (mayShowSecret) continue;
      const text = `${reply.text}\n${JSON.stringify(reply.headers)}`;
      expect(leaks(text), `response "${label}"`).to.deep.equal([]);
    }
    const logText = server.logs.lines().join('\n');
    expect(server.logs.size).to.be.above(10);
    expect(logText).to.include(t1.id); // logs name token ids…
    expect(leaks(logText), 'log lines').to.deep.equal([]); // …never secrets

    await server.close();
    mock = undefined;
    const files = await readdir(dir);
    expect(files).to.include('db.json');
    for (const name of files) {
      const path = join(dir, name);
      const bytes = await readFile(path, 'utf8');
      expect(leaks(bytes), `file ${name}`).to.deep.equal([]);
      expect((await stat(path)).mode & 0o777, `mode of ${name}`).to.equal(0o600);
    }
    const db = await readFile(dbFile, 'utf8') + await readFile(`${dbFile}.journal`, 'utf8').catch(() => '');
    expect(db).to.include(sha256Hex(rotated.token)); // stored as a SHA-256 digest
    const reopened = await startMockServer({ port: 0, dbFile });
    mock = reopened;
    const user = reopened.store.findOne('users', 'username', 'lifecycle');
    expect(user?.password_hash).to.match(/^scrypt\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/); // slow, salted hash
    for (const u of reopened.store.all('users')) {
      if (!u.is_bot) expect(u.password_hash, u.username).to.match(/^scrypt\$/);
    }
    expect(reopened.store.findOne('tokens', 'digest', sha256Hex(rotated.token))?.id).to.equal(t2.id);
    expect(reopened.store.findOne('tokens', 'digest', sha256Hex(t2.token))).to.equal(undefined);
    for (const s of reopened.store.all('sessions')) expect(s.token_digest).to.match(/^[0-9a-f]{64}$/);
  });

  it('safeEqual (the comparison used for digests and CSRF tokens) is exactly string equality', () => {
    const pair = fc.oneof(
      fc.tuple(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' })),
      fc.string({ unit: 'binary', minLength: 1 }).chain((s) => fc.tuple(fc.constant(s), fc.constantFrom(s, s.slice(0, -1), `${s}x`, s.toUpperCase()))),
      fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => [h, `${h.slice(0, 63)}${h[63] === 'a' ? 'b' : 'a'}`] as [string, string]),
    );
    fc.assert(fc.property(pair, ([a, b]) => safeEqual(a, b) === (a === b)), { numRuns: 300, seed: 7 });
  });

  it('source audit: no secret-bearing value (digest, secret, csrf, password, token) is compared with === / !== except to a constant', async () => {
    const SECRETISH = /\b(\w*digest|\w*secret|csrf\w*|\w*password\w*|token)\b/i;
    const CONSTANT = /^(undefined|null|''|""|'string'|'\w*'|\d+|typeof\b.*)$/;
    const findings: string[] = [];
    for (const dir of ['middleware', 'mock-server']) {
      for (const file of await sourceFiles(join(ROOT, dir))) {
        const lines = (await readFile(file, 'utf8')).split('\n');
        lines.forEach((line, i) => {
          for (const m of line.matchAll(/([\w.[\]'"]+)\s*[!=]==\s*([\w.[\]'"]+)/g)) {
            const [left = '', right = ''] = [m[1], m[2]];
            // A quoted name ('digest', an index's name) is a constant, not a secret-bearing value.
            const named = (side: string) => SECRETISH.test(side) && !CONSTANT.test(side);
            const secretSide = named(left) ? right : named(right) ? left : undefined;
            if (secretSide !== undefined && !CONSTANT.test(secretSide) && !line.includes('typeof')) findings.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
          }
        });
      }
    }
    expect(findings).to.deep.equal([]);
  });
});
