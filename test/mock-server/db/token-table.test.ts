import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { INDEXES, PRIMARY_KEY, type TokenRecord } from '../../../mock-server/db/schema.js';
import { Table, type IndexDef } from '../../../mock-server/db/table.js';
import { TokenTable } from '../../../mock-server/db/token-table.js';
import { prng as random } from '../../support/prng.js';

const defs = INDEXES.tokens as unknown as Record<string, IndexDef<TokenRecord>>;

const hex = (n: number): string => createHash('sha256').update(String(n)).digest('hex');

/** Records of every kind a row holds, and of the kinds it keeps whole. */
function makeRecord(next: () => number, ids: string[], users: string[]): TokenRecord {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const id = pick(ids);
  const digest = next() < 0.8 ? hex(Math.floor(next() * 40)) : pick(['digest-a', 'digest-b', hex(1).toUpperCase(), `${hex(2).slice(0, 63)}g`]);
  const base: TokenRecord = {
    id, digest, user_id: pick(users), description: pick(['ci', 'a "quoted" one', 'émoji 😀', '']),
    is_active: next() < 0.7, expires_at: pick([0, 1_700_000_000_000, -0, 2.5]), create_at: Math.floor(next() * 1e13),
  };
  const shape = next();
  if (shape < 0.8) return base;
  if (shape < 0.87) return { ...base, extra: 'kept' } as TokenRecord;
  if (shape < 0.94) {
    // Same fields, another key order: kept whole, so it serializes as it came.
    const { id: first, ...rest } = base;
    return { ...rest, id: first } as TokenRecord;
  }
  return { ...base, is_active: 'yes' } as unknown as TokenRecord;
}

function view(table: Table<TokenRecord> | TokenTable, ids: string[], digests: string[], users: string[]): unknown {
  return {
    size: table.size,
    values: [...table.values()].map((r) => JSON.stringify(r)),
    byId: ids.map((id) => [table.has(id), JSON.stringify(table.get(id))]),
    byDigest: digests.map((d) => [JSON.stringify(table.findOne('digest', d)), table.uniqueOwner('digest', d), table.findMany('digest', d).length]),
    byUser: users.map((u) => [table.findMany('user_id', u).map((r) => r.id), table.findOne('user_id', u)?.id, table.uniqueOwner('user_id', u)]),
  };
}

describe('db/token-table: TokenTable answers like Table', () => {
  it('on random puts, replacements, deletes and loads (ids of every length, odd records, digests of every kind)', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const next = random(seed);
      const ids = [...Array.from({ length: 30 }, (_, i) => `t${i.toString(36).padStart(25, '0')}`), 't1', 'x', '', 'é-not-ascii', 'a'.repeat(32), 'b'.repeat(33), 'a\u0000'];
      const users = ['u1', 'u2', 'u3', 'ü4'];
      const digests = [...Array.from({ length: 40 }, (_, i) => hex(i)), 'digest-a', 'digest-b', hex(1).toUpperCase(), `${hex(2).slice(0, 63)}g`, 'nope'];
      const plain = new Table<TokenRecord>('tokens', PRIMARY_KEY.tokens, defs);
      const packed = new TokenTable(PRIMARY_KEY.tokens, defs);
      for (let step = 0; step < 400; step++) {
        const op = next();
        if (op < 0.45) {
          const record = Object.freeze(makeRecord(next, ids, users));
          plain.put(record);
          packed.put(record);
        } else if (op < 0.6) {
          const id = ids[Math.floor(next() * ids.length)] as string;
          expect(packed.delete(id)).to.equal(plain.delete(id));
        } else if (op < 0.97) {
          const record = Object.freeze(makeRecord(next, ids, users));
          expect(packed.load(record), `seed ${seed} step ${step}`).to.deep.equal(plain.load(record));
        } else {
          plain.clear();
          packed.clear();
        }
        if (step % 25 === 0) expect(view(packed, ids, digests, users), `seed ${seed} step ${step}`).to.deep.equal(view(plain, ids, digests, users));
      }
      expect(view(packed, ids, digests, users), `seed ${seed}`).to.deep.equal(view(plain, ids, digests, users));
    }
  });

  it('gives back records with the same fields, values and key order, frozen', () => {
    const table = new TokenTable(PRIMARY_KEY.tokens, defs);
    const record: TokenRecord = { id: 'abcdefghijklmnopqrstuvwxyz', digest: hex(7), user_id: 'u1', description: 'd', is_active: false, expires_at: 5, create_at: 6 };
    table.put(Object.freeze({ ...record }));
    // Evict it from the read cache: the next read materializes it from the columns.
    for (let i = 0; i < 5000; i++) table.put(Object.freeze({ ...record, id: `r${i}`, digest: hex(100 + i) }));
    const back = table.get(record.id);
    expect(JSON.stringify(back)).to.equal(JSON.stringify(record));
    expect(Object.isFrozen(back)).to.equal(true);
    expect(table.findOne('digest', record.digest)).to.deep.equal(record);
    expect(() => table.findOne('nope' as 'digest', 'x')).to.throw(TypeError, 'has no index "nope"');
  });

  it('loadLine takes exactly the JSON.stringify text of a record a row holds, and nothing else', () => {
    const canonical: TokenRecord = { id: 't1', digest: hex(1), user_id: 'u1', description: 'ci', is_active: true, expires_at: 0, create_at: 1_700_000_000_000 };
    const line = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
    const table = new TokenTable(PRIMARY_KEY.tokens, defs);
    const load = (buf: Buffer) => table.loadLine(buf, 0, buf.length);
    expect(load(line(canonical))).to.equal('loaded');
    expect(table.get('t1')).to.deep.equal(canonical);
    expect(load(line(canonical)), 'the same id again').to.equal('not-canonical');
    expect(load(line({ ...canonical, id: 't2' }))).to.deep.equal({ index: 'digest', key: hex(1), pks: ['t1', 't2'] });
    for (const other of [
      { ...canonical, id: 't3', description: 'a\nb' }, // an escape
      { ...canonical, id: 't4', description: 'é' }, // not ASCII
      { ...canonical, id: 't5', digest: hex(5).toUpperCase() },
      { ...canonical, id: 't6', expires_at: 1.5 },
      { ...canonical, id: 't7', expires_at: 1e21 },
      { ...canonical, id: 't8', extra: 1 },
      { id: 't9', user_id: 'u1', digest: hex(9), description: 'ci', is_active: true, expires_at: 0, create_at: 1 },
      { ...canonical, id: 'x'.repeat(33) },
    ]) expect(load(line(other)), JSON.stringify(other)).to.equal('not-canonical');
    expect(load(Buffer.from(JSON.stringify({ ...canonical, id: 't10', digest: hex(10) }).replace('"create_at":1700000000000', '"create_at":01')))).to.equal('not-canonical');
    expect(load(Buffer.from(JSON.stringify({ ...canonical, id: 't11', digest: hex(11) }).replace(':true', ':tru')))).to.equal('not-canonical');
    expect(table.size).to.equal(2);
    expect([...table.values()].map((r) => r.id)).to.deep.equal(['t1', 't2']);
  });

  it('loadLine reads a line a word at a time and still finds every byte that makes it not canonical', () => {
    // Ids of every length up to a row's 32 bytes, and strings with one byte a plain JSON string
    // body cannot hold (or can) at every offset of a word, in lines placed at every alignment.
    const next = random(11);
    const specials = ['"', '\\', '\n', '\u0001', '\u007f', 'é', '~', ' '];
    const table = new TokenTable(PRIMARY_KEY.tokens, defs);
    const loadedIds: string[] = [];
    for (let n = 0; n < 600; n++) {
      const idLength = 1 + (n % 32);
      const id = `${n.toString(36)}${'abcdefghijklmnopqrstuvwxyz012345'.slice(0, idLength)}`.slice(0, idLength);
      const special = specials[Math.floor(next() * specials.length)] as string;
      const at = Math.floor(next() * 9);
      const text = `${'u'.repeat(at)}${special}${'v'.repeat(Math.floor(next() * 6))}`;
      const inUser = next() < 0.5;
      const record: TokenRecord = {
        id, digest: hex(10_000 + n), user_id: inUser ? text : `user${n % 7}`, description: inUser ? `d${n % 3}` : text,
        is_active: next() < 0.5, expires_at: 0, create_at: n,
      };
      const pad = ' '.repeat(n % 4);
      const buf = Buffer.from(`${pad}${JSON.stringify(record)}`);
      const plain = /^[\x20-\x7f]*$/.test(text) && !/["\\]/.test(text) && !loadedIds.includes(record.id);
      const loaded = table.loadLine(buf, pad.length, buf.length);
      expect(loaded, JSON.stringify(record)).to.equal(plain ? 'loaded' : 'not-canonical');
      if (plain) {
        loadedIds.push(record.id);
        expect(JSON.stringify(table.get(record.id))).to.equal(JSON.stringify(record));
        expect(table.findOne('digest', record.digest)?.id).to.equal(record.id);
      }
    }
    expect(loadedIds.length).to.be.greaterThan(100);
  });

  it('capture(): the records as they were when it was taken, a slice at a time, whatever changes meanwhile', () => {
    const table = new TokenTable(PRIMARY_KEY.tokens, defs);
    const record = (i: number, extra: Partial<TokenRecord> = {}): TokenRecord => Object.freeze({
      id: `t${i}`, digest: hex(i), user_id: `u${i % 3}`, description: 'd', is_active: true, expires_at: 0, create_at: i, ...extra,
    });
    for (let i = 0; i < 100; i++) table.put(record(i));
    table.delete('t5');
    const before = [...table.values()].map((r) => JSON.stringify(r));
    const capture = table.capture();
    expect(capture.length).to.equal(99);
    const read = capture.slice(0, 10).map((r) => JSON.stringify(r));
    // Changes behind and ahead of the capture's position, and rows added after it.
    table.put(record(3, { is_active: false }));
    table.put(record(50, { is_active: false }));
    table.delete('t60');
    table.put(record(200));
    table.put(record(5));
    read.push(...capture.slice(10, 60).map((r) => JSON.stringify(r)));
    table.delete('t70');
    read.push(...capture.slice(60, 4096).map((r) => JSON.stringify(r)));
    expect(read).to.deep.equal(before);
    expect(capture.slice(99, 100)).to.deep.equal([]);
    expect(() => capture.slice(5, 10), 'out of order').to.throw(RangeError);
    // The table itself moved on.
    expect(table.get('t50')?.is_active).to.equal(false);
    expect(table.has('t60')).to.equal(false);
    expect([...table.values()].map((r) => r.id).slice(-2)).to.deep.equal(['t200', 't5']);
    // Two captures at once (a compaction's and a replacement's), each as of its own moment.
    const first = table.capture();
    const firstIds = [...table.values()].map((r) => r.id);
    table.delete('t1');
    const second = table.capture();
    const secondIds = [...table.values()].map((r) => r.id);
    table.delete('t2');
    table.put(record(300));
    expect(second.slice(0, 4096).map((r) => r.id)).to.deep.equal(secondIds);
    expect(first.slice(0, 4096).map((r) => r.id)).to.deep.equal(firstIds);
    const cleared = table.capture();
    table.clear();
    expect(() => cleared.slice(0, 1)).to.throw(RangeError, 'cleared');
  });
});
