/**
 * In code the mock defaults to in memory: `startMockServer({ port: 0 })` writes nothing in the
 * working directory and two of them never share state; persistence is opt-in (`dbFile`, or
 * `inMemory: false` for the CLI's ./.mattermost-mock/db.json).
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMockApp, startMockServer } from '../support/fast-seed-mock.js';

describe('mock server: in memory by default', () => {
  let dir: string;
  let cwd: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mm-pat-mem-'));
    cwd = process.cwd();
    process.chdir(dir);
  });
  afterEach(async () => {
    process.chdir(cwd);
    await rm(dir, { recursive: true, force: true });
  });

  it('startMockServer({ port: 0 }) twice at once: both start (no lock), no file written, state not shared', async () => {
    const a = await startMockServer({ port: 0 });
    const b = await startMockServer({ port: 0 });
    try {
      const login = await fetch(`${a.url}/api/v4/users/login`, { method: 'POST', body: JSON.stringify({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' }) });
      expect(login.status).to.equal(200);
      expect([a.store.count('sessions'), b.store.count('sessions')]).to.deep.equal([1, 0]);
      expect(existsSync(join(dir, '.mattermost-mock'))).to.equal(false);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('dbFile makes it persistent; inMemory: false alone uses ./.mattermost-mock/db.json', async () => {
    const file = join(dir, 'kept.json');
    const kept = await createMockApp({ dbFile: file });
    expect(kept.fresh).to.equal(true);
    await kept.close();
    expect(existsSync(file)).to.equal(true);
    const again = await createMockApp({ dbFile: file });
    expect(again.fresh).to.equal(false);
    await again.close();

    const cliDefault = await createMockApp({ inMemory: false });
    await cliDefault.close();
    expect(JSON.parse(readFileSync(join(dir, '.mattermost-mock', 'db.json'), 'utf8'))).to.be.an('object');
  });
});
