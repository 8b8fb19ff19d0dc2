/**
 * The `tokens` collection in columns: a million tokens as a million objects cost ~370 B each
 * (object, three strings, two `Map` entries, a bucket slot), which is most of the mock's memory
 * at 1M tokens and most of its start-up. Here a token is a row: its id (ASCII, ≤ 32 bytes) and
 * SHA-256 digest (32 bytes) in two shared byte columns, both indexed by open-addressing hash
 * tables of row numbers; `user_id` and `description` as interned strings; `is_active` a flag;
 * the two times in `Float64Array`s — about 130 B a token, indexes included.
 *
 * Readers still get ordinary frozen `TokenRecord`s with the same fields, values and key order:
 * a row is materialized when it is read (the last {@link CACHE_SIZE} read or written are kept, so
 * the request path reads the same object again). A record that a row cannot hold exactly (other
 * keys or key order, a digest that is not 64 lowercase hex digits, a long or non-ASCII id, …) is
 * kept whole as an object and still indexed, so every record comes back as it was stored.
 *
 * It answers every {@link RecordTable} call like {@link Table} does (insertion order, replacement
 * in place, unique-key clashes on load); `test/mock-server/db/token-table.test.ts` runs both side
 * by side on random operations.
 *
 * @example
 * ```ts
 * const tokens = new TokenTable(PRIMARY_KEY.tokens, INDEXES.tokens);
 * tokens.put(token);
 * tokens.findOne('digest', token.digest); // an equal, frozen TokenRecord
 * ```
 */
import type { TokenRecord } from './schema.js';
import type { IndexDef, LoadClash, RecordTable, TableIndex } from './table.js';

/** Bytes of an id slot: Mattermost ids are 26 characters. */
const ID_BYTES = 32;
/** Bytes of a SHA-256 digest. */
const DIGEST_BYTES = 32;
/** Materialized records kept for the next read (the request path reads the same token again). */
const CACHE_SIZE = 4096;
/** Distinct strings interned; past this, user ids and descriptions are kept as they come. */
const INTERN_LIMIT = 1 << 16;

const ALIVE = 1;
const ODD = 2;
const ID_IN_BYTES = 4;
const DIGEST_IN_BYTES = 8;
const ACTIVE = 16;

const KEYS = ['id', 'digest', 'user_id', 'description', 'is_active', 'expires_at', 'create_at'] as const;

/** Hex digit value of an ASCII code, or -1. Lowercase only: an uppercase digest is another string. */
const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[97 + c] = 10 + c;

function hashWords(words: Int32Array, base: number, len: number): number {
  let h = 0x811c9dc5 ^ len;
  for (let k = 0; k < 8; k++) {
    h = Math.imul(h ^ (words[base + k] as number), 0x01000193);
    h ^= h >>> 15;
  }
  return h;
}

/**
 * A unique index over 32-byte keys stored in a column (8 words per row): an open-addressing
 * table of row numbers, linear probing, deletion by backward shift. 8 bytes per row at most.
 */
class ByteKeyIndex {
  /** The key column; replaced by the table when it grows. */
  words: Int32Array;
  /** Key lengths (ids); undefined when every key is 32 bytes (digests). */
  lens: Uint8Array | undefined;
  #slots = new Int32Array(1024).fill(-1);
  #mask = 1023;
  #size = 0;

  constructor(words: Int32Array, lens: Uint8Array | undefined) {
    this.words = words;
    this.lens = lens;
  }

  #rowHash(row: number): number {
    return hashWords(this.words, row * 8, this.lens ? (this.lens[row] as number) : DIGEST_BYTES);
  }

  #equals(row: number, key: Int32Array, len: number): boolean {
    if (this.lens && this.lens[row] !== len) return false;
    const words = this.words;
    const base = row * 8;
    for (let k = 0; k < 8; k++) if (words[base + k] !== key[k]) return false;
    return true;
  }

  /** Row whose key is `key` (8 words, `len` bytes), or -1. */
  find(key: Int32Array, len: number): number {
    const slots = this.#slots;
    for (let i = hashWords(key, 0, len) & this.#mask; ; i = (i + 1) & this.#mask) {
      const row = slots[i] as number;
      if (row === -1 || this.#equals(row, key, len)) return row;
    }
  }

  /** Index `row` under its key; returns the row that held that key before (-1 if none). */
  set(row: number): number {
    const slots = this.#slots;
    const base = row * 8;
    const len = this.lens ? (this.lens[row] as number) : DIGEST_BYTES;
    const key = this.words.subarray(base, base + 8);
    let i = hashWords(this.words, base, len) & this.#mask;
    for (; ; i = (i + 1) & this.#mask) {
      const held = slots[i] as number;
      if (held === -1) break;
      if (this.#equals(held, key, len)) {
        slots[i] = row;
        return held;
      }
    }
    slots[i] = row;
    this.#size += 1;
    if (this.#size * 2 > slots.length) this.#rehash(slots.length * 2);
    return -1;
  }

  /** Drop `row` from the index (if its key is indexed to it). Call before its key changes. */
  remove(row: number): void {
    const slots = this.#slots;
    const mask = this.#mask;
    let i = this.#rowHash(row) & mask;
    for (; slots[i] !== row; i = (i + 1) & mask) if (slots[i] === -1) return;
    // Backward shift: move later entries of the probe run into the hole when their home allows.
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const moving = slots[j] as number;
      if (moving === -1) break;
      const home = this.#rowHash(moving) & mask;
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!between) {
        slots[i] = moving;
        i = j;
      }
    }
    slots[i] = -1;
    this.#size -= 1;
  }

  #rehash(capacity: number): void {
    const old = this.#slots;
    this.#slots = new Int32Array(capacity).fill(-1);
    this.#mask = capacity - 1;
    for (const row of old) {
      if (row === -1) continue;
      let i = this.#rowHash(row) & this.#mask;
      while (this.#slots[i] !== -1) i = (i + 1) & this.#mask;
      this.#slots[i] = row;
    }
  }
}

/** Rows of one `user_id`, ascending (= insertion order). */
function insertSorted(rows: number[], row: number): void {
  if (rows.length === 0 || (rows[rows.length - 1] as number) < row) {
    rows.push(row);
    return;
  }
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((rows[mid] as number) < row) lo = mid + 1;
    else hi = mid;
  }
  rows.splice(lo, 0, row);
}

function removeSorted(rows: number[], row: number): void {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((rows[mid] as number) < row) lo = mid + 1;
    else hi = mid;
  }
  if (rows[lo] === row) rows.splice(lo, 1);
}

/** Result of {@link TokenTable.loadLine}: loaded (maybe with a clash), or not a canonical line. */
export type LineLoad = LoadClash | 'loaded' | 'not-canonical';

/** Literal bytes of the canonical token line, between the fields. */
const LIT = {
  open: Buffer.from('{"id":"'),
  digest: Buffer.from('","digest":"'),
  user: Buffer.from('","user_id":"'),
  description: Buffer.from('","description":"'),
  active: Buffer.from('","is_active":'),
  expires: Buffer.from(',"expires_at":'),
  created: Buffer.from(',"create_at":'),
};

function literalAt(buf: Uint8Array, pos: number, end: number, lit: Uint8Array): boolean {
  if (pos + lit.length > end) return false;
  for (let k = 0; k < lit.length; k++) if (buf[pos + k] !== lit[k]) return false;
  return true;
}

/** End of a JSON string body without escapes or non-ASCII bytes starting at `pos` (the closing quote), or -1. */
function plainStringEnd(buf: Uint8Array, pos: number, end: number): number {
  for (let i = pos; i < end; i++) {
    const b = buf[i] as number;
    if (b === 0x22) return i;
    if (b === 0x5c || b < 0x20 || b >= 0x80) return -1;
  }
  return -1;
}

/** The `tokens` table in columns. */
export class TokenTable implements RecordTable<TokenRecord> {
  readonly name = 'tokens';
  readonly primaryKey: (record: TokenRecord) => string;
  readonly indexes: ReadonlyMap<string, TableIndex<TokenRecord>>;
  readonly #digestKey: (record: TokenRecord) => string | undefined;
  readonly #userKey: (record: TokenRecord) => string | undefined;

  #rows = 0;
  #live = 0;
  #capacity = 0;
  #flags = new Uint8Array(0);
  #idBytes = Buffer.alloc(0);
  #idWords = new Int32Array(0);
  #idLens = new Uint8Array(0);
  #digestBytes = Buffer.alloc(0);
  #digestWords = new Int32Array(0);
  #expires = new Float64Array(0);
  #created = new Float64Array(0);
  #users: (string | undefined)[] = [];
  #descriptions: (string | undefined)[] = [];
  /** Records kept whole, by row. */
  #odd = new Map<number, TokenRecord>();
  /** Recently read or written records, by row (oldest first). */
  #cache = new Map<number, TokenRecord>();
  #ids!: ByteKeyIndex;
  /** Rows of primary keys that are not ASCII strings of ≤ 32 bytes. */
  #oddPks = new Map<unknown, number>();
  #digests!: ByteKeyIndex;
  /** Rows of digest keys that are not 64 lowercase hex digits. */
  #oddDigests = new Map<unknown, number>();
  #byUser = new Map<unknown, number[]>();
  #interned = new Map<string, string>();
  /** A lookup key, encoded (8 words). */
  readonly #key = new Int32Array(8);
  readonly #keyBytes = new Uint8Array(this.#key.buffer);

  constructor(primaryKey: (record: TokenRecord) => string, defs: Readonly<Record<string, IndexDef<TokenRecord>>>) {
    const names = Object.keys(defs);
    if (names.length !== 2 || defs.digest?.unique !== true || defs.user_id?.unique !== false) {
      throw new TypeError(`TokenTable knows the indexes digest (unique) and user_id; the schema has ${names.join(', ')}`);
    }
    this.primaryKey = primaryKey;
    this.#digestKey = defs.digest.key;
    this.#userKey = defs.user_id.key;
    this.indexes = new Map(names.map((name) => [name, { name, def: defs[name] as IndexDef<TokenRecord> }]));
    this.clear();
  }

  get size(): number {
    return this.#live;
  }

  clear(): void {
    this.#rows = 0;
    this.#live = 0;
    this.#capacity = 0;
    this.#grow(1024);
    this.#users = [];
    this.#descriptions = [];
    this.#odd.clear();
    this.#cache.clear();
    this.#oddPks.clear();
    this.#oddDigests.clear();
    this.#byUser.clear();
    this.#interned.clear();
    this.#ids = new ByteKeyIndex(this.#idWords, this.#idLens);
    this.#digests = new ByteKeyIndex(this.#digestWords, undefined);
  }

  #grow(capacity: number): void {
    const copy = <T extends Uint8Array | Float64Array>(old: T, make: (n: number) => T, width: number): T => {
      const next = make(capacity * width);
      next.set(old.subarray(0, this.#rows * width));
      return next;
    };
    this.#flags = copy(this.#flags, (n) => new Uint8Array(n), 1);
    this.#idLens = copy(this.#idLens, (n) => new Uint8Array(n), 1);
    this.#idBytes = copy(this.#idBytes, (n) => Buffer.alloc(n), ID_BYTES);
    this.#digestBytes = copy(this.#digestBytes, (n) => Buffer.alloc(n), DIGEST_BYTES);
    this.#expires = copy(this.#expires, (n) => new Float64Array(n), 1);
    this.#created = copy(this.#created, (n) => new Float64Array(n), 1);
    this.#idWords = new Int32Array(this.#idBytes.buffer, this.#idBytes.byteOffset, capacity * 8);
    this.#digestWords = new Int32Array(this.#digestBytes.buffer, this.#digestBytes.byteOffset, capacity * 8);
    this.#capacity = capacity;
    if (this.#ids) {
      this.#ids.words = this.#idWords;
      this.#ids.lens = this.#idLens;
      this.#digests.words = this.#digestWords;
    }
  }

  #intern(value: string): string {
    const known = this.#interned.get(value);
    if (known !== undefined) return known;
    if (this.#interned.size < INTERN_LIMIT) this.#interned.set(value, value);
    return value;
  }

  /** Encode `key` into the lookup key when it is an ASCII string of ≤ 32 bytes; its length, or -1. */
  #encodeId(key: unknown): number {
    if (typeof key !== 'string' || key.length > ID_BYTES) return -1;
    const bytes = this.#keyBytes;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      if (c >= 0x80) return -1;
      bytes[i] = c;
    }
    bytes.fill(0, key.length);
    return key.length;
  }

  /** Decode 64 lowercase hex digits into the lookup key; false when `key` is not that. */
  #encodeDigest(key: unknown): boolean {
    if (typeof key !== 'string' || key.length !== DIGEST_BYTES * 2) return false;
    const bytes = this.#keyBytes;
    for (let i = 0; i < DIGEST_BYTES; i++) {
      const hi = key.charCodeAt(2 * i);
      const lo = key.charCodeAt(2 * i + 1);
      const h = hi < 128 ? (HEX[hi] as number) : -1;
      const l = lo < 128 ? (HEX[lo] as number) : -1;
      if (h < 0 || l < 0) return false;
      bytes[i] = (h << 4) | l;
    }
    return true;
  }

  #rowOf(pk: unknown): number {
    const len = this.#encodeId(pk);
    return len < 0 ? this.#oddPks.get(pk) ?? -1 : this.#ids.find(this.#key, len);
  }

  #pkOf(row: number): string {
    const flags = this.#flags[row] as number;
    if (flags & ID_IN_BYTES) return this.#idBytes.toString('latin1', row * ID_BYTES, row * ID_BYTES + (this.#idLens[row] as number));
    return this.primaryKey(this.#odd.get(row) as TokenRecord);
  }

  #materialize(row: number): TokenRecord {
    const at = row * ID_BYTES;
    const flags = this.#flags[row] as number;
    return Object.freeze({
      id: this.#idBytes.toString('latin1', at, at + (this.#idLens[row] as number)),
      digest: this.#digestBytes.toString('hex', row * DIGEST_BYTES, (row + 1) * DIGEST_BYTES),
      user_id: this.#users[row] as string,
      description: this.#descriptions[row] as string,
      is_active: (flags & ACTIVE) !== 0,
      expires_at: this.#expires[row] as number,
      create_at: this.#created[row] as number,
    });
  }

  #remember(row: number, record: TokenRecord): void {
    this.#cache.delete(row);
    this.#cache.set(row, record);
    if (this.#cache.size > CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value as number);
  }

  /** The record of a live row; `keep` remembers a materialized one for the next read. */
  #record(row: number, keep: boolean): TokenRecord {
    const odd = this.#odd.get(row);
    if (odd !== undefined) return odd;
    const cached = this.#cache.get(row);
    if (cached !== undefined) return cached;
    const record = this.#materialize(row);
    if (keep) this.#remember(row, record);
    return record;
  }

  get(pk: string): TokenRecord | undefined {
    const row = this.#rowOf(pk);
    return row < 0 ? undefined : this.#record(row, true);
  }

  has(pk: string): boolean {
    return this.#rowOf(pk) >= 0;
  }

  *values(): IterableIterator<TokenRecord> {
    for (let row = 0; row < this.#rows; row++) {
      if ((this.#flags[row] as number) & ALIVE) yield this.#record(row, false);
    }
  }

  #checkIndex(indexName: string): void {
    if (!this.indexes.has(indexName)) throw new TypeError(`collection ${this.name} has no index ${JSON.stringify(indexName)}`);
  }

  #digestRow(key: unknown): number {
    return this.#encodeDigest(key) ? this.#digests.find(this.#key, DIGEST_BYTES) : this.#oddDigests.get(key) ?? -1;
  }

  uniqueOwner(indexName: string, key: string): string | undefined {
    this.#checkIndex(indexName);
    if (indexName !== 'digest') return undefined;
    const row = this.#digestRow(key);
    return row < 0 ? undefined : this.#pkOf(row);
  }

  findOne(indexName: string, key: string): TokenRecord | undefined {
    this.#checkIndex(indexName);
    if (indexName === 'digest') {
      const row = this.#digestRow(key);
      return row < 0 ? undefined : this.#record(row, true);
    }
    const rows = this.#byUser.get(key);
    return rows === undefined || rows.length === 0 ? undefined : this.#record(rows[0] as number, true);
  }

  findMany(indexName: string, key: string): TokenRecord[] {
    this.#checkIndex(indexName);
    if (indexName === 'digest') {
      const one = this.findOne(indexName, key);
      return one === undefined ? [] : [one];
    }
    return (this.#byUser.get(key) ?? []).map((row) => this.#record(row, false));
  }

  /** Whether `record` fits a row exactly: the seven fields in this order, of the types a row holds. */
  #fits(record: TokenRecord): boolean {
    const keys = Object.keys(record);
    if (keys.length !== KEYS.length) return false;
    for (let i = 0; i < KEYS.length; i++) if (keys[i] !== KEYS[i]) return false;
    return typeof record.user_id === 'string' && typeof record.description === 'string' && typeof record.is_active === 'boolean'
      && typeof record.expires_at === 'number' && typeof record.create_at === 'number'
      && this.#encodeId(record.id) >= 0 && this.#encodeDigest(record.digest);
  }

  /** Write `record` into `row` (not indexed yet). */
  #write(row: number, record: TokenRecord): void {
    const fits = this.#fits(record);
    let flags = ALIVE;
    const idLen = this.#encodeId(this.primaryKey(record));
    if (idLen >= 0) {
      this.#idBytes.set(this.#keyBytes, row * ID_BYTES);
      this.#idLens[row] = idLen;
      flags |= ID_IN_BYTES;
    }
    if (this.#encodeDigest(this.#digestKey(record))) {
      this.#digestBytes.set(this.#keyBytes, row * DIGEST_BYTES);
      flags |= DIGEST_IN_BYTES;
    }
    if (fits) {
      if (record.is_active) flags |= ACTIVE;
      this.#users[row] = this.#intern(record.user_id);
      this.#descriptions[row] = this.#intern(record.description);
      this.#expires[row] = record.expires_at;
      this.#created[row] = record.create_at;
      this.#odd.delete(row);
      this.#remember(row, record);
    } else {
      flags |= ODD;
      this.#users[row] = undefined;
      this.#descriptions[row] = undefined;
      this.#odd.set(row, record);
      this.#cache.delete(row);
    }
    this.#flags[row] = flags;
  }

  /** Index a written row; returns the row that held its digest before (-1 if none). */
  #index(row: number, record: TokenRecord | undefined, isNew: boolean): number {
    const flags = this.#flags[row] as number;
    if (isNew) {
      if (flags & ID_IN_BYTES) this.#ids.set(row);
      else this.#oddPks.set(this.primaryKey(record as TokenRecord), row);
    }
    let holder = -1;
    if (flags & DIGEST_IN_BYTES) holder = this.#digests.set(row);
    else {
      const key = record === undefined ? undefined : this.#digestKey(record);
      if (key !== undefined) {
        holder = this.#oddDigests.get(key) ?? -1;
        this.#oddDigests.set(key, row);
      }
    }
    const userKey = record === undefined ? this.#users[row] : this.#userKey(record);
    if (userKey !== undefined) {
      let rows = this.#byUser.get(userKey);
      if (rows === undefined) {
        rows = [];
        this.#byUser.set(userKey, rows);
      }
      insertSorted(rows, row);
    }
    return holder;
  }

  /** Drop a row's digest and user entries (before it is rewritten or deleted). */
  #unindex(row: number): void {
    const flags = this.#flags[row] as number;
    const odd = this.#odd.get(row);
    if (flags & DIGEST_IN_BYTES) this.#digests.remove(row);
    else {
      const key = odd === undefined ? undefined : this.#digestKey(odd);
      if (key !== undefined && this.#oddDigests.get(key) === row) this.#oddDigests.delete(key);
    }
    const userKey = odd === undefined ? this.#users[row] : this.#userKey(odd);
    if (userKey !== undefined) {
      const rows = this.#byUser.get(userKey);
      if (rows) {
        removeSorted(rows, row);
        if (rows.length === 0) this.#byUser.delete(userKey);
      }
    }
  }

  #append(): number {
    if (this.#rows === this.#capacity) this.#grow(this.#capacity * 2);
    this.#live += 1;
    return this.#rows++;
  }

  put(record: TokenRecord): void {
    const row = this.#rowOf(this.primaryKey(record));
    if (row >= 0) {
      this.#unindex(row);
      this.#write(row, record);
      this.#index(row, record, false);
      return;
    }
    const added = this.#append();
    this.#write(added, record);
    this.#index(added, record, true);
  }

  delete(pk: string): boolean {
    const row = this.#rowOf(pk);
    if (row < 0) return false;
    this.#unindex(row);
    if ((this.#flags[row] as number) & ID_IN_BYTES) this.#ids.remove(row);
    else this.#oddPks.delete(pk);
    this.#flags[row] = 0;
    this.#odd.delete(row);
    this.#cache.delete(row);
    this.#users[row] = undefined;
    this.#descriptions[row] = undefined;
    this.#live -= 1;
    return true;
  }

  load(record: TokenRecord): LoadClash | undefined {
    const pk = this.primaryKey(record);
    if (this.#rowOf(pk) >= 0) {
      this.put(record);
      return undefined;
    }
    const row = this.#append();
    this.#write(row, record);
    return this.#clash(this.#index(row, record, true), row);
  }

  #clash(holder: number, row: number): LoadClash | undefined {
    if (holder < 0 || holder === row) return undefined;
    const key = this.#odd.has(row) ? this.#digestKey(this.#odd.get(row) as TokenRecord) as string
      : this.#digestBytes.toString('hex', row * DIGEST_BYTES, (row + 1) * DIGEST_BYTES);
    return { index: 'digest', key, pks: [this.#pkOf(holder), this.#pkOf(row)] };
  }

  /**
   * Load one record from its JSON text (`buf[start, end)`) without building an object, when the
   * text is exactly what `JSON.stringify` writes for a token that fits a row (the store's own
   * snapshots): `'not-canonical'` otherwise, and the caller parses it. A primary key that is
   * already present also returns `'not-canonical'` (its replacement takes the general path).
   */
  loadLine(buf: Buffer, start: number, end: number): LineLoad {
    if (this.#rows === this.#capacity) this.#grow(this.#capacity * 2);
    const row = this.#rows;
    let pos = start;
    if (!literalAt(buf, pos, end, LIT.open)) return 'not-canonical';
    pos += LIT.open.length;
    const idEnd = plainStringEnd(buf, pos, end);
    const idLen = idEnd - pos;
    if (idEnd < 0 || idLen > ID_BYTES) return 'not-canonical';
    const idAt = row * ID_BYTES;
    const idBytes = this.#idBytes;
    buf.copy(idBytes, idAt, pos, idEnd);
    idBytes.fill(0, idAt + idLen, idAt + ID_BYTES);
    pos = idEnd;
    if (!literalAt(buf, pos, end, LIT.digest)) return 'not-canonical';
    pos += LIT.digest.length;
    if (pos + 2 * DIGEST_BYTES >= end || buf[pos + 2 * DIGEST_BYTES] !== 0x22) return 'not-canonical';
    const digestBytes = this.#digestBytes;
    const digestAt = row * DIGEST_BYTES;
    for (let i = 0; i < DIGEST_BYTES; i++) {
      const hi = buf[pos + 2 * i] as number;
      const lo = buf[pos + 2 * i + 1] as number;
      const h = hi < 128 ? (HEX[hi] as number) : -1;
      const l = lo < 128 ? (HEX[lo] as number) : -1;
      if (h < 0 || l < 0) return 'not-canonical';
      digestBytes[digestAt + i] = (h << 4) | l;
    }
    pos += 2 * DIGEST_BYTES;
    if (!literalAt(buf, pos, end, LIT.user)) return 'not-canonical';
    pos += LIT.user.length;
    const userEnd = plainStringEnd(buf, pos, end);
    if (userEnd < 0) return 'not-canonical';
    const userAt = pos;
    pos = userEnd;
    if (!literalAt(buf, pos, end, LIT.description)) return 'not-canonical';
    pos += LIT.description.length;
    const descriptionEnd = plainStringEnd(buf, pos, end);
    if (descriptionEnd < 0) return 'not-canonical';
    const descriptionAt = pos;
    pos = descriptionEnd;
    if (!literalAt(buf, pos, end, LIT.active)) return 'not-canonical';
    pos += LIT.active.length;
    let active: boolean;
    if (pos + 5 > end) return 'not-canonical';
    if (buf[pos] === 0x74 && buf[pos + 1] === 0x72 && buf[pos + 2] === 0x75 && buf[pos + 3] === 0x65) {
      active = true;
      pos += 4;
    } else if (buf[pos] === 0x66 && buf[pos + 1] === 0x61 && buf[pos + 2] === 0x6c && buf[pos + 3] === 0x73 && buf[pos + 4] === 0x65) {
      active = false;
      pos += 5;
    } else return 'not-canonical';
    if (!literalAt(buf, pos, end, LIT.expires)) return 'not-canonical';
    pos += LIT.expires.length;
    const expires = readInteger(buf, pos, end);
    if (expires === undefined) return 'not-canonical';
    pos = expires.end;
    if (!literalAt(buf, pos, end, LIT.created)) return 'not-canonical';
    pos += LIT.created.length;
    const created = readInteger(buf, pos, end);
    if (created === undefined || created.end !== end - 1 || buf[end - 1] !== 0x7d) return 'not-canonical';
    const existing = this.#ids.find(this.#idWords.subarray(row * 8, row * 8 + 8), idLen);
    if (existing >= 0) return 'not-canonical';
    // Canonical: commit the row.
    this.#idLens[row] = idLen;
    this.#flags[row] = ALIVE | ID_IN_BYTES | DIGEST_IN_BYTES | (active ? ACTIVE : 0);
    this.#users[row] = this.#intern(buf.toString('latin1', userAt, userEnd));
    this.#descriptions[row] = this.#intern(buf.toString('latin1', descriptionAt, descriptionEnd));
    this.#expires[row] = expires.value;
    this.#created[row] = created.value;
    this.#rows += 1;
    this.#live += 1;
    const clash = this.#clash(this.#index(row, undefined, true), row);
    return clash ?? 'loaded';
  }
}

/** A JSON integer of at most 15 digits (exact as a double) at `pos`: its value and end, or undefined. */
function readInteger(buf: Uint8Array, pos: number, end: number): { value: number; end: number } | undefined {
  let i = pos;
  const negative = buf[i] === 0x2d;
  if (negative) i += 1;
  const first = i;
  let value = 0;
  while (i < end) {
    const d = (buf[i] as number) - 0x30;
    if (d < 0 || d > 9) break;
    value = value * 10 + d;
    i += 1;
  }
  const digits = i - first;
  if (digits === 0 || digits > 15 || (digits > 1 && buf[first] === 0x30)) return undefined;
  // A fraction or an exponent: not an integer literal (the general path parses it).
  if (buf[i] === 0x2e || buf[i] === 0x65 || buf[i] === 0x45) return undefined;
  return { value: negative ? -value : value, end: i };
}
