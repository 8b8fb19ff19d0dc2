import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openStore } from '../../../mock-server/db/store.js';
import { StoreCorruptError } from '../../../mock-server/db/errors.js';
import { putToken, seedData, token } from './fixtures/data.js';
import { SnapshotFile } from '../../../mock-server/db/snapshot.js';
import { useTempDirs } from './fixtures/tmp.js';
import { useStores } from './fixtures/stores.js';
import { rejection } from '../../support/rejection.js';

describe('store damaged files', () => {
  const tempDir = useTempDirs();
  const { openAt, closeAll } = useStores();

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

    it('a unique key held twice in the snapshot, in the line layout or on one line', async () => {
      const hex = (n: number) => n.toString(16).padStart(64, '0');
      for (const oneLine of [false, true]) {
        const file = join(await tempDir(), 'db.json');
        const tokens = Array.from({ length: 20 }, (_, i) => token(`t${i}`, 'u1', { digest: hex(i === 13 ? 4 : i) }));
        const data = { ...seedData(), tokens, seq: 0 };
        await new SnapshotFile(file, { fsync: false }).write(data);
        if (oneLine) await writeFile(file, JSON.stringify(data));
        const before = await readFile(file);
        const err = await rejection(openStore({ file, initialData: seedData }));
        expect(err, `one line: ${oneLine}`).to.be.instanceOf(StoreCorruptError);
        expect((err as Error).message).to.contain(file).and.contain(`tokens.digest holds "${hex(4)}" twice`);
        expect((await readFile(file)).equals(before)).to.equal(true);
        expect(existsSync(`${file}.lock`), 'lock released').to.equal(false);
      }
    });

    it('a truncated snapshot in the line layout, at a record line: refused with the offset of the cut', async () => {
      const hex = (n: number) => n.toString(16).padStart(64, '0');
      const file = join(await tempDir(), 'db.json');
      const data = { ...seedData(), tokens: Array.from({ length: 5000 }, (_, i) => token(`t${i}`, 'u1', { digest: hex(i) })), seq: 0 };
      await new SnapshotFile(file, { fsync: false }).write(data);
      const text = await readFile(file, 'utf8');
      const cut = text.indexOf('"t2500"') + 3;
      await writeFile(file, text.slice(0, cut));
      const err = await rejection(openStore({ file, initialData: seedData }));
      expect(err).to.be.instanceOf(StoreCorruptError);
      expect((err as Error).message).to.contain(file).and.contain('invalid JSON').and.contain('left untouched');
      expect((err as StoreCorruptError).offset).to.be.a('number');
      expect(await readFile(file, 'utf8')).to.equal(text.slice(0, cut));
    });
  });
});
