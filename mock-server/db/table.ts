/**
 * One collection in memory: records by primary key (a `Map`, so iteration is insertion order)
 * plus its secondary indexes. A unique index maps a key to one primary key; a non-unique index
 * maps a key to a bucket of primary keys kept in the records' insertion order. Every operation
 * costs O(1) (amortised) per index; nothing ever scans the collection.
 *
 * @example
 * ```ts
 * const table = new Table<TokenRecord>('tokens', (r) => r.id, INDEXES.tokens);
 * table.put(token);
 * table.findOne('digest', token.digest); // token
 * table.findMany('user_id', token.user_id); // [token]
 * ```
 */

import { Bucket } from './bucket.js';

/** An index definition, as in `schema.ts` `INDEXES`. */
export interface IndexDef<R> {
  readonly unique: boolean;
  readonly key: (record: R) => string | undefined;
}

/** What a batch check reads of an index: its name and definition. */
export interface TableIndex<R> {
  readonly name: string;
  readonly def: IndexDef<R>;
}

/**
 * What a snapshot writer reads of a collection: its length and consecutive slices. An array is
 * one; so is {@link TokenTable.capture}'s view of the tokens as they were when it was taken.
 */
export interface RecordList<R> {
  readonly length: number;
  slice(start: number, end: number): readonly R[];
}

/** A unique key that two records hold, found while loading a file. */
export interface LoadClash {
  index: string;
  key: string;
  pks: [string, string];
}

/**
 * What the store needs of one collection in memory. {@link Table} keeps any record as an object;
 * `token-table.ts` keeps tokens in columns. Both answer every call alike.
 */
export interface RecordTable<R extends object> {
  readonly name: string;
  readonly primaryKey: (record: R) => string;
  readonly indexes: ReadonlyMap<string, TableIndex<R>>;
  readonly size: number;
  get(pk: string): R | undefined;
  has(pk: string): boolean;
  /** Every record, in insertion order. */
  values(): IterableIterator<R>;
  /** Primary key of the record holding `key` in a unique index (undefined for a non-unique one). */
  uniqueOwner(indexName: string, key: string): string | undefined;
  findOne(indexName: string, key: string): R | undefined;
  findMany(indexName: string, key: string): R[];
  /** Insert or replace (a replaced record keeps its place in insertion order). */
  put(record: R): void;
  delete(pk: string): boolean;
  clear(): void;
  /** Insert while loading a file: like `put`, but reports a unique key another record already holds. */
  load(record: R): LoadClash | undefined;
}

interface Index<R> extends TableIndex<R> {
  readonly unique: Map<string, string> | undefined;
  readonly buckets: Map<string, Bucket> | undefined;
}

/** Records of one collection with their indexes. */
export class Table<R extends object> implements RecordTable<R> {
  readonly name: string;
  readonly primaryKey: (record: R) => string;
  readonly indexes: ReadonlyMap<string, Index<R>>;
  readonly #records = new Map<string, R>();
  /**
   * Next insertion sequence. A record's sequence lives only in its index buckets (no per-record
   * map: at 1M records every extra map costs a second at start-up).
   */
  #nextOrder = 0;

  constructor(name: string, primaryKey: (record: R) => string, defs: Readonly<Record<string, IndexDef<R>>>) {
    this.name = name;
    this.primaryKey = primaryKey;
    const indexes = new Map<string, Index<R>>();
    for (const [indexName, def] of Object.entries(defs)) {
      indexes.set(indexName, {
        name: indexName,
        def,
        unique: def.unique ? new Map() : undefined,
        buckets: def.unique ? undefined : new Map(),
      });
    }
    this.indexes = indexes;
  }

  get size(): number {
    return this.#records.size;
  }

  get(pk: string): R | undefined {
    return this.#records.get(pk);
  }

  has(pk: string): boolean {
    return this.#records.has(pk);
  }

  values(): IterableIterator<R> {
    return this.#records.values();
  }

  #index(indexName: string): Index<R> {
    const index = this.indexes.get(indexName);
    if (!index) throw new TypeError(`collection ${this.name} has no index ${JSON.stringify(indexName)}`);
    return index;
  }

  /** Primary key of the record holding `key` in a unique index (pending batch overlays use this). */
  uniqueOwner(indexName: string, key: string): string | undefined {
    return this.#index(indexName).unique?.get(key);
  }

  findOne(indexName: string, key: string): R | undefined {
    const index = this.#index(indexName);
    if (index.unique) {
      const pk = index.unique.get(key);
      return pk === undefined ? undefined : this.#records.get(pk);
    }
    const bucket = index.buckets?.get(key);
    if (!bucket) return undefined;
    for (const pk of bucket.keys()) return this.#records.get(pk);
    return undefined;
  }

  findMany(indexName: string, key: string): R[] {
    const index = this.#index(indexName);
    if (index.unique) {
      const one = this.findOne(indexName, key);
      return one === undefined ? [] : [one];
    }
    const bucket = index.buckets?.get(key);
    const out: R[] = [];
    if (!bucket) return out;
    for (const pk of bucket.keys()) {
      const record = this.#records.get(pk);
      if (record !== undefined) out.push(record);
    }
    return out;
  }

  /** Insert or replace (a replaced record keeps its place in insertion order). */
  put(record: R): void {
    const pk = this.primaryKey(record);
    const old = this.#records.get(pk);
    this.#records.set(pk, record);
    const order = old === undefined ? this.#nextOrder++ : undefined;
    for (const index of this.indexes.values()) {
      const oldKey = old === undefined ? undefined : index.def.key(old);
      const newKey = index.def.key(record);
      if (old !== undefined && oldKey === newKey) continue;
      // A record moving to another bucket keeps its insertion sequence.
      const moved = oldKey === undefined ? undefined : this.#unindex(index, oldKey, pk);
      if (newKey !== undefined) this.#addToIndex(index, newKey, pk, moved ?? order ?? this.#nextOrder++);
    }
  }

  delete(pk: string): boolean {
    const old = this.#records.get(pk);
    if (old === undefined) return false;
    this.#records.delete(pk);
    for (const index of this.indexes.values()) {
      const key = index.def.key(old);
      if (key !== undefined) this.#unindex(index, key, pk);
    }
    return true;
  }

  /** Drop everything (indexes included). */
  clear(): void {
    this.#records.clear();
    this.#nextOrder = 0;
    for (const index of this.indexes.values()) {
      index.unique?.clear();
      index.buckets?.clear();
    }
  }

  /**
   * Insert a record while loading a file: like {@link put}, but reports (instead of trusting
   * validation) a unique key that another record already holds.
   */
  load(record: R): LoadClash | undefined {
    const pk = this.primaryKey(record);
    if (this.#records.has(pk)) {
      this.put(record);
      return undefined;
    }
    this.#records.set(pk, record);
    const order = this.#nextOrder++;
    let clash: LoadClash | undefined;
    for (const index of this.indexes.values()) {
      const key = index.def.key(record);
      if (key === undefined) continue;
      const holder = this.#addToIndex(index, key, pk, order);
      if (holder !== undefined && holder !== pk) clash ??= { index: index.name, key, pks: [holder, pk] };
    }
    return clash;
  }

  /** Add `pk` under `key`; for a unique index, returns the primary key it displaced. */
  #addToIndex(index: Index<R>, key: string, pk: string, order: number): string | undefined {
    if (index.unique) {
      const holder = index.unique.get(key);
      index.unique.set(key, pk);
      return holder;
    }
    const buckets = index.buckets as Map<string, Bucket>;
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = new Bucket();
      buckets.set(key, bucket);
    }
    bucket.add(pk, order);
    return undefined;
  }

  /** Remove `pk` from the index under `key`; returns its insertion sequence (non-unique indexes). */
  #unindex(index: Index<R>, key: string, pk: string): number | undefined {
    if (index.unique) {
      if (index.unique.get(key) === pk) index.unique.delete(key);
      return undefined;
    }
    const buckets = index.buckets as Map<string, Bucket>;
    const bucket = buckets.get(key);
    if (!bucket) return undefined;
    const order = bucket.remove(pk);
    if (bucket.size === 0) buckets.delete(key);
    return order;
  }
}
