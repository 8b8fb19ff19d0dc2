import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openStore } from '../../../mock-server/db/store.js';
import { StoreCorruptError } from '../../../mock-server/db/errors.js';
import { putToken, seedData } from './fixtures/data.js';
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
  });
});
