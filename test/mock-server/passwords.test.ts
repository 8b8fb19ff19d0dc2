import { expect } from 'chai';
import { FAST_SCRYPT_N, MAX_CONCURRENT_HASHES, hashPassword, hashingStats, resetHashingStats, verifyPassword } from '../../mock-server/passwords.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMockApp } from '../../mock-server/index.js';
import { login } from '../../mock-server/services/login.js';

describe('mock server: password hashing', () => {
  it(`runs at most ${MAX_CONCURRENT_HASHES} scrypt hashes at once; the queued ones all complete with correct results`, async () => {
    const stored = await hashPassword('Right-pass-1');
    resetHashingStats();
    let maxSeen = 0;
    const sample = setInterval(() => { maxSeen = Math.max(maxSeen, hashingStats().running); }, 1);
    const checks = Array.from({ length: 12 }, (_, i) => verifyPassword(i % 3 === 0 ? 'Right-pass-1' : `wrong-${i}`, stored));
    // Sampled synchronously too: right after the burst is queued only the bound runs.
    expect(hashingStats().running).to.equal(MAX_CONCURRENT_HASHES);
    expect(hashingStats().queued).to.equal(12 - MAX_CONCURRENT_HASHES);
    const results = await Promise.all(checks);
    clearInterval(sample);
    expect(results).to.deep.equal(Array.from({ length: 12 }, (_, i) => i % 3 === 0));
    expect(hashingStats()).to.deep.include({ running: 0, queued: 0, completed: 12 });
    expect(hashingStats().peak).to.equal(MAX_CONCURRENT_HASHES);
    expect(maxSeen).to.be.at.most(MAX_CONCURRENT_HASHES);
    // No completion-order check: a hash whose pool thread is descheduled finishes after later ones.
  });

  it('20 concurrent logins for unknown users, wrong passwords and the right one each cost exactly one hash, within the bound', async () => {
    const mock = await createMockApp({ inMemory: true });
    try {
      const { user1 } = mock.seeded;
      resetHashingStats();
      const unknown = await Promise.all(Array.from({ length: 20 }, (_, i) => login(mock.server, { login_id: `nobody-${i}`, password: 'whatever-1' }).then(() => 'ok', (err: { id?: string }) => err.id)));
      expect(unknown.every((id) => id === 'api.user.login.invalid_credentials_email_username')).to.equal(true);
      expect(hashingStats().completed, 'unknown users').to.equal(20);
      expect(hashingStats().peak).to.be.at.most(MAX_CONCURRENT_HASHES);
      resetHashingStats();
      await login(mock.server, { login_id: user1.username, password: 'wrong-one' }).catch(() => undefined);
      expect(hashingStats().completed, 'a known user, wrong password').to.equal(1);
      resetHashingStats();
      await login(mock.server, { login_id: user1.username, password: user1.password });
      expect(hashingStats().completed, 'the right password').to.equal(1);
    } finally {
      await mock.close();
    }
  });

  it('a hash records its cost only when it is not the default; verification reads it; a cost out of bounds is refused', async () => {
    const strong = await hashPassword('Right-pass-1');
    const fast = await hashPassword('Right-pass-1', FAST_SCRYPT_N);
    expect(strong.split('$')).to.have.length(3); // the format databases already hold
    expect(fast.split('$').slice(0, 2)).to.deep.equal(['scrypt', '1024']);
    expect(await verifyPassword('Right-pass-1', fast)).to.equal(true);
    expect(await verifyPassword('wrong-pass-1', fast)).to.equal(false);
    const [, , salt, key] = fast.split('$');
    for (const cost of ['1000', '2048x', '262144', '512', '']) {
      expect(await verifyPassword('Right-pass-1', `scrypt$${cost}$${salt}$${key}`), cost).to.equal(false);
    }
    expect(await verifyPassword('Right-pass-1', `scrypt$2048$${salt}$${key}`), 'the key was made at 1024').to.equal(false);
    let thrown: unknown;
    try { await hashPassword('x', 3000); } catch (err) { thrown = err; }
    expect(thrown).to.be.instanceOf(RangeError);
  });

  it('fastSeedPasswords: seeded users log in; a database written with it logs them in without it too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mmpat-fast-seed-'));
    const dbFile = join(dir, 'db.json');
    try {
      const fast = await createMockApp({ dbFile, fastSeedPasswords: true });
      const { sysadmin } = fast.seeded;
      expect(fast.store.get('users', sysadmin.id)?.password_hash.split('$')[1]).to.equal('1024');
      resetHashingStats();
      expect((await login(fast.server, { login_id: sysadmin.username, password: sysadmin.password })).user.id).to.equal(sysadmin.id);
      expect(hashingStats().completed).to.equal(1);
      await fast.close();
      const strong = await createMockApp({ dbFile });
      try {
        expect((await login(strong.server, { login_id: sysadmin.username, password: sysadmin.password })).user.id).to.equal(sysadmin.id);
        await login(strong.server, { login_id: sysadmin.username, password: 'wrong-pass' }).then(() => expect.fail('a wrong password logged in'), () => undefined);
      } finally {
        await strong.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
