import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreCorruptError } from '../../mock-server/db/errors.js';
import type { MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';

const API = '/api/v4';

async function call(mock: MockServer, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${mock.url}${API}${path}`, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() as Record<string, unknown>, headers: res.headers };
}

describe('mock server: persistence across restarts', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mm-pat-persist-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('keeps every user, token (still working), session and post', async () => {
    const dbFile = join(dir, 'db.json');
    let mock = await startMockServer({ port: 0, dbFile });
    expect(mock.fresh).to.equal(true);
    const loginRes = await call(mock, 'POST', '/users/login', undefined, { login_id: 'sysadmin', password: 'Sys@dmin-sample1' });
    const admin = loginRes.headers.get('Token') ?? '';
    const created = await call(mock, 'POST', '/users', admin, { username: 'persisted', email: 'p@example.com', password: 'Persist-1' });
    expect(created.status).to.equal(201);
    const pat = await call(mock, 'POST', '/users/me/tokens', admin, { description: 'survives' });
    const secret = pat.body.token as string;
    expect((await call(mock, 'GET', '/users/me', secret)).status).to.equal(200);
    const [patSession] = mock.store.findMany('sessions', 'token_id', pat.body.id as string);
    const townSquare = mock.seeded.channels['town-square']?.id ?? '';
    const post = await call(mock, 'POST', '/posts', admin, { channel_id: townSquare, message: 'still here' });
    expect(post.status).to.equal(201);
    await mock.close();

    mock = await startMockServer({ port: 0, dbFile });
    try {
      expect(mock.fresh).to.equal(false);
      expect(mock.seeded.sysadmin.username).to.equal('sysadmin');
      expect((await call(mock, 'GET', '/users/me', admin)).status, 'login session survives').to.equal(200);
      expect((await call(mock, 'GET', '/users/username/persisted', admin)).body.id).to.equal(created.body.id);
      expect((await call(mock, 'GET', '/users/me', secret)).status, 'token still works').to.equal(200);
      expect(mock.store.findMany('sessions', 'token_id', pat.body.id as string).map((s) => s.id), 'PAT session reused').to.deep.equal([patSession?.id]);
      expect((await call(mock, 'GET', `/users/tokens/${String(pat.body.id)}`, admin)).body).to.include({ id: pat.body.id, is_active: true });
      const again = await call(mock, 'GET', `/posts/${String(post.body.id)}`, admin);
      expect(again.status).to.equal(200);
      expect(again.body.message).to.equal('still here');
      const raw = await readFile(dbFile, 'utf8');
      expect(raw).not.to.include(secret).and.not.include(admin).and.not.include('Persist-1').and.not.include('Sys@dmin-sample1');
    } finally {
      await mock.close();
    }
  });

  it('--in-memory (inMemory) leaves no file behind', async () => {
    const dbFile = join(dir, 'sub', 'db.json');
    const mock = await startMockServer({ port: 0, dbFile, inMemory: true });
    const loginRes = await call(mock, 'POST', '/users/login', undefined, { login_id: 'sysadmin', password: 'Sys@dmin-sample1' });
    await call(mock, 'POST', '/users/me/tokens', loginRes.headers.get('Token') ?? '', { description: 'x' });
    await mock.close();
    expect(existsSync(dbFile)).to.equal(false);
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('reset discards the database and starts from the seed; reset() is durable', async () => {
    const dbFile = join(dir, 'db.json');
    let mock = await startMockServer({ port: 0, dbFile });
    const loginRes = await call(mock, 'POST', '/users/login', undefined, { login_id: 'sysadmin', password: 'Sys@dmin-sample1' });
    await call(mock, 'POST', '/users/me/tokens', loginRes.headers.get('Token') ?? '', { description: 'x' });
    await mock.reset();
    expect(mock.store.count('tokens')).to.equal(0);
    await call(mock, 'POST', '/users/me/tokens', (await call(mock, 'POST', '/users/login', undefined, { login_id: 'sysadmin', password: 'Sys@dmin-sample1' })).headers.get('Token') ?? '', { description: 'y' });
    await mock.close();
    mock = await startMockServer({ port: 0, dbFile });
    expect(mock.store.count('tokens')).to.equal(1);
    await mock.close();
    mock = await startMockServer({ port: 0, dbFile, reset: true });
    try {
      expect(mock.fresh).to.equal(true);
      expect(mock.store.count('tokens')).to.equal(0);
    } finally {
      await mock.close();
    }
  });

  it('refuses a corrupt database with a clear error and leaves the file untouched', async () => {
    const dbFile = join(dir, 'db.json');
    await writeFile(dbFile, '{"version":1, oops');
    let error: unknown;
    try {
      await startMockServer({ port: 0, dbFile });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(StoreCorruptError);
    expect(String((error as Error).message)).to.include(dbFile);
    expect(await readFile(dbFile, 'utf8')).to.equal('{"version":1, oops');
  });
});
