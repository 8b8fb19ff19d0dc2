import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';
import { send, type Reply } from './support/http.js';

const json = { 'Content-Type': 'application/json' };

async function login(mock: MockServer, who: { username: string; password: string }): Promise<string> {
  const reply = await send(mock.url, '/api/v4/users/login', { method: 'POST', headers: json, body: JSON.stringify({ login_id: who.username, password: who.password }) });
  expect(reply.status).to.equal(200);
  return String(reply.headers.token);
}

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

async function createToken(mock: MockServer, session: string, userId: string, description: string): Promise<{ id: string; token: string }> {
  const reply = await send(mock.url, `/api/v4/users/${userId}/tokens`, { method: 'POST', headers: { ...auth(session), ...json }, body: JSON.stringify({ description }), timeoutMs: 10_000 });
  expect(reply.status, reply.text).to.equal(200);
  return reply.json as { id: string; token: string };
}

describe('hardening: concurrency', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mmpat-hard-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('200 concurrent token creations for one user: all listed, all on disk after a restart, all authenticate', async () => {
    const dbFile = join(dir, 'db.json');
    let mock = await startMockServer({ port: 0, dbFile });
    let created: { id: string; token: string }[];
    try {
      const admin = await login(mock, mock.seeded.sysadmin);
      created = await Promise.all(Array.from({ length: 200 }, (_, i) => createToken(mock, admin, 'me', `concurrent ${i}`)));
      expect(new Set(created.map((t) => t.id)).size).to.equal(200);
      const listed = await send(mock.url, '/api/v4/users/me/tokens?per_page=200', { headers: auth(admin) });
      expect((listed.json as { id: string }[]).map((t) => t.id).sort()).to.deep.equal(created.map((t) => t.id).sort());
    } finally {
      await mock.close();
    }
    mock = await startMockServer({ port: 0, dbFile });
    try {
      expect(mock.fresh).to.equal(false);
      const admin = await login(mock, mock.seeded.sysadmin);
      const listed = await send(mock.url, '/api/v4/users/me/tokens?per_page=200', { headers: auth(admin) });
      expect((listed.json as { id: string }[]).map((t) => t.id).sort()).to.deep.equal(created.map((t) => t.id).sort());
      const uses = await Promise.all(created.map((t) => send(mock.url, '/api/v4/users/me', { headers: auth(t.token), timeoutMs: 10_000 })));
      expect(uses.map((r) => r.status)).to.deep.equal(created.map(() => 200));
    } finally {
      await mock.close();
    }
  });

  it('revoke or disable racing with uses: no use sent after the revoke/disable returned ever succeeds', async () => {
    const mock = await startMockServer({ port: 0, inMemory: true });
    try {
      const admin = await login(mock, mock.seeded.sysadmin);
      for (let round = 0; round < 8; round++) {
        const pat = await createToken(mock, admin, 'me', `race ${round}`);
        const action = round % 2 === 0 ? 'revoke' : 'disable';
        let revoked = false;
        const afterRevoke: Reply[] = [];
        let beforeOk = 0;
        const user = async (): Promise<void> => {
          let after = 0;
          while (after < 4) {
            const sentAfter = revoked;
            const reply = await send(mock.url, '/api/v4/users/me', { headers: auth(pat.token) });
            if (sentAfter) {
              afterRevoke.push(reply);
              after += 1;
            } else if (reply.status === 200) beforeOk += 1;
          }
        };
        const users = Array.from({ length: 4 }, () => user());
        // Let the uses get going (and the session be cached), then revoke in the middle of them.
        while (beforeOk < 3) await new Promise((r) => setImmediate(r));
        const done = await send(mock.url, `/api/v4/users/tokens/${action}`, { method: 'POST', headers: { ...auth(admin), ...json }, body: JSON.stringify({ token_id: pat.id }) });
        expect(done.status).to.equal(200);
        revoked = true;
        await Promise.all(users);
        expect(afterRevoke.map((r) => r.status), `round ${round} (${action})`).to.deep.equal(afterRevoke.map(() => 401));
        expect(afterRevoke).to.have.lengthOf(16);
      }
    } finally {
      await mock.close();
    }
  });

  it('concurrent role changes leave one consistent roles string on the user, its sessions and its cached PAT principal', async () => {
    const mock = await startMockServer({ port: 0, inMemory: true });
    try {
      const admin = await login(mock, mock.seeded.sysadmin);
      const userId = mock.seeded.user1.id;
      const userSession = await login(mock, mock.seeded.user1);
      const pat = await createToken(mock, admin, userId, 'roles race');
      const choices = ['system_user', 'system_user system_user_access_token', 'system_user system_post_all', 'system_user system_post_all system_user_access_token'];
      for (let round = 0; round < 3; round++) {
        const changes = Array.from({ length: 40 }, (_, i) => send(mock.url, `/api/v4/users/${userId}/roles`, {
          method: 'PUT', headers: { ...auth(admin), ...json }, body: JSON.stringify({ roles: choices[(i * 7 + round) % choices.length] }), timeoutMs: 10_000,
        }));
        const uses = Array.from({ length: 20 }, () => send(mock.url, '/api/v4/users/me/tokens', { headers: auth(pat.token), timeoutMs: 10_000 }));
        const results = await Promise.all([...changes, ...uses]);
        expect(results.slice(0, 40).map((r) => r.status)).to.deep.equal(Array(40).fill(200));
        for (const r of results.slice(40)) expect(r.status).to.be.oneOf([200, 403]);

        const user = mock.store.get('users', userId);
        expect(choices).to.include(user?.roles);
        const sessions = mock.store.findMany('sessions', 'user_id', userId);
        expect(sessions.length).to.be.at.least(2); // the login session and the PAT session
        for (const s of sessions) expect(s.roles, `session ${s.id}`).to.equal(user?.roles);
        const viaApi = await send(mock.url, `/api/v4/users/${userId}`, { headers: auth(admin) });
        expect((viaApi.json as { roles: string }).roles).to.equal(user?.roles);
        // The PAT's cached principal follows: token permissions exactly when the role says so.
        const canRead = user?.roles.includes('system_user_access_token') === true;
        for (const token of [pat.token, userSession]) {
          const probe = await send(mock.url, '/api/v4/users/me/tokens', { headers: auth(token) });
          expect(probe.status, `round ${round}, roles "${user?.roles}"`).to.equal(canRead ? 200 : 403);
        }
      }
    } finally {
      await mock.close();
    }
  });
});
