/**
 * The mock server's store: every record in memory (reads are synchronous `Map` lookups through
 * the indexes of `schema.ts`), made durable by a lowdb JSON snapshot plus an append-only journal
 * beside it (see `docs/storage.md`). `commit()` validates a batch, applies it to memory at once
 * and resolves when it is on disk; concurrent commits share one journal append.
 *
 * @example
 * ```ts
 * import { openStore } from './db/store.js';
 * const store = await openStore({ file: '.mattermost-mock/db.json', initialData: seed });
 * await store.commit([{ op: 'put', collection: 'tokens', record: token }]); // durable now
 * store.findOne('tokens', 'digest', digest); // token
 * await store.close();
 * ```
 */
import type { CollectionName, Collections, IndexName, MockConfig, MockData, Mutation, OpenStoreOptions, Store, StoreStats } from './schema.js';
import { MemoryState } from './memory.js';
import { InvalidMutationError, StoreClosedError } from './errors.js';
import { openDurability, type Durability, type DurabilityOptions } from './durability.js';

export type { DurabilityOptions } from './durability.js';

/** `OpenStoreOptions` plus the file mode's tuning knobs (`fsync`, compaction thresholds). */
export type StoreOptions = OpenStoreOptions & DurabilityOptions;

function toJson(mutations: readonly Mutation[]): string {
  try {
    return JSON.stringify(mutations);
  } catch (err) {
    throw new InvalidMutationError(`mutations cannot be stored as JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function checkData(data: MockData): MockData {
  if (data === null || typeof data !== 'object' || data.version !== 1) {
    throw new InvalidMutationError('data must be a MockData object with version 1');
  }
  return data;
}

class MockStore implements Store {
  readonly file: string | undefined;
  #state: MemoryState;
  readonly #durability: Durability | undefined;
  /** Sequence number of the last commit applied to memory. */
  #seq: number;
  #closed = false;

  constructor(state: MemoryState, seq: number, durability: Durability | undefined) {
    this.#state = state;
    this.#seq = seq;
    this.#durability = durability;
    this.file = durability?.file;
    durability?.attach(() => ({ seq: this.#seq, data: this.#state.toData() }));
  }

  get config(): MockConfig {
    return this.#state.config;
  }

  get<C extends CollectionName>(collection: C, key: string): Collections[C] | undefined {
    return this.#state.tables[collection].get(key) as Collections[C] | undefined;
  }

  findOne<C extends CollectionName>(collection: C, index: IndexName<C>, key: string): Collections[C] | undefined {
    return this.#state.tables[collection].findOne(index, key) as Collections[C] | undefined;
  }

  findMany<C extends CollectionName>(collection: C, index: IndexName<C>, key: string): Collections[C][] {
    return this.#state.tables[collection].findMany(index, key) as Collections[C][];
  }

  all<C extends CollectionName>(collection: C): IterableIterator<Collections[C]> {
    return this.#state.tables[collection].values() as IterableIterator<Collections[C]>;
  }

  count(collection: CollectionName): number {
    return this.#state.tables[collection].size;
  }

  commit(mutations: readonly Mutation[]): Promise<void> {
    try {
      if (this.#closed) throw new StoreClosedError();
      this.#durability?.assertWritable();
      this.#state.validate(mutations);
      // Serialize before applying: a value JSON cannot hold fails here, with nothing applied.
      const json = this.#durability ? toJson(mutations) : '';
      this.#state.apply(mutations);
      const seq = ++this.#seq;
      return this.#durability ? this.#durability.append(seq, json) : Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async flush(): Promise<void> {
    await this.#durability?.flush();
  }

  replaceAll(data: MockData): Promise<void> {
    try {
      if (this.#closed) throw new StoreClosedError();
      this.#durability?.assertWritable();
      // A copy: records get frozen, and callers often reuse their seed objects.
      this.#state = new MemoryState(structuredClone(checkData(data)));
      const seq = ++this.#seq;
      return this.#durability ? this.#durability.replace(seq, this.#state.toData()) : Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#durability?.close();
  }

  stats(): StoreStats {
    const disk = this.#durability?.stats() ?? { snapshots: 0, journalWrites: 0, journalEntries: 0 };
    return { counts: this.#state.counts(), ...disk };
  }
}

/**
 * Open a store: in memory (`inMemory: true`, writes nothing), or on `file` (snapshot `file`,
 * journal `file.journal`, lock `file.lock`). Rejects with `StoreCorruptError` when a file cannot
 * be read back (leaving it untouched) and `StoreLockedError` when another process has it open.
 *
 * @example
 * ```ts
 * const store = await openStore({ inMemory: true, initialData: () => seedData() });
 * store.count('users'); // 2
 * ```
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  const { inMemory = false, file, initialData } = options;
  if (inMemory) {
    return new MockStore(new MemoryState(checkData(initialData())), 0, undefined);
  }
  if (!file) throw new TypeError('openStore: `file` is required unless `inMemory` is set');
  const opened = await openDurability(file, options);
  return new MockStore(opened.state, opened.seq, opened.durability);
}
