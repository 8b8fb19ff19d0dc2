import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openStore } from '../../../mock-server/db/store.js';
import { InvalidMutationError, StoreLockedError, UniqueViolationError } from '../../../mock-server/db/errors.js';
import type { TokenRecord } from '../../../mock-server/db/schema.js';
import { config, emptyData, putToken, seedData, token, user } from './fixtures/data.js';
import { useTempDirs } from './fixtures/tmp.js';
import { useStores } from './fixtures/stores.js';
import { rejection } from '../../support/rejection.js';
import { writeFileAtomic } from '../../../mock-server/db/fsutil.js';
import { COLLECTIONS } from '../../../mock-server/db/memory.js';

describe('store (files)', () => {
  const tempDir = useTempDirs();
  const { openAt, closeAll } = useStores();

  it('reopening sees every commit: records, indexes, deletes, config, insertion order', async () => {
    const file = join(await tempDir(), 'db.json');
    const store = await openAt(file);
    expect(store.file).to.equal(file);
    await store.commit([putToken('t2'), putToken('t1'), putToken('t3', 'u2')]);
    await store.commit([{ op: 'delete', collection: 'tokens', key: 't1' }, { op: 'config', config: config('Persisted') }]);
    await store.commit([{ op: 'put', collection: 'users', record: user('u3', 'Carol') }]);
    await closeAll();
    const again = await openAt(file);
    expect([...again.all('tokens')].map((t) => t.id)).to.deep.equal(['t2', 't3']);
    expect(again.findOne('tokens', 'digest', 'digest-t3')?.user_id).to.equal('u2');
    expect(again.findMany('tokens', 'user_id', 'u1').map((t) => t.id)).to.deep.equal(['t2']);
    expect(again.findOne('users', 'username', 'carol')?.id).to.equal('u3');
    expect(again.config.TeamSettings.SiteName).to.equal('Persisted');
    expect(again.stats().journalEntries).to.equal(3);
    // Unique checks hold across a reopen too.
    expect(await rejection(again.commit([{ op: 'put', collection: 'users', record: user('u4', 'carol') }]))).to.be.instanceOf(UniqueViolationError);
  });

  it('creates the directory 0700 and the files 0600, and writes nothing in memory mode', async () => {
    const dir = join(await tempDir(), 'nested', 'data');
    const file = join(dir, 'db.json');
    const memory = await openStore({ inMemory: true, file, initialData: seedData });
    await memory.commit([putToken('t1')]);
    await memory.close();
    expect(existsSync(join(dir, '..'))).to.equal(false);
    await openAt(file);
    expect((await stat(dir)).mode & 0o777).to.equal(0o700);
    for (const name of ['db.json', 'db.json.journal', 'db.json.lock']) {
      expect((await stat(join(dir, name))).mode & 0o777, name).to.equal(0o600);
    }
    await closeAll();
    expect(await readdir(dir)).to.have.members(['db.json', 'db.json.journal']);
  });

  it('groups concurrent commits into few appends; all survive a reopen', async () => {
    const file = join(await tempDir(), 'db.json');
    const store = await openAt(file);
    const before = store.stats().journalWrites;
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.commit([putToken(`t${i}`, i % 2 ? 'u1' : 'u2')])));
    const appends = store.stats().journalWrites - before;
    expect(appends).to.be.at.least(1).and.below(20);
    expect(store.stats().snapshots).to.equal(1); // the initial one only: no rewrite per commit
    await closeAll();
    const again = await openAt(file);
    expect(again.count('tokens')).to.equal(200);
    expect(again.findMany('tokens', 'user_id', 'u2')).to.have.length(100);
  });

  it('commits arriving during an append share the next one', async () => {
    const file = join(await tempDir(), 'db.json');
    const store = await openAt(file);
    const first = store.commit([putToken('a')]);
    await new Promise((resolve) => setImmediate(resolve)); // the first append is now in flight
    const rest = Array.from({ length: 50 }, (_, i) => store.commit([putToken(`b${i}`)]));
    await Promise.all([first, ...rest]);
    expect(store.stats().journalWrites).to.be.at.most(3);
  });

  it('a value JSON cannot hold is refused before anything is applied', async () => {
    const file = join(await tempDir(), 'db.json');
    const store = await openAt(file);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const record = { ...token('t1', 'u1'), props: circular } as unknown as TokenRecord;
    const err = await rejection(store.commit([{ op: 'put', collection: 'tokens', record }]));
    expect(err).to.be.instanceOf(InvalidMutationError);
    expect(store.count('tokens')).to.equal(0);
    await store.flush();
    expect(store.stats().journalWrites).to.equal(0);
  });

  it('a rejected commit writes nothing', async () => {
    const file = join(await tempDir(), 'db.json');
    const store = await openAt(file);
    await store.commit([putToken('t1')]);
    const journalBefore = await readFile(`${file}.journal`);
    const err = await rejection(store.commit([putToken('t2'), { op: 'put', collection: 'tokens', record: token('t3', 'u1', { digest: 'digest-t1' }) }]));
    expect(err).to.be.instanceOf(UniqueViolationError);
    await store.flush();
    expect(await readFile(`${file}.journal`)).to.deep.equal(journalBefore);
    expect(store.stats().journalWrites).to.equal(1);
  });

  it('compacts into a new snapshot and an emptier journal; reopen sees everything', async () => {
    const file = join(await tempDir(), 'db.json');
    const store = await openAt(file, { compactEntries: 10, fsync: false });
    for (let i = 0; i < 95; i++) await store.commit([putToken(`t${i}`)]);
    await store.commit([{ op: 'delete', collection: 'tokens', key: 't0' }]);
    await store.flush();
    const stats = store.stats();
    // Commits go on while a snapshot is written, so how many rounds run depends on timing;
    // at least one did (the initial snapshot is the first), and it took the first 10 batches.
    expect(stats.snapshots).to.be.at.least(2);
    expect(stats.journalEntries).to.be.at.most(96 - 10);
    const snapshot = JSON.parse(await readFile(file, 'utf8')) as { seq: number; tokens: unknown[] };
    // The journal holds exactly the commits after the snapshot's (one commit per line here).
    expect(snapshot.seq).to.equal(96 - stats.journalEntries);
    await closeAll();
    const again = await openAt(file);
    expect(again.count('tokens')).to.equal(94);
    expect(again.get('tokens', 't0')).to.equal(undefined);
    expect([...again.all('tokens')].map((t) => t.id).slice(0, 2)).to.deep.equal(['t1', 't2']);
  });

  it('writes the snapshot as compact JSON with one record per line (chunked serialization is byte-exact)', async () => {
    const file = join(await tempDir(), 'db.json');
    const store = await openAt(file, { compactEntries: 1 });
    const many = Array.from({ length: 10_000 }, (_, i) => putToken(`t${i}`, i % 2 ? 'u1' : 'u2'));
    await store.commit([...many, { op: 'put', collection: 'users', record: user('u3', 'émoji-😀', { props: { note: '"quoted"\n\u2028' } }) }]);
    await store.flush();
    const text = await readFile(file, 'utf8');
    const parsed = JSON.parse(text) as Record<string, unknown> & { seq: number; tokens: { id: string }[] };
    // JSON.stringify escapes every newline inside a string: the raw ones only separate records.
    expect(text.replaceAll('\n', '')).to.equal(JSON.stringify(parsed));
    const recordLines = text.split('\n').slice(1).filter((line) => line.startsWith('{'));
    const all = COLLECTIONS.flatMap((name) => parsed[name] as unknown[]);
    expect(recordLines.map((line) => JSON.parse(line.replace(/,$/, '')) as unknown)).to.deep.equal(all);
    expect(Object.keys(parsed)).to.deep.equal(['version', 'seq', 'config', ...COLLECTIONS]);
    expect(COLLECTIONS.slice(0, 12)).to.deep.equal(['users', 'bots', 'tokens', 'sessions', 'teams', 'teamMembers', 'channels', 'channelMembers', 'posts', 'outbox', 'outboxCursors', 'outboxMeta']);
    expect(parsed.seq).to.equal(1);
    expect(parsed.tokens.map((t) => t.id)).to.deep.equal([...store.all('tokens')].map((t) => t.id));
    expect(parsed.users).to.deep.equal([...store.all('users')]);
  });

  it('survives a crash between the snapshot rename and the journal swap (old journal replays, skipping what the snapshot holds)', async () => {
    const file = join(await tempDir(), 'db.json');
    const journal = `${file}.journal`;
    let store = await openAt(file);
    for (let i = 0; i < 5; i++) await store.commit([putToken(`t${i}`)]);
    await store.commit([{ op: 'delete', collection: 'tokens', key: 't1' }]);
    await closeAll();
    const oldJournal = await readFile(journal);
    // Compaction at open (the journal is over the threshold)...
    store = await openAt(file, { compactEntries: 2 });
    await store.flush();
    expect(store.stats().journalEntries).to.equal(0);
    expect(JSON.parse(await readFile(file, 'utf8'))).to.include({ seq: 6 });
    await closeAll();
    // ...then three more commits.
    store = await openAt(file);
    for (let i = 5; i < 8; i++) await store.commit([putToken(`t${i}`)]);
    await closeAll();
    const newLines = await readFile(journal);
    // As if the journal swap never happened: the old lines are still there before the new ones.
    await writeFile(journal, Buffer.concat([oldJournal, newLines]));
    const again = await openAt(file, { compactEntries: 1000 });
    expect([...again.all('tokens')].map((t) => t.id)).to.deep.equal(['t0', 't2', 't3', 't4', 't5', 't6', 't7']);
    expect(again.stats().journalEntries).to.equal(9);
  });

  it('concurrent commits, compactions and a replaceAll interleave without losing or reviving anything', async () => {
    const file = join(await tempDir(), 'db.json');
    const store = await openAt(file, { compactEntries: 3, fsync: false });
    const work: Promise<void>[] = [];
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 10; i++) work.push(store.commit([putToken(`r${round}-${i}`, `user${i % 3}`)]));
      if (round % 4 === 1) work.push(store.commit([{ op: 'delete', collection: 'tokens', key: `r${round - 1}-0` }]));
      if (round === 12) {
        const data = seedData();
        data.tokens.push(token('kept', 'u1'));
        work.push(store.replaceAll(data));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(work);
    // A few appends of their own make sure a compaction also runs after the replaceAll.
    for (let i = 0; i < 4; i++) await store.commit([putToken(`tail${i}`)]);
    await store.flush();
    expect(store.stats().snapshots).to.be.at.least(3); // initial, replaceAll, a compaction
    const expected = [...store.all('tokens')].map((t) => t.id);
    expect(expected[0]).to.equal('kept');
    expect(expected).to.not.include('r3-0');
    await closeAll();
    const again = await openAt(file);
    expect([...again.all('tokens')].map((t) => t.id)).to.deep.equal(expected);
    expect(again.findMany('tokens', 'user_id', 'user1').map((t) => t.id)).to.deep.equal(expected.filter((id) => id.endsWith('-1') || id.endsWith('-4') || id.endsWith('-7')));
  });

  it('a compaction taken while a replaceAll waits to be written: both snapshots hold what they captured', async () => {
    const file = join(await tempDir(), 'db.json');
    const store = await openAt(file, { compactEntries: 1, fsync: false });
    // In one turn: a commit (its append starts a compaction of the state after the replaceAll),
    // the replaceAll (written after that compaction), and commits changing the tokens it captured.
    const data = seedData();
    data.tokens.push(token('a', 'u1'), token('b', 'u1'), token('c', 'u1'));
    const work = [store.commit([putToken('before')]), store.replaceAll(data)];
    work.push(store.commit([{ op: 'delete', collection: 'tokens', key: 'a' }]));
    work.push(store.commit([{ op: 'put', collection: 'tokens', record: token('b', 'u2') }]));
    await Promise.all(work);
    await store.flush();
    expect(store.stats().writeError).to.equal(undefined);
    const expected = [...store.all('tokens')].map((t) => JSON.stringify(t));
    await closeAll();
    const again = await openAt(file);
    expect([...again.all('tokens')].map((t) => JSON.stringify(t))).to.deep.equal(expected);
    expect(again.get('tokens', 'b')?.user_id).to.equal('u2');
  });

  it('a failing compaction is reported and commits carry on', async () => {
    const dir = await tempDir();
    const file = join(dir, 'db.json');
    const errors: unknown[] = [];
    const store = await openAt(file, { compactEntries: 2, onCompactionError: (err) => { errors.push(err); } });
    // A directory where the snapshot's temp file goes makes every snapshot write fail.
    await mkdir(join(dir, '.db.json.tmp'));
    for (let i = 0; i < 6; i++) await store.commit([putToken(`t${i}`)]);
    await store.flush();
    expect(errors).to.have.length.at.least(1);
    expect(store.stats().snapshots).to.equal(1);
    expect(store.stats().journalEntries).to.equal(6);
    await closeAll();
    await rm(join(dir, '.db.json.tmp'), { recursive: true });
    expect((await openAt(file)).count('tokens')).to.equal(6);
  });

  it('replays many batches', async () => {
    const file = join(await tempDir(), 'db.json');
    const store = await openAt(file, { fsync: false });
    for (let i = 0; i < 300; i++) {
      await store.commit([putToken(`t${i}`, `user${i % 7}`), ...(i % 3 === 0 ? [{ op: 'delete' as const, collection: 'tokens' as const, key: `t${i - 1}` }] : [])]);
    }
    const expected = [...store.all('tokens')].map((t) => t.id);
    await closeAll();
    const again = await openAt(file);
    expect([...again.all('tokens')].map((t) => t.id)).to.deep.equal(expected);
    expect(again.findMany('tokens', 'user_id', 'user3').map((t) => t.id)).to.deep.equal(expected.filter((id) => Number(id.slice(1)) % 7 === 3));
  });

  it('replaceAll is durable and empties the journal; later commits persist on top', async () => {
    const file = join(await tempDir(), 'db.json');
    const store = await openAt(file);
    for (let i = 0; i < 3; i++) await store.commit([putToken(`t${i}`)]);
    const data = emptyData();
    data.users.push(user('x1', 'xavier'));
    const pending = store.commit([putToken('before-replace')]);
    await store.replaceAll(data);
    await pending;
    expect(store.stats().journalEntries).to.equal(0);
    await store.commit([putToken('after', 'x1')]);
    await closeAll();
    const again = await openAt(file);
    expect([...again.all('users')].map((u) => u.id)).to.deep.equal(['x1']);
    expect([...again.all('tokens')].map((t) => t.id)).to.deep.equal(['after']);
  });

  it('reset discards existing files and starts from initialData', async () => {
    const file = join(await tempDir(), 'db.json');
    const store = await openAt(file);
    await store.commit([putToken('t1')]);
    await closeAll();
    await writeFile(`${file}.journal`, 'garbage\nmore garbage\n');
    await writeFile(file, '{"version":1,"users":[');
    const again = await openAt(file, { reset: true });
    expect(again.count('tokens')).to.equal(0);
    expect(again.count('users')).to.equal(2);
    expect((await readFile(`${file}.journal`)).length).to.equal(0);
    await again.commit([putToken('t2')]);
    await closeAll();
    expect((await openAt(file)).count('tokens')).to.equal(1);
  });

  it('a second open of the same file is refused while the first is open', async () => {
    const file = join(await tempDir(), 'db.json');
    await openAt(file);
    const err = await rejection(openStore({ file, initialData: seedData }));
    expect(err).to.be.instanceOf(StoreLockedError);
    expect((err as StoreLockedError).pid).to.equal(process.pid);
    await closeAll();
    await openAt(file);
  });
});

describe('writeFileAtomic', () => {
  const tempDir = useTempDirs();

  it('writes big strings in chunks without splitting a surrogate pair, mode 0600, no temp file left', async () => {
    const dir = await tempDir();
    const file = join(dir, 'big.json');
    const text = `${'x'.repeat((1 << 20) - 1)}😀${'é中😀\n'.repeat(300_000)}`;
    await writeFile(file, 'old', { mode: 0o644 });
    await writeFileAtomic(file, text);
    expect(await readFile(file, 'utf8')).to.equal(text);
    expect((await stat(file)).mode & 0o777).to.equal(0o600);
    expect(await readdir(dir)).to.deep.equal(['big.json']);
  });
});
