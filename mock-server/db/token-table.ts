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
import type { IndexDef, LoadClash, RecordList, RecordTable, TableIndex } from './table.js';

/** Bytes of an id slot: Mattermost ids are 26 characters. */
const ID_BYTES = 32;
/** Bytes of a SHA-256 digest. */
const DIGEST_BYTES = 32;
/** Materialized records kept for the next read (the request path reads the same token again). */
const CACHE_SIZE = 4096;
/** Distinct strings interned; past this, user ids and descriptions are kept as they come. */
const INTERN_LIMIT = 1 << 16;
/** Slots of the byte-keyed cache in front of the interned strings (a power of two). */
const RECENT_STRINGS = 4096;
/** Bytes kept of each recent string: a longer one is found by the interned strings' `Map`. */
const RECENT_BYTES = 64;

const ALIVE = 1;
const ODD = 2;
const ID_IN_BYTES = 4;
const DIGEST_IN_BYTES = 8;
const ACTIVE = 16;

const KEYS = ['id', 'digest', 'user_id', 'description', 'is_active', 'expires_at', 'create_at'] as const;

/** The value of a lowercase hex digit by char code (< 256), or -1: an uppercase digest is another string. */
const HEX_DIGIT = new Int8Array(256).fill(-1);
for (let d = 0; d < 16; d++) HEX_DIGIT['0123456789abcdef'.charCodeAt(d)] = d;

function hashWords(words: Int32Array, base: number, len: number): number {
  let h = 0x811c9dc5 ^ len;
  for (let k = 0; k < 8; k++) h = Math.imul(h ^ (words[base + k] as number), 0x01000193);
  // murmur3's finalizer: every input bit reaches the low bits the table masks with.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Rows per block (a power of two): columns grow a block at a time, never copied. */
const BLOCK_SHIFT = 16;
const BLOCK_ROWS = 1 << BLOCK_SHIFT;
const BLOCK_MASK = BLOCK_ROWS - 1;

/** The columns of {@link BLOCK_ROWS} rows, in one allocation (82 bytes a row). */
class Block {
  readonly expires: Float64Array;
  readonly created: Float64Array;
  readonly ids: Buffer;
  readonly idWords: Int32Array;
  readonly digests: Buffer;
  readonly digestWords: Int32Array;
  readonly flags: Uint8Array;
  readonly idLens: Uint8Array;

  constructor() {
    const n = BLOCK_ROWS;
    const memory = new ArrayBuffer(n * (8 + 8 + ID_BYTES + DIGEST_BYTES + 1 + 1));
    let at = 0;
    const take = (bytes: number): number => {
      const start = at;
      at += bytes * n;
      return start;
    };
    this.expires = new Float64Array(memory, take(8), n);
    this.created = new Float64Array(memory, take(8), n);
    const ids = take(ID_BYTES);
    this.ids = Buffer.from(memory, ids, n * ID_BYTES);
    this.idWords = new Int32Array(memory, ids, n * ID_BYTES / 4);
    const digests = take(DIGEST_BYTES);
    this.digests = Buffer.from(memory, digests, n * DIGEST_BYTES);
    this.digestWords = new Int32Array(memory, digests, n * DIGEST_BYTES / 4);
    this.flags = new Uint8Array(memory, take(1), n);
    this.idLens = new Uint8Array(memory, take(1), n);
  }
}

/**
 * A unique index over 32-byte keys stored in a column (8 words per row): an open-addressing
 * table of (row, hash) pairs, linear probing, deletion by backward shift. The hash beside the row
 * means a probe touches the key column only on a full hash match, and growing never reads it.
 * 16 bytes per row at most (load ≤ 1/2).
 */
class ByteKeyIndex {
  /** The table's blocks (the same array: the table appends to it). */
  readonly #blocks: readonly Block[];
  /** Ids (with their lengths), or digests (always 32 bytes). */
  readonly #ids: boolean;
  /** Pairs: row (-1 = empty), hash. */
  #slots = new Int32Array(2048).fill(-1);
  #mask = 1023;
  #size = 0;

  constructor(blocks: readonly Block[], ids: boolean) {
    this.#blocks = blocks;
    this.#ids = ids;
  }

  #words(row: number): Int32Array {
    const block = this.#blocks[row >>> BLOCK_SHIFT] as Block;
    return this.#ids ? block.idWords : block.digestWords;
  }

  #len(row: number): number {
    return this.#ids ? ((this.#blocks[row >>> BLOCK_SHIFT] as Block).idLens[row & BLOCK_MASK] as number) : DIGEST_BYTES;
  }

  #rowHash(row: number): number {
    return hashWords(this.#words(row), (row & BLOCK_MASK) * 8, this.#len(row));
  }

  #equals(row: number, key: Int32Array, keyBase: number, len: number): boolean {
    if (this.#len(row) !== len) return false;
    const words = this.#words(row);
    const base = (row & BLOCK_MASK) * 8;
    for (let k = 0; k < 8; k++) if (words[base + k] !== key[keyBase + k]) return false;
    return true;
  }

  /** Row whose key is `key` (8 words, `len` bytes), or -1. */
  find(key: Int32Array, len: number): number {
    const slots = this.#slots;
    const mask = this.#mask;
    const hash = hashWords(key, 0, len);
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const row = slots[2 * i] as number;
      if (row === -1) return -1;
      if (slots[2 * i + 1] === hash && this.#equals(row, key, 0, len)) return row;
    }
  }

  /** Index `row` under its key; returns the row that held that key before (-1 if none). */
  set(row: number): number {
    return this.#put(row, true);
  }

  /** Index `row` unless its key is indexed already: returns the row holding it (nothing changed), or -1. */
  insertNew(row: number): number {
    return this.#put(row, false);
  }

  #put(row: number, replace: boolean): number {
    const slots = this.#slots;
    const mask = this.#mask;
    const len = this.#len(row);
    const words = this.#words(row);
    const base = (row & BLOCK_MASK) * 8;
    const hash = hashWords(words, base, len);
    let i = hash & mask;
    for (; ; i = (i + 1) & mask) {
      const held = slots[2 * i] as number;
      if (held === -1) break;
      if (slots[2 * i + 1] === hash && this.#equals(held, words, base, len)) {
        if (replace) slots[2 * i] = row;
        return held;
      }
    }
    slots[2 * i] = row;
    slots[2 * i + 1] = hash;
    this.#size += 1;
    if (this.#size * 2 > mask + 1) this.#rehash((mask + 1) * 2);
    return -1;
  }

  /** Drop `row` from the index (if its key is indexed to it). Call before its key changes. */
  remove(row: number): void {
    const slots = this.#slots;
    const mask = this.#mask;
    let i = this.#rowHash(row) & mask;
    for (; slots[2 * i] !== row; i = (i + 1) & mask) if (slots[2 * i] === -1) return;
    // Backward shift: move later entries of the probe run into the hole when their home allows.
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const moving = slots[2 * j] as number;
      if (moving === -1) break;
      const home = (slots[2 * j + 1] as number) & mask;
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!between) {
        slots[2 * i] = moving;
        slots[2 * i + 1] = slots[2 * j + 1] as number;
        i = j;
      }
    }
    slots[2 * i] = -1;
    this.#size -= 1;
  }

  #rehash(capacity: number): void {
    const old = this.#slots;
    const slots = new Int32Array(capacity * 2).fill(-1);
    const mask = capacity - 1;
    for (let k = 0; k < old.length; k += 2) {
      if (old[k] === -1) continue;
      const hash = old[k + 1] as number;
      let i = hash & mask;
      while (slots[2 * i] !== -1) i = (i + 1) & mask;
      slots[2 * i] = old[k] as number;
      slots[2 * i + 1] = hash;
    }
    this.#slots = slots;
    this.#mask = mask;
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

/** What a capture has read, and the records it keeps for rows changed since it was taken. */
interface CaptureState {
  /** Rows when it was taken (later rows are not in it). */
  readonly rows: number;
  /** Next row to read. */
  next: number;
  readonly before: Map<number, TokenRecord>;
  /** False once the table was cleared. */
  valid: boolean;
}

/** Result of {@link TokenTable.loadLine}: loaded (maybe with a clash), or not a canonical line. */
export type LineLoad = LoadClash | 'loaded' | 'not-canonical';

/**
 * The line loader reads the text 4 bytes at a time (a `DataView` read is one load where a byte
 * loop is four): a byte loop over the ~240 bytes of a line was most of opening 1M tokens. Words
 * are read in the host's byte order, so that a word read from the text and stored in a column's
 * `Int32Array` puts the same bytes there on any host.
 */
const HOST_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A literal of the canonical line as words at byte offsets 0, 4, … and `length - 4` (the last overlapping). */
interface Literal {
  readonly length: number;
  readonly offsets: readonly number[];
  readonly words: readonly number[];
}

function literal(text: string): Literal {
  const bytes = Buffer.from(text, 'latin1');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const offsets: number[] = [];
  for (let at = 0; at < bytes.length - 4; at += 4) offsets.push(at);
  offsets.push(bytes.length - 4);
  return { length: bytes.length, offsets, words: offsets.map((at) => view.getInt32(at, HOST_LE)) };
}

/** Literal bytes of the canonical token line, between the fields (each at least 4 bytes). */
const LIT = {
  open: literal('{"id":"'),
  digest: literal('","digest":"'),
  user: literal('","user_id":"'),
  description: literal('","description":"'),
  active: literal('","is_active":'),
  expires: literal(',"expires_at":'),
  created: literal(',"create_at":'),
};

function literalAt(view: DataView, pos: number, end: number, lit: Literal): boolean {
  if (pos + lit.length > end) return false;
  const { offsets, words } = lit;
  for (let k = 0; k < offsets.length; k++) if (view.getInt32(pos + (offsets[k] as number), HOST_LE) !== words[k]) return false;
  return true;
}

/**
 * Nonzero when one of the 4 bytes of `w` ends or escapes a plain JSON string: `"`, `\`, below
 * 0x20, or 0x80 and up (the zero-byte tests of "Bit Twiddling Hacks": exact for whether any byte
 * matches, not for which).
 */
function hasSpecialByte(w: number): number {
  const quote = w ^ 0x22222222;
  const backslash = w ^ 0x5c5c5c5c;
  return (((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash) | (w - 0x20202020) | w) & 0x80808080;
}

/** The first `n` bytes of a word read in host order, the others zero. */
function firstBytes(w: number, n: number): number {
  if (n >= 4) return w;
  return w & (HOST_LE ? (1 << (8 * n)) - 1 : ~((1 << (32 - 8 * n)) - 1));
}

/**
 * The 2 bytes that the 4 hex digits of `w` (read big-endian: the first digit highest) stand for,
 * as 16 bits; negative when one of them is not a lowercase hex digit.
 */
function hexBytes(w: number): number {
  return ((HEX_DIGIT[w >>> 24] as number) << 12) | ((HEX_DIGIT[(w >>> 16) & 0xff] as number) << 8)
    | ((HEX_DIGIT[(w >>> 8) & 0xff] as number) << 4) | (HEX_DIGIT[w & 0xff] as number);
}

function byteSwapped(w: number): number {
  return ((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24);
}

/** A hash of the bytes of the last string {@link plainStringEnd} scanned (for interning). */
let scannedHash = 0;

/**
 * End of a JSON string body without escapes or non-ASCII bytes starting at `pos` (the closing
 * quote), or -1; hashes the bytes on the way ({@link scannedHash}, for the interning cache: equal
 * strings with the line going on after them hash alike).
 */
function plainStringEnd(view: DataView, buf: Uint8Array, pos: number, end: number): number {
  let h = 0x811c9dc5;
  let i = pos;
  for (; i + 4 <= end; i += 4) {
    const w = view.getInt32(i, HOST_LE);
    if (hasSpecialByte(w) !== 0) break;
    h = Math.imul(h ^ w, 0x01000193);
  }
  for (; i < end; i++) {
    const b = buf[i] as number;
    if (b === 0x22) {
      scannedHash = h;
      return i;
    }
    if (b === 0x5c || b < 0x20 || b >= 0x80) return -1;
    h = Math.imul(h ^ b, 0x01000193);
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
  #blocks: Block[] = [];
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
  /** Captures not read to the end yet (weakly: one whose writer gave up is dropped with it). */
  #captures = new Set<WeakRef<CaptureState>>();
  #interned = new Map<string, string>();
  #recent: (string | undefined)[] = new Array<string | undefined>(RECENT_STRINGS);
  /** The bytes of the strings of {@link #recent} (of those up to {@link RECENT_BYTES} long). */
  readonly #recentWords = new Int32Array(RECENT_STRINGS * RECENT_BYTES / 4);
  readonly #recentBytes = new Uint8Array(this.#recentWords.buffer);
  /** A lookup key, encoded (8 words). */
  readonly #key = new Int32Array(8);
  readonly #keyBytes = new Uint8Array(this.#key.buffer);
  /** The buffer {@link loadLine} reads (the snapshot reader's chunk), and a view of it for word reads. */
  #viewed: Buffer | undefined;
  #view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

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
    this.#blocks = [];
    for (const ref of this.#captures ?? []) {
      const state = ref.deref();
      if (state) state.valid = false;
    }
    this.#captures = new Set();
    this.#users = [];
    this.#descriptions = [];
    this.#odd.clear();
    this.#cache.clear();
    this.#oddPks.clear();
    this.#oddDigests.clear();
    this.#byUser.clear();
    this.#interned.clear();
    this.#recent = new Array<string | undefined>(RECENT_STRINGS);
    this.#ids = new ByteKeyIndex(this.#blocks, true);
    this.#digests = new ByteKeyIndex(this.#blocks, false);
  }

  /** The block of `row` (allocated when the row is the first of a new one). */
  #block(row: number): Block {
    const index = row >>> BLOCK_SHIFT;
    if (index === this.#blocks.length) this.#blocks.push(new Block());
    return this.#blocks[index] as Block;
  }

  #intern(value: string): string {
    const known = this.#interned.get(value);
    if (known !== undefined) return known;
    if (this.#interned.size < INTERN_LIMIT) this.#interned.set(value, value);
    return value;
  }

  /**
   * The string of ASCII bytes `buf[start, end)`, interned: a two-way cache by a hash of the bytes
   * finds a string seen before without building a new one (user ids repeat across tokens). The
   * cache keeps each string's bytes too, so that a hit is checked a word at a time.
   */
  #internBytes(view: DataView, buf: Buffer, start: number, end: number, h: number): string {
    const length = end - start;
    const first = ((h ^ (h >>> 17)) & (RECENT_STRINGS / 2 - 1)) * 2;
    if (this.#recentHolds(first, view, buf, start, length)) return this.#recent[first] as string;
    if (this.#recentHolds(first + 1, view, buf, start, length)) return this.#recent[first + 1] as string;
    // A miss replaces the way the hash's next bit picks.
    const slot = first + ((h >>> 16) & 1);
    const value = this.#intern(buf.toString('latin1', start, end));
    this.#recent[slot] = value;
    if (length <= RECENT_BYTES) buf.copy(this.#recentBytes, slot * RECENT_BYTES, start, end);
    return value;
  }

  /** Whether cache slot `slot` holds the string of bytes `buf[start, start + length)`. */
  #recentHolds(slot: number, view: DataView, buf: Buffer, start: number, length: number): boolean {
    const seen = this.#recent[slot];
    if (seen === undefined || seen.length !== length || length > RECENT_BYTES) return false;
    const words = this.#recentWords;
    let k = slot * (RECENT_BYTES / 4);
    let i = 0;
    for (; i + 4 <= length; i += 4, k += 1) if (words[k] !== view.getInt32(start + i, HOST_LE)) return false;
    const bytes = this.#recentBytes;
    for (const at = slot * RECENT_BYTES; i < length; i++) if (bytes[at + i] !== buf[start + i]) return false;
    return true;
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
      if ((hi | lo) >= 256) return false;
      const high = HEX_DIGIT[hi] as number;
      const low = HEX_DIGIT[lo] as number;
      if ((high | low) < 0) return false;
      bytes[i] = (high << 4) | low;
    }
    return true;
  }

  #rowOf(pk: unknown): number {
    const len = this.#encodeId(pk);
    return len < 0 ? this.#oddPks.get(pk) ?? -1 : this.#ids.find(this.#key, len);
  }

  #pkOf(row: number): string {
    const block = this.#block(row);
    const i = row & BLOCK_MASK;
    if ((block.flags[i] as number) & ID_IN_BYTES) return block.ids.toString('latin1', i * ID_BYTES, i * ID_BYTES + (block.idLens[i] as number));
    return this.primaryKey(this.#odd.get(row) as TokenRecord);
  }

  #materialize(row: number): TokenRecord {
    const block = this.#block(row);
    const i = row & BLOCK_MASK;
    return Object.freeze({
      id: block.ids.toString('latin1', i * ID_BYTES, i * ID_BYTES + (block.idLens[i] as number)),
      digest: block.digests.toString('hex', i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES),
      user_id: this.#users[row] as string,
      description: this.#descriptions[row] as string,
      is_active: ((block.flags[i] as number) & ACTIVE) !== 0,
      expires_at: block.expires[i] as number,
      create_at: block.created[i] as number,
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
      if (((this.#block(row).flags[row & BLOCK_MASK] as number) & ALIVE) !== 0) yield this.#record(row, false);
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
    const block = this.#block(row);
    const i = row & BLOCK_MASK;
    let flags = ALIVE;
    const idLen = this.#encodeId(this.primaryKey(record));
    if (idLen >= 0) {
      block.ids.set(this.#keyBytes, i * ID_BYTES);
      block.idLens[i] = idLen;
      flags |= ID_IN_BYTES;
    }
    if (this.#encodeDigest(this.#digestKey(record))) {
      block.digests.set(this.#keyBytes, i * DIGEST_BYTES);
      flags |= DIGEST_IN_BYTES;
    }
    if (fits) {
      if (record.is_active) flags |= ACTIVE;
      this.#users[row] = this.#intern(record.user_id);
      this.#descriptions[row] = this.#intern(record.description);
      block.expires[i] = record.expires_at;
      block.created[i] = record.create_at;
      this.#odd.delete(row);
      this.#remember(row, record);
    } else {
      flags |= ODD;
      this.#users[row] = undefined;
      this.#descriptions[row] = undefined;
      this.#odd.set(row, record);
      this.#cache.delete(row);
    }
    block.flags[i] = flags;
  }

  /** Index a written row; returns the row that held its digest before (-1 if none). */
  #index(row: number, record: TokenRecord | undefined, isNew: boolean, digest = true, user = true): number {
    const flags = this.#flagsOf(row);
    if (isNew) {
      if (flags & ID_IN_BYTES) this.#ids.set(row);
      else this.#oddPks.set(this.primaryKey(record as TokenRecord), row);
    }
    let holder = -1;
    if (!digest) {
      // unchanged
    } else if (flags & DIGEST_IN_BYTES) holder = this.#digests.set(row);
    else {
      const key = record === undefined ? undefined : this.#digestKey(record);
      if (key !== undefined) {
        holder = this.#oddDigests.get(key) ?? -1;
        this.#oddDigests.set(key, row);
      }
    }
    const userKey = record === undefined ? this.#users[row] : this.#userKey(record);
    if (user && userKey !== undefined) {
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
  #unindex(row: number, digest = true, user = true): void {
    const flags = this.#flagsOf(row);
    const odd = this.#odd.get(row);
    if (!digest) {
      // unchanged
    } else if (flags & DIGEST_IN_BYTES) this.#digests.remove(row);
    else {
      const key = odd === undefined ? undefined : this.#digestKey(odd);
      if (key !== undefined && this.#oddDigests.get(key) === row) this.#oddDigests.delete(key);
    }
    const userKey = odd === undefined ? this.#users[row] : this.#userKey(odd);
    if (user && userKey !== undefined) {
      const rows = this.#byUser.get(userKey);
      if (rows) {
        removeSorted(rows, row);
        if (rows.length === 0) this.#byUser.delete(userKey);
      }
    }
  }

  #flagsOf(row: number): number {
    return this.#block(row).flags[row & BLOCK_MASK] as number;
  }

  #append(): number {
    this.#live += 1;
    return this.#rows++;
  }

  /**
   * The records as they are now, for the snapshot writer: read a slice at a time, in order, while
   * commits go on (a row changed or deleted meanwhile keeps its old record for the capture until
   * the capture has read past it). Rows are materialized as the slices are read, not all at once,
   * and not kept.
   */
  capture(): RecordList<TokenRecord> {
    const length = this.#live;
    const state: CaptureState = { rows: this.#rows, next: 0, before: new Map(), valid: true };
    const ref = new WeakRef(state);
    this.#captures.add(ref);
    let taken = 0;
    return {
      length,
      slice: (start: number, end: number): TokenRecord[] => {
        if (start !== taken || !state.valid) throw new RangeError('a token capture is read once, in order, from a table not cleared since');
        const out: TokenRecord[] = [];
        const want = Math.min(end, length) - start;
        for (; out.length < want && state.next < state.rows; state.next++) {
          const row = state.next;
          const saved = state.before.get(row);
          if (saved !== undefined) {
            out.push(saved);
            state.before.delete(row);
          } else if (this.#flagsOf(row) & ALIVE) out.push(this.#record(row, false));
        }
        taken += out.length;
        if (taken >= length) this.#captures.delete(ref);
        return out;
      },
    };
  }

  /** Before `row` changes: keep its record for each capture that has not read it yet. */
  #preserve(row: number): void {
    for (const ref of this.#captures) {
      const state = ref.deref();
      if (state === undefined) this.#captures.delete(ref);
      else if (row >= state.next && row < state.rows && !state.before.has(row)) state.before.set(row, this.#record(row, false));
    }
  }

  put(record: TokenRecord): void {
    const row = this.#rowOf(this.primaryKey(record));
    if (row >= 0) {
      this.#preserve(row);
      // Like Table: an index whose key did not change is left as it is (a unique key another
      // record took over on load stays with that record).
      const old = this.#record(row, false);
      const digest = this.#digestKey(old) !== this.#digestKey(record);
      const user = this.#userKey(old) !== this.#userKey(record);
      this.#unindex(row, digest, user);
      this.#write(row, record);
      this.#index(row, record, false, digest, user);
      return;
    }
    const added = this.#append();
    this.#write(added, record);
    this.#index(added, record, true);
  }

  delete(pk: string): boolean {
    const row = this.#rowOf(pk);
    if (row < 0) return false;
    this.#preserve(row);
    this.#unindex(row);
    if (this.#flagsOf(row) & ID_IN_BYTES) this.#ids.remove(row);
    else this.#oddPks.delete(pk);
    this.#block(row).flags[row & BLOCK_MASK] = 0;
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
      : this.#block(row).digests.toString('hex', (row & BLOCK_MASK) * DIGEST_BYTES, ((row & BLOCK_MASK) + 1) * DIGEST_BYTES);
    return { index: 'digest', key, pks: [this.#pkOf(holder), this.#pkOf(row)] };
  }

  /**
   * Load one record from its JSON text (`buf[start, end)`) without building an object, when the
   * text is exactly what `JSON.stringify` writes for a token that fits a row (the store's own
   * snapshots): `'not-canonical'` otherwise, and the caller parses it. A primary key that is
   * already present also returns `'not-canonical'` (its replacement takes the general path).
   */
  loadLine(buf: Buffer, start: number, end: number): LineLoad {
    if (buf !== this.#viewed) {
      this.#viewed = buf;
      this.#view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    }
    const view = this.#view;
    const row = this.#rows;
    const block = this.#block(row);
    const r = row & BLOCK_MASK;
    let pos = start;
    if (!literalAt(view, pos, end, LIT.open)) return 'not-canonical';
    pos += LIT.open.length;
    const idEnd = plainStringEnd(view, buf, pos, end);
    const idLen = idEnd - pos;
    if (idEnd < 0 || idLen > ID_BYTES || !literalAt(view, idEnd, end, LIT.digest)) return 'not-canonical';
    // The id's words, the last one's bytes past the id zeroed (the words read end inside the
    // digest's literal, checked above).
    const idWords = block.idWords;
    const idAt = r * 8;
    for (let k = 0; k < 8; k++) {
      const have = idLen - 4 * k;
      idWords[idAt + k] = have <= 0 ? 0 : firstBytes(view.getInt32(pos + 4 * k, HOST_LE), have);
    }
    pos = idEnd + LIT.digest.length;
    if (pos + 2 * DIGEST_BYTES >= end || buf[pos + 2 * DIGEST_BYTES] !== 0x22) return 'not-canonical';
    // 8 hex digits make one word of the digest.
    const digestWords = block.digestWords;
    const digestAt = r * 8;
    let invalid = 0;
    for (let k = 0; k < 8; k++) {
      const high = hexBytes(view.getInt32(pos + 8 * k, false));
      const low = hexBytes(view.getInt32(pos + 8 * k + 4, false));
      invalid |= high | low;
      const bigEndian = (high << 16) | (low & 0xffff);
      digestWords[digestAt + k] = HOST_LE ? byteSwapped(bigEndian) : bigEndian;
    }
    if (invalid < 0) return 'not-canonical';
    pos += 2 * DIGEST_BYTES;
    if (!literalAt(view, pos, end, LIT.user)) return 'not-canonical';
    pos += LIT.user.length;
    const userEnd = plainStringEnd(view, buf, pos, end);
    if (userEnd < 0) return 'not-canonical';
    const userHash = scannedHash;
    const userAt = pos;
    pos = userEnd;
    if (!literalAt(view, pos, end, LIT.description)) return 'not-canonical';
    pos += LIT.description.length;
    const descriptionEnd = plainStringEnd(view, buf, pos, end);
    if (descriptionEnd < 0) return 'not-canonical';
    const descriptionHash = scannedHash;
    const descriptionAt = pos;
    pos = descriptionEnd;
    if (!literalAt(view, pos, end, LIT.active)) return 'not-canonical';
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
    if (!literalAt(view, pos, end, LIT.expires)) return 'not-canonical';
    pos += LIT.expires.length;
    pos = readInteger(buf, pos, end);
    if (pos < 0) return 'not-canonical';
    const expires = integerValue;
    if (!literalAt(view, pos, end, LIT.created)) return 'not-canonical';
    pos += LIT.created.length;
    pos = readInteger(buf, pos, end);
    if (pos !== end - 1 || buf[end - 1] !== 0x7d) return 'not-canonical';
    const created = integerValue;
    // Canonical. A primary key seen before is a replacement: the general path does it.
    block.idLens[r] = idLen;
    if (this.#ids.insertNew(row) >= 0) return 'not-canonical';
    block.flags[r] = ALIVE | ID_IN_BYTES | DIGEST_IN_BYTES | (active ? ACTIVE : 0);
    const user = this.#internBytes(view, buf, userAt, userEnd, userHash);
    this.#users[row] = user;
    this.#descriptions[row] = this.#internBytes(view, buf, descriptionAt, descriptionEnd, descriptionHash);
    block.expires[r] = expires;
    block.created[r] = created;
    this.#rows += 1;
    this.#live += 1;
    const holder = this.#digests.set(row);
    let rows = this.#byUser.get(user);
    if (rows === undefined) this.#byUser.set(user, rows = []);
    rows.push(row);
    return this.#clash(holder, row) ?? 'loaded';
  }
}

/** Value of the last integer {@link readInteger} read. */
let integerValue = 0;

/**
 * A JSON integer of at most 15 digits (exact as a double) at `pos`: its end (its value in
 * {@link integerValue}: no object per number), or -1.
 */
function readInteger(buf: Uint8Array, pos: number, end: number): number {
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
  if (digits === 0 || digits > 15 || (digits > 1 && buf[first] === 0x30)) return -1;
  // A fraction or an exponent: not an integer literal (the general path parses it).
  if (buf[i] === 0x2e || buf[i] === 0x65 || buf[i] === 0x45) return -1;
  integerValue = negative ? -value : value;
  return i;
}
