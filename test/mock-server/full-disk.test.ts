/**
 * A full disk (ENOSPC from the journal append, injected through the store's `appendJournal`
 * seam): reads go on, a PAT used for the first time still authenticates (its session row is not
 * persisted), writes fail without a hang, and `/system/ping` reports the store as unhealthy.
 */
import { Client4 } from '@mattermost/client';
import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';
import { writeAll } from '../../mock-server/db/fsutil.js';
import { StoreFailedError } from '../../mock-server/db/errors.js';
import { openStore } from '../../mock-server/db/store.js';
import { putToken, seedData } from './db/fixtures/data.js';
import { rejection } from '../support/rejection.js';

/** A journal writer that works until `full` is set, then fails as a full disk does. */
function diskSwitch(): { full: boolean; appendJournal: (h: FileHandle, b: Uint8Array) => Promise<void> } {
  const state = {
    full: false,
    async appendJournal(handle: FileHandle, bytes: Uint8Array): Promise<void> {
      if (state.full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
      await writeAll(handle, bytes);
    },
  };
  return state;
}

describe('store: a full disk', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mmpat-full-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('the failing commit rejects with StoreFailedError, later ones too; reads go on; stats say why; the journal holds no partial line', async () => {
    const file = join(dir, 'db.json');
    const disk = diskSwitch();
    const store = await openStore({ file, initialData: seedData, appendJournal: disk.appendJournal });
    await store.commit([putToken('t1')]);
    const journal = await readFile(`${file}.journal`);
    expect(store.stats().writeError).to.equal(undefined);
    disk.full = true;
    expect(await rejection(store.commit([putToken('t2')]))).to.be.instanceOf(StoreFailedError);
    expect(await rejection(store.commit([putToken('t3')]))).to.be.instanceOf(StoreFailedError);
    expect(store.get('tokens', 't1')?.id).to.equal('t1');
    expect(store.count('users')).to.equal(2);
    expect(store.stats().writeError).to.contain('ENOSPC');
    expect((await readFile(`${file}.journal`)).equals(journal)).to.equal(true);
    await store.close();
  });
});

describe('mock server: a full disk', () => {
  let dir: string;
  let mock: MockServer;
  let disk: ReturnType<typeof diskSwitch>;
  let pat: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmpat-full-'));
    disk = diskSwitch();
    mock = await startMockServer({ port: 0, dbFile: join(dir, 'db.json'), storeOptions: { appendJournal: disk.appendJournal } });
    const c = new Client4();
    c.setUrl(mock.url);
    await c.login(mock.seeded.sysadmin.username, mock.seeded.sysadmin.password);
    pat = (await c.createUserAccessToken(mock.seeded.sysadmin.id, 'never used before the disk filled')).token ?? '';
    expect(pat).to.have.length.above(0);
  });
  after(async () => {
    await mock.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('while the disk has room, ping is OK (Client4.ping with get_server_status)', async () => {
    const c = new Client4();
    c.setUrl(mock.url);
    const status = await c.ping(true) as Record<string, unknown>;
    expect(status).to.include({ status: 'OK', database_status: 'OK', filestore_status: 'OK' });
  });

  it('once full: a GET with a PAT used for the first time answers 200 (twice), not 500', async () => {
    disk.full = true;
    for (let i = 0; i < 2; i++) {
      const me = await fetch(`${mock.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${pat}` } });
      expect(me.status).to.equal(200);
      expect(((await me.json()) as { username: string }).username).to.equal(mock.seeded.sysadmin.username);
    }
    const c = new Client4();
    c.setUrl(mock.url);
    c.setToken(pat);
    expect((await c.getMe()).username).to.equal(mock.seeded.sysadmin.username);
  });

  it('once full: a write answers 500 at once (no hang), and reads after it still work', async () => {
    const made = await fetch(`${mock.url}/api/v4/users/me/tokens`, { method: 'POST', headers: { Authorization: `Bearer ${pat}` }, body: JSON.stringify({ description: 'x' }) });
    expect(made.status).to.equal(500);
    expect(((await made.json()) as { id: string }).id).to.be.a('string');
    expect((await fetch(`${mock.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${pat}` } })).status).to.equal(200);
  });

  it('once full: ping answers 500 "unhealthy"; with get_server_status the database is named, in the body and the headers; use_rest_semantics gives 200', async () => {
    const plain = await fetch(`${mock.url}/api/v4/system/ping`);
    expect(plain.status).to.equal(500);
    expect(((await plain.json()) as { status: string }).status).to.equal('unhealthy');
    const full = await fetch(`${mock.url}/api/v4/system/ping?get_server_status=true`);
    expect(full.status).to.equal(500);
    expect(await full.json()).to.include({ status: 'unhealthy', database_status: 'unhealthy', filestore_status: 'OK' });
    expect(full.headers.get('database_status')).to.equal('unhealthy');
    expect(full.headers.get('status')).to.equal('unhealthy');
    const rest = await fetch(`${mock.url}/api/v4/system/ping?use_rest_semantics=true`);
    expect(rest.status).to.equal(200);
    expect(((await rest.json()) as { status: string }).status).to.equal('unhealthy');
    // Client4.ping sends use_rest_semantics=true: it resolves, and the body says what is wrong.
    const c = new Client4();
    c.setUrl(mock.url);
    expect(await c.ping(true)).to.include({ status: 'unhealthy', database_status: 'unhealthy' });
  });
});
