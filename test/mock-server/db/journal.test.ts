import { expect } from 'chai';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { formatLine, parseJournal } from '../../../mock-server/db/journal.js';
import { StoreCorruptError } from '../../../mock-server/db/errors.js';
import { openStore } from '../../../mock-server/db/store.js';
import { putToken, seedData } from './fixtures/data.js';
import { useTempDirs } from './fixtures/tmp.js';
import { useStores } from './fixtures/stores.js';
import { rejection } from '../../support/rejection.js';

const FILE = '/data/db.json.journal';

function lineOf(seq: number, id: string): string {
  return formatLine([{ seq, json: JSON.stringify([putToken(id)]) }]);
}

function corruptError(content: string): StoreCorruptError {
  try {
    parseJournal(FILE, Buffer.from(content));
  } catch (err) {
    expect(err).to.be.instanceOf(StoreCorruptError);
    return err as StoreCorruptError;
  }
  throw new Error('expected a StoreCorruptError');
}

describe('db/journal: lines', () => {
  it('formatLine writes one newline-terminated line whose crc is the CRC-32 of the text before it', () => {
    const line = formatLine([{ seq: 3, json: '[]' }, { seq: 4, json: '[{"op":"delete","collection":"tokens","key":"t"}]' }]);
    expect(line.endsWith('\n')).to.equal(true);
    expect(line.indexOf('\n')).to.equal(line.length - 1);
    const match = /^(.*),"crc":"([0-9a-f]{8})"\}\n$/.exec(line);
    expect(match).to.not.equal(null);
    expect(Number.parseInt(match?.[2] ?? '', 16)).to.equal(crc32(match?.[1] ?? ''));
    expect(JSON.parse(line)).to.include({ seq: 4 });
    expect(() => formatLine([])).to.throw(RangeError);
  });

  it('parseJournal reads lines back in order, with their commits and byte counts', () => {
    const text = lineOf(1, 'a') + formatLine([{ seq: 2, json: JSON.stringify([putToken('b')]) }, { seq: 3, json: JSON.stringify([putToken('c')]) }]);
    const parsed = parseJournal(FILE, Buffer.from(text));
    expect(parsed.lines.map((l) => l.seq)).to.deep.equal([1, 3]);
    expect(parsed.lines[1]?.commits.map((c) => c.seq)).to.deep.equal([2, 3]);
    expect(parsed.lines[0]?.commits[0]?.mutations).to.deep.equal([putToken('a')]);
    expect(parsed).to.include({ validBytes: Buffer.byteLength(text), tornBytes: 0 });
    expect(parseJournal(FILE, Buffer.alloc(0))).to.deep.equal({ lines: [], validBytes: 0, tornBytes: 0 });
  });

  it('a last line without its newline is torn (never acknowledged): reported, not thrown', () => {
    const intact = lineOf(1, 'a');
    const full = lineOf(2, 'b');
    for (const tail of [full.slice(0, 20), full.slice(0, -1), '\0'.repeat(512), `${full.slice(0, 30)}${'\0'.repeat(40)}`]) {
      const parsed = parseJournal(FILE, Buffer.from(intact + tail));
      expect(parsed.lines.map((l) => l.seq)).to.deep.equal([1]);
      expect(parsed).to.include({ validBytes: Buffer.byteLength(intact), tornBytes: Buffer.byteLength(tail) });
    }
  });

  it('a complete last line with a bad checksum is an acknowledged commit damaged on disk: refused, naming the line', () => {
    const err = corruptError(lineOf(1, 'a') + lineOf(2, 'b').replace('"b"', '"X"'));
    expect(err.line).to.equal(2);
    expect(err.file).to.equal(FILE);
    expect(err.message).to.contain('checksum mismatch').and.contain('acknowledged commit').and.contain('line 2');
  });

  it('damage before the last line is refused: bad checksum, no checksum, bad JSON behind a good checksum, bad shape', () => {
    const good = lineOf(3, 'c');
    const body = '{"seq":1,"commits":[[1,{}]]';
    const forged = `${body},"crc":"${crc32(body).toString(16).padStart(8, '0')}"}\n`;
    const cases: [string, string][] = [
      [lineOf(1, 'a').replace('"a"', '"Z"'), 'checksum mismatch'],
      ['{"seq":1}\n', 'no checksum'],
      [forged, 'bad commit shape'],
    ];
    for (const [first, reason] of cases) {
      const err = corruptError(first + good);
      expect(err.line, reason).to.equal(1);
      expect(err.offset).to.equal(0);
      expect(err.message).to.contain(reason);
    }
  });
});

describe('db/journal: at startup', () => {
  const tempDir = useTempDirs();
  const { openAt, closeAll } = useStores();

  async function twoCommits(): Promise<string> {
    const file = join(await tempDir(), 'db.json');
    const store = await openAt(file);
    await store.commit([putToken('t1')]);
    await store.commit([putToken('t2')]);
    await closeAll();
    return file;
  }

  it('a torn last line is cut with one warning line, and appends go on cleanly after it', async () => {
    const file = await twoCommits();
    const intact = await readFile(`${file}.journal`);
    await appendFile(`${file}.journal`, '{"seq":3,"commits":[[3,[{"op":"put","collection":"tok');
    const warnings: string[] = [];
    const again = await openAt(file, { onWarning: (m) => warnings.push(m) });
    expect([...again.all('tokens')].map((t) => t.id)).to.deep.equal(['t1', 't2']);
    expect(await readFile(`${file}.journal`)).to.deep.equal(intact);
    expect(warnings).to.have.lengthOf(1);
    expect(warnings[0]).to.contain(`${file}.journal`).and.contain('incomplete line').and.contain('cutting it');
    await again.commit([putToken('t3')]);
    await closeAll();
    expect((await openAt(file)).count('tokens')).to.equal(3);
  });

  it('a zero-filled tail (a crash before the data reached the disk) is torn too', async () => {
    const file = await twoCommits();
    await appendFile(`${file}.journal`, Buffer.alloc(512));
    const warnings: string[] = [];
    expect((await openAt(file, { onWarning: (m) => warnings.push(m) })).count('tokens')).to.equal(2);
    expect(warnings).to.have.lengthOf(1);
  });

  it('a clean journal opens without a warning', async () => {
    const file = await twoCommits();
    const warnings: string[] = [];
    await openAt(file, { onWarning: (m) => warnings.push(m) });
    expect(warnings).to.deep.equal([]);
  });

  it('a complete last line with a bad checksum refuses to open, with a clear message, leaving both files byte-identical', async () => {
    const file = await twoCommits();
    const lines = (await readFile(`${file}.journal`, 'utf8')).split('\n');
    await writeFile(`${file}.journal`, `${lines[0]}\n${(lines[1] ?? '').replace('t2', 'tX')}\n`);
    const before = [await readFile(file), await readFile(`${file}.journal`)];
    const err = await rejection(openStore({ file, initialData: seedData }));
    expect(err).to.be.instanceOf(StoreCorruptError);
    expect((err as StoreCorruptError).line).to.equal(2);
    expect((err as Error).message).to.contain(`${file}.journal`).and.contain('checksum mismatch').and.contain('left untouched');
    expect((await readFile(file)).equals(before[0] as Buffer)).to.equal(true);
    expect((await readFile(`${file}.journal`)).equals(before[1] as Buffer)).to.equal(true);
  });
});
