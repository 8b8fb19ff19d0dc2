import { expect } from 'chai';
import { MAX_CONCURRENT_HASHES, hashPassword, hashingStats, resetHashingStats, verifyPassword } from '../../mock-server/passwords.js';
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
});
