/**
 * One collection in memory: records by primary key (a `Map`, so iteration is insertion order)
 * plus its secondary indexes. A unique index maps a key to one primary key; a non-unique index
 * maps a key to a bucket of primary keys kept in the records' insertion order. Every operation
 * costs O(1) (amortised) per index; nothing ever scans the collection.
 *
 * @example
 * ```ts
 * const table = new Table<TokenRecord>((r) => r.id, INDEXES.tokens);
 * table.put(token);
 * table.findOne('digest', token.digest); // token
 * table.findMany('user_id', token.user_id); // [token]
 * ```
 */

/** An index definition, as in `schema.ts` `INDEXES`. */
export interface IndexDef<R> {
  readonly unique: boolean;
  readonly key: (record: R) => string | undefined;
}

interface Bucket {
  /** Primary keys in insertion order of their records. */
  pks: Set<string>;
  /** Largest insertion sequence ever added (may be stale-high after deletes: only costs a re-sort). */
  last: number;
}

interface Index<R> {
  readonly name: string;
  readonly def: IndexDef<R>;
  readonly unique: Map<string, string> | undefined;
  readonly buckets: Map<string, Bucket> | undefined;
}

/** Records of one collection with their indexes. */
export class Table<R extends object> {
  readonly name: string;
  readonly primaryKey: (record: R) => string;
  readonly indexes: ReadonlyMap<string, Index<R>>;
  readonly #records = new Map<string, R>();
  /** Insertion sequence of each record (kept when a record is replaced in place). */
  readonly #order = new Map<string, number>();
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
    for (const pk of bucket.pks) return this.#records.get(pk);
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
    for (const pk of bucket.pks) {
      const record = this.#records.get(pk);
      if (record !== undefined) out.push(record);
    }
    return out;
  }

  /** Insert or replace (a replaced record keeps its place in insertion order). */
  put(record: R): void {
    const pk = this.primaryKey(record);
    const old = this.#records.get(pk);
    let order = this.#order.get(pk);
    if (order === undefined) {
      order = this.#nextOrder++;
      this.#order.set(pk, order);
    }
    this.#records.set(pk, record);
    for (const index of this.indexes.values()) {
      const oldKey = old === undefined ? undefined : index.def.key(old);
      const newKey = index.def.key(record);
      if (old !== undefined && oldKey === newKey) continue;
      if (oldKey !== undefined) this.#unindex(index, oldKey, pk);
      if (newKey !== undefined) this.#addToIndex(index, newKey, pk, order);
    }
  }

  delete(pk: string): boolean {
    const old = this.#records.get(pk);
    if (old === undefined) return false;
    this.#records.delete(pk);
    this.#order.delete(pk);
    for (const index of this.indexes.values()) {
      const key = index.def.key(old);
      if (key !== undefined) this.#unindex(index, key, pk);
    }
    return true;
  }

  /** Drop everything (indexes included). */
  clear(): void {
    this.#records.clear();
    this.#order.clear();
    this.#nextOrder = 0;
    for (const index of this.indexes.values()) {
      index.unique?.clear();
      index.buckets?.clear();
    }
  }

  /**
   * Load records without touching indexes; call {@link rebuildIndexes} afterwards. Used at open,
   * where the journal may pass through states that a final rebuild makes consistent.
   */
  loadPut(record: R): void {
    const pk = this.primaryKey(record);
    if (!this.#order.has(pk)) this.#order.set(pk, this.#nextOrder++);
    this.#records.set(pk, record);
  }

  loadDelete(pk: string): void {
    this.#records.delete(pk);
    this.#order.delete(pk);
  }

  /** Rebuild every index from the records (O(n)); returns the first unique clash, if any. */
  rebuildIndexes(): { index: string; key: string; pks: [string, string] } | undefined {
    let clash: { index: string; key: string; pks: [string, string] } | undefined;
    for (const index of this.indexes.values()) {
      index.unique?.clear();
      index.buckets?.clear();
    }
    for (const [pk, record] of this.#records) {
      const order = this.#order.get(pk) ?? 0;
      for (const index of this.indexes.values()) {
        const key = index.def.key(record);
        if (key === undefined) continue;
        const holder = index.unique?.get(key);
        if (holder !== undefined && holder !== pk) clash ??= { index: index.name, key, pks: [holder, pk] };
        this.#addToIndex(index, key, pk, order);
      }
    }
    return clash;
  }

  #addToIndex(index: Index<R>, key: string, pk: string, order: number): void {
    if (index.unique) {
      index.unique.set(key, pk);
      return;
    }
    const buckets = index.buckets as Map<string, Bucket>;
    const bucket = buckets.get(key);
    if (!bucket) {
      buckets.set(key, { pks: new Set([pk]), last: order });
      return;
    }
    if (order > bucket.last) {
      bucket.pks.add(pk);
      bucket.last = order;
      return;
    }
    // A record whose key changed joins a bucket holding newer records: re-sort that bucket
    // (rare: keys are ids that seldom change).
    const sorted = [...bucket.pks, pk].sort((a, b) => (this.#order.get(a) ?? 0) - (this.#order.get(b) ?? 0));
    bucket.pks = new Set(sorted);
  }

  #unindex(index: Index<R>, key: string, pk: string): void {
    if (index.unique) {
      if (index.unique.get(key) === pk) index.unique.delete(key);
      return;
    }
    const buckets = index.buckets as Map<string, Bucket>;
    const bucket = buckets.get(key);
    if (!bucket) return;
    bucket.pks.delete(pk);
    if (bucket.pks.size === 0) buckets.delete(key);
  }
}
