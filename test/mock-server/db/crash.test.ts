import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../../mock-server/db/store.js';
import { StoreCorruptError } from '../../../mock-server/db/errors.js';
import { putToken, seedData } from './fixtures/data.js';
import { useTempDirs } from './fixtures/tmp.js';
import { useStores } from './fixtures/stores.js';
import { rejection } from '../../support/rejection.js';
import { prng } from '../../support/prng.js';

const CHILD = fileURLToPath(new URL('./fixtures/store-child.ts', import.meta.url));

/**
 * Run the writer child and SIGKILL it: `fromReady` ms after it printed `ready`, or `fromSpawn` ms
 * after it started (which may be before or while it opens the files). Returns the ids it printed
 * as acknowledged (complete lines only).
 */
async function writeThenKill(file: string, prefix: string, when: { fromReady?: number; fromSpawn?: number }): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, 'write', prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let timer: NodeJS.Timeout | undefined;
  const kill = (): void => { child.kill('SIGKILL'); };
  if (when.fromSpawn !== undefined) timer = setTimeout(kill, when.fromSpawn);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const wasReady = out.startsWith('ready\n');
    out += chunk;
    if (!wasReady && out.startsWith('ready\n') && when.fromReady !== undefined) timer = setTimeout(kill, when.fromReady);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { err += chunk; });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  expect(signal, `child ended by itself (code ${code}): ${err}`).to.equal('SIGKILL');
  const lines = out.split('\n');
  lines.pop(); // an incomplete last line was not fully reported
  return lines.filter((line) => line !== 'ready');
}

describe('store crash safety (SIGKILL under load)', () => {
  const tempDir = useTempDirs();

  it('loads after each of 20 kills at random moments and holds every acknowledged commit', async function () {
    this.timeout(90_000);
    const file = join(await tempDir(), 'db.json');
    const random = prng(0x5eed);
    const acknowledged: string[] = [];
    let killedBeforeReady = 0;
    for (let round = 0; round < 20; round++) {
      const when = round % 3 === 2 ? { fromSpawn: Math.floor(random() * 500) } : { fromReady: Math.floor(random() * 120) };
      const ids = await writeThenKill(file, `r${round}`, when);
      if (ids.length === 0) killedBeforeReady += 1;
      acknowledged.push(...ids);
      const store = await openStore({ file, initialData: seedData });
      try {
        const missing = acknowledged.filter((id) => store.get('tokens', id) === undefined);
        expect(missing, `round ${round}: acknowledged but lost`).to.deep.equal([]);
        const badIndex = ids.filter((id) => store.findOne('tokens', 'digest', `digest-${id}`)?.id !== id);
        expect(badIndex, `round ${round}: digest index`).to.deep.equal([]);
        expect(store.count('users')).to.equal(2);
      } finally {
        await store.close();
      }
    }
    // The kills must have landed under load, not only at start-up.
    expect(acknowledged.length).to.be.above(200);
    expect(killedBeforeReady).to.be.below(20);
  });
});

describe('store damaged files', () => {
  const tempDir = useTempDirs();
  const { openAt, closeAll } = useStores();

  it('tolerates a torn last journal line, cuts it away, and appends cleanly after it', async () => {
    const file = join(await tempDir(), 'db.json');
    const store = await openAt(file);
    await store.commit([putToken('t1')]);
    await store.commit([putToken('t2')]);
    await closeAll();
    const intact = await readFile(`${file}.journal`);
    await appendFile(`${file}.journal`, '{"seq":3,"commits":[[3,[{"op":"put","collection":"tok');
    const again = await openAt(file);
    expect([...again.all('tokens')].map((t) => t.id)).to.deep.equal(['t1', 't2']);
    expect(await readFile(`${file}.journal`)).to.deep.equal(intact);
    await again.commit([putToken('t3')]);
    await closeAll();
    expect((await openAt(file)).count('tokens')).to.equal(3);
  });

  it('tolerates a last line with a bad checksum or a zero-filled tail', async () => {
    const file = join(await tempDir(), 'db.json');
    const store = await openAt(file);
    await store.commit([putToken('t1')]);
    await store.commit([putToken('t2')]);
    await closeAll();
    const journal = await readFile(`${file}.journal`, 'utf8');
    const lines = journal.split('\n');
    await writeFile(`${file}.journal`, `${lines[0]}\n${(lines[1] ?? '').replace('t2', 'tX')}\n`);
    expect((await openAt(file)).count('tokens')).to.equal(1);
    await closeAll();
    await appendFile(`${file}.journal`, Buffer.alloc(512));
    expect((await openAt(file)).count('tokens')).to.equal(1);
  });

  describe('refuses damaged files without touching them', () => {
    async function damaged(damage: (file: string) => Promise<void>): Promise<{ file: string; err: unknown; unchanged: boolean }> {
      const file = join(await tempDir(), 'db.json');
      const store = await openAt(file);
      for (let i = 0; i < 3; i++) await store.commit([putToken(`t${i}`)]);
      await closeAll();
      await damage(file);
      const before = [await readFile(file).catch(() => undefined), await readFile(`${file}.journal`).catch(() => undefined)];
      const err = await rejection(openStore({ file, initialData: seedData }));
      const after = [await readFile(file).catch(() => undefined), await readFile(`${file}.journal`).catch(() => undefined)];
      expect(existsSync(`${file}.lock`), 'lock released').to.equal(false);
      return { file, err, unchanged: JSON.stringify(before) === JSON.stringify(after) };
    }

    it('a corrupt snapshot', async () => {
      const { file, err, unchanged } = await damaged(async (f) => {
        const text = await readFile(f, 'utf8');
        await writeFile(f, text.slice(0, text.length / 2));
      });
      expect(err).to.be.instanceOf(StoreCorruptError);
      expect((err as StoreCorruptError).file).to.equal(file);
      expect((err as Error).message).to.contain(file).and.contain('invalid JSON').and.contain('left untouched');
      expect(unchanged).to.equal(true);
    });

    it('an empty snapshot', async () => {
      const { err, unchanged } = await damaged((f) => writeFile(f, ''));
      expect((err as Error).message).to.contain('empty');
      expect(unchanged).to.equal(true);
    });

    it('a snapshot of the wrong shape', async () => {
      const { err, unchanged } = await damaged((f) => writeFile(f, JSON.stringify({ version: 1, seq: 0, config: {}, users: {} })));
      expect(err).to.be.instanceOf(StoreCorruptError);
      expect((err as Error).message).to.contain('users is not an array');
      expect(unchanged).to.equal(true);
    });

    it('a damaged line before the last one', async () => {
      const { file, err, unchanged } = await damaged(async (f) => {
        const lines = (await readFile(`${f}.journal`, 'utf8')).split('\n');
        lines[1] = (lines[1] ?? '').replace('"t1"', '"tZ"');
        await writeFile(`${f}.journal`, lines.join('\n'));
      });
      expect(err).to.be.instanceOf(StoreCorruptError);
      expect((err as StoreCorruptError).file).to.equal(`${file}.journal`);
      expect((err as StoreCorruptError).line).to.equal(2);
      expect((err as Error).message).to.contain('line 2').and.contain('checksum mismatch');
      expect(unchanged).to.equal(true);
    });

    it('a missing line (sequence gap)', async () => {
      const { err, unchanged } = await damaged(async (f) => {
        const lines = (await readFile(`${f}.journal`, 'utf8')).split('\n');
        lines.splice(1, 1);
        await writeFile(`${f}.journal`, lines.join('\n'));
      });
      expect((err as Error).message).to.contain('commit 2 is missing');
      expect(unchanged).to.equal(true);
    });

    it('a journal without its snapshot', async () => {
      const { err } = await damaged((f) => writeFile(f, '').then(() => import('node:fs/promises')).then((fs) => fs.rm(f)));
      expect(err).to.be.instanceOf(StoreCorruptError);
      expect((err as Error).message).to.contain('snapshot is missing');
    });
  });
});
