import { expect } from 'chai';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSnapshot, snapshotChunks, snapshotDb, SnapshotFile, type SnapshotData } from '../../../mock-server/db/snapshot.js';
import { StoreCorruptError } from '../../../mock-server/db/errors.js';
import { COLLECTIONS, MemorySink } from '../../../mock-server/db/memory.js';
import type { MockData, TokenRecord } from '../../../mock-server/db/schema.js';
import { emptyData, seedData, token, user } from './fixtures/data.js';
import { useTempDirs } from './fixtures/tmp.js';

const FILE = '/data/db.json';

/** `data` as a snapshot, keys in snapshot order (version, seq, config, then every collection). */
function asSnapshot(data: MockData, seq: number): SnapshotData {
  const out: Record<string, unknown> = { version: data.version, seq, config: data.config };
  for (const name of COLLECTIONS) out[name] = data[name] ?? [];
  return out as unknown as SnapshotData;
}

function corrupt(text: string): StoreCorruptError {
  try {
    parseSnapshot(FILE, text);
  } catch (err) {
    expect(err, text.slice(0, 40)).to.be.instanceOf(StoreCorruptError);
    return err as StoreCorruptError;
  }
  throw new Error(`expected a StoreCorruptError for ${text.slice(0, 40)}`);
}

describe('db/snapshot: parseSnapshot', () => {
  const good = JSON.stringify({ ...seedData(), seq: 7 });

  it('reads a snapshot back, defaulting seq to 0 and missing collections to []', () => {
    expect(parseSnapshot(FILE, good).seq).to.equal(7);
    const { tokens: _tokens, ...withoutTokens } = { ...seedData() };
    const parsed = parseSnapshot(FILE, JSON.stringify({ ...withoutTokens }));
    expect(parsed.seq).to.equal(0);
    expect(parsed.tokens).to.deep.equal([]);
  });

  it('refuses damage with a message naming the file and what is wrong', () => {
    const cases: [string, string][] = [
      ['', 'empty'],
      [good.slice(0, Math.floor(good.length / 2)), 'invalid JSON'],
      [good.slice(0, -1), 'invalid JSON'],
      ['\u00de\u00ad\u00be\u00ef\u0000{', 'invalid JSON'],
      ['[1,2,3]', 'top level is not an object'],
      ['null', 'top level is not an object'],
      [good.replace('"version":1', '"version":99'), 'unsupported version 99'],
      [JSON.stringify({ ...seedData(), seq: -1 }), 'bad seq -1'],
      [JSON.stringify({ ...seedData(), seq: 1.5 }), 'bad seq 1.5'],
      [JSON.stringify({ ...seedData(), config: [] }), 'config is not an object'],
      [JSON.stringify({ ...seedData(), tokens: { x: [] } }), 'tokens is not an array'],
      [JSON.stringify({ ...seedData(), users: [null] }), 'users[0] is not an object'],
    ];
    for (const [text, reason] of cases) {
      const err = corrupt(text);
      expect(err.file).to.equal(FILE);
      expect(err.message, reason).to.contain(FILE).and.contain(reason).and.contain('left untouched');
    }
  });

  it('gives the byte offset of invalid JSON when the parser reports one', () => {
    expect(corrupt('{"version":1,"seq":0,"config":{} x').offset).to.be.a('number');
  });
});

describe('db/snapshot: snapshotChunks', () => {
  it('joined, the chunks are JSON.stringify of the snapshot with a newline before each record and each closing bracket', () => {
    const data = asSnapshot({ ...emptyData(), tokens: Array.from({ length: 9000 }, (_, i) => token(`t${i}`, 'u1')) }, 3);
    const chunks = [...snapshotChunks(data)];
    expect(chunks.length).to.be.above(3);
    const text = chunks.join('');
    expect(text.replaceAll('\n', '')).to.equal(JSON.stringify(data));
    expect(JSON.parse(text)).to.deep.equal(data);
    const lines = text.split('\n');
    expect(lines).to.have.length(9000 + 2);
    expect(lines[0]?.endsWith('"tokens":[')).to.equal(true);
    expect(lines.slice(1, -1).map((line) => JSON.parse(line.replace(/,$/, '')) as unknown)).to.deep.equal(data.tokens);
    expect(lines[lines.length - 1]?.startsWith('],"sessions":[]')).to.equal(true);
    const small = asSnapshot(seedData(), 0);
    const smallText = [...snapshotChunks(small)].join('');
    expect(smallText.replaceAll('\n', '')).to.equal(JSON.stringify(small));
    expect(smallText.split('\n').slice(1).filter((line) => line.startsWith('{'))).to.have.length(
      COLLECTIONS.reduce((n, name) => n + (small[name]?.length ?? 0), 0));
  });
});

describe('db/snapshot: SnapshotFile (lowdb adapter)', () => {
  const tempDir = useTempDirs();

  it('reads null when the file is missing; writes atomically with mode 0600 and reads it back', async () => {
    const dir = await tempDir();
    const file = join(dir, 'db.json');
    const adapter = new SnapshotFile(file, { fsync: false });
    expect(await adapter.read()).to.equal(null);
    const data = asSnapshot(seedData(), 5);
    await adapter.write(data);
    expect(((await stat(file)).mode & 0o777).toString(8)).to.equal('600');
    expect(await adapter.read()).to.deep.equal(data);
    expect(await readdir(dir)).to.deep.equal(['db.json']); // no temp file left
  });

  /** A snapshot of each kind of record: tokens a row holds, tokens kept whole, text needing escapes. */
  function mixed(): SnapshotData {
    const hex = (n: number) => n.toString(16).padStart(64, '0');
    const tokens = [
      ...Array.from({ length: 50 }, (_, i) => token(`t${i}`, `u${i % 3}`, { digest: hex(i + 1) })),
      token('odd1', 'u1'), // digest not hex
      { ...token('odd2', 'u1', { digest: hex(99) }), extra: 'kept' },
      token('odd3', 'u2', { digest: hex(98), description: 'line\nbreak "quoted" \u2028 😀' }),
    ];
    return asSnapshot({ ...seedData(), tokens: tokens as TokenRecord[],
      users: [...seedData().users, user('u9', 'émoji-😀', { props: { note: '"quoted"\n' } })] }, 9);
  }

  async function outcome(read: () => Promise<unknown> | unknown): Promise<unknown> {
    try {
      return { value: JSON.stringify(await read()) };
    } catch (err) {
      expect(err).to.be.instanceOf(StoreCorruptError);
      return { message: (err as Error).message, offset: (err as StoreCorruptError).offset };
    }
  }

  it('reads the line layout back exactly, and still reads a snapshot written as one line', async () => {
    const dir = await tempDir();
    const file = join(dir, 'db.json');
    const data = mixed();
    await new SnapshotFile(file, { fsync: false }).write(data);
    expect((await readFile(file, 'utf8')).split('\n').length).to.be.above(50);
    const streamed = new SnapshotFile(file);
    expect(JSON.stringify(await streamed.read())).to.equal(JSON.stringify(data));
    expect(streamed.lastRead).to.equal('streamed');
    await writeFile(file, JSON.stringify(data));
    const whole = new SnapshotFile(file);
    expect(JSON.stringify(await whole.read())).to.equal(JSON.stringify(data));
    expect(whole.lastRead).to.equal('whole');
  });

  it('opens or refuses a damaged line layout exactly as parsing the whole file does (same value, or same error and offset)', async () => {
    const dir = await tempDir();
    const file = join(dir, 'db.json');
    await new SnapshotFile(file, { fsync: false }).write(mixed());
    const good = await readFile(file, 'utf8');
    const lines = good.split('\n');
    const tokenLine = lines.findIndex((line) => line.startsWith('{"id":"t5"'));
    const edits: [string, string][] = [
      ['truncated in a record', good.slice(0, good.indexOf('"t7"') + 2)],
      ['truncated after a record line', lines.slice(0, tokenLine + 1).join('\n') + '\n'],
      ['truncated before the end', good.slice(0, -1)],
      ['a comma missing between records', lines.map((line, i) => (i === tokenLine ? line.replace(/,$/, '') : line)).join('\n')],
      ['a comma before the closing bracket', good.replace('\n],"sessions"', ',\n],"sessions"')],
      ['a record that is not an object', lines.map((line, i) => (i === tokenLine ? '5,' : line)).join('\n')],
      ['two records on one line', lines.map((line, i) => (i === tokenLine ? `${line}${line}` : line)).join('\n')],
      ['a record split over two lines', lines.map((line, i) => (i === tokenLine ? line.replace('"digest"', '\n"digest"') : line)).join('\n')],
      ['a collection twice', good.replace('],"sessions":[]', '],"tokens":[\n{"id":"z"}\n],"sessions":[]')],
      ['collections out of order', good.replace('"bots":[]', '"botz":[]')],
      ['a bad version', good.replace('"version":1', '"version":2')],
      ['a digest held twice', good.replace(/"digest":"[0-9a-f]{64}"/, `"digest":"${'0'.repeat(63)}2"`)],
      ['a byte that is not UTF-8 in a record', good.replace('"t9"', '"t\u00ff9"')],
      ['the same id twice (the later one wins)', good.replace('"id":"t8"', '"id":"t7"')],
      ['pretty-printed', JSON.stringify(JSON.parse(good), null, 2)],
      ['a trailing newline', `${good}\n`],
      ['empty', ''],
    ];
    for (const [what, text] of edits) {
      await writeFile(file, text);
      const whole = await outcome(() => parseSnapshot(file, text));
      expect(await outcome(() => new SnapshotFile(file).read()), what).to.deep.equal(whole);
      // Small reads: lines cut across chunks, lines longer than a chunk.
      for (const readBytes of [64, 333]) {
        expect(await outcome(() => new SnapshotFile(file, { readBytes }).read()), `${what}, reads of ${readBytes} bytes`).to.deep.equal(whole);
      }
    }
    // The untouched file streams, at every read size.
    await writeFile(file, good);
    for (const readBytes of [64, 333, 1 << 22]) {
      const adapter = new SnapshotFile(file, { readBytes });
      expect(await outcome(() => adapter.read())).to.deep.equal(await outcome(() => parseSnapshot(file, good)));
      expect(adapter.lastRead).to.equal('streamed');
    }
  });

  it('streams into a sink: the store\'s tables get every record, in order, whatever the read size', async () => {
    const file = join(await tempDir(), 'db.json');
    const data = mixed();
    await new SnapshotFile(file, { fsync: false }).write(data);
    for (const readBytes of [97, 1024, 1 << 22]) {
      const sink = new MemorySink();
      const adapter = new SnapshotFile(file, { sink, readBytes });
      const read = await adapter.read();
      expect(adapter.lastRead).to.equal('streamed');
      expect(read?.tokens, 'records went to the sink').to.deep.equal([]);
      const state = sink.state(read?.config ?? data.config);
      for (const name of COLLECTIONS) {
        expect([...state.tables[name].values()].map((r) => JSON.stringify(r)), `${name}, reads of ${readBytes}`).to.deep.equal((data[name] ?? []).map((r) => JSON.stringify(r)));
      }
      expect(state.tables.tokens.findOne('digest', data.tokens[3]?.digest ?? '')?.id).to.equal('t3');
    }
  });

  it('through lowdb: read refuses a damaged file and leaves it as it was', async () => {
    const file = join(await tempDir(), 'db.json');
    await writeFile(file, '{"version":1,');
    const low = snapshotDb(file);
    let err: unknown;
    try {
      await low.read();
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(StoreCorruptError);
    expect(await readFile(file, 'utf8')).to.equal('{"version":1,');
  });
});
