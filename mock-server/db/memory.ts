/**
 * The whole database in memory: one {@link Table} per collection plus the config. Validates a
 * batch of mutations against the unique indexes (all or nothing) and applies it synchronously.
 * No I/O here: `store.ts` adds persistence on top.
 *
 * @example
 * ```ts
 * const state = new MemoryState(initialData());
 * state.validate(mutations); // throws UniqueViolationError, applies nothing
 * state.apply(mutations);
 * state.tables.users.findOne('username', 'sysadmin');
 * ```
 */
import { INDEXES, PRIMARY_KEY } from './schema.js';
import type { CollectionName, Collections, MockConfig, MockData, Mutation } from './schema.js';
import { Table, type IndexDef, type RecordTable } from './table.js';
import { TokenTable } from './token-table.js';
import { InvalidMutationError, UniqueViolationError } from './errors.js';
import type { DataOut, SnapshotSink } from './snapshot.js';

export type Tables = { [C in Exclude<CollectionName, 'tokens'>]: RecordTable<Collections[C]> } & { tokens: TokenTable };

/** Collection names, in snapshot order. */
export const COLLECTIONS: readonly CollectionName[] = [
  'users', 'bots', 'tokens', 'sessions', 'teams', 'teamMembers', 'channels', 'channelMembers', 'posts',
  'outbox', 'outboxCursors', 'outboxMeta',
  'commands', 'incomingWebhooks', 'outgoingWebhooks',
  'reactions', 'fileInfos', 'preferences', 'statuses',
];

const COLLECTION_SET: ReadonlySet<string> = new Set(COLLECTIONS);

function makeTable<C extends CollectionName>(name: C): RecordTable<Collections[C]> {
  const defs = INDEXES[name] as unknown as Record<string, IndexDef<Collections[C]>>;
  return new Table<Collections[C]>(name, PRIMARY_KEY[name] as (r: Collections[C]) => string, defs);
}

function makeTables(): Tables {
  return {
    users: makeTable('users'),
    bots: makeTable('bots'),
    // Tokens are the collection that reaches a million records: kept in columns.
    tokens: new TokenTable(PRIMARY_KEY.tokens, INDEXES.tokens),
    sessions: makeTable('sessions'),
    teams: makeTable('teams'),
    teamMembers: makeTable('teamMembers'),
    channels: makeTable('channels'),
    channelMembers: makeTable('channelMembers'),
    posts: makeTable('posts'),
    outbox: makeTable('outbox'),
    outboxCursors: makeTable('outboxCursors'),
    outboxMeta: makeTable('outboxMeta'),
    commands: makeTable('commands'),
    incomingWebhooks: makeTable('incomingWebhooks'),
    outgoingWebhooks: makeTable('outgoingWebhooks'),
    reactions: makeTable('reactions'),
    fileInfos: makeTable('fileInfos'),
    preferences: makeTable('preferences'),
    statuses: makeTable('statuses'),
  };
}

/** Generic view of a table, for code that handles every collection alike. */
function anyTable(tables: Tables, name: CollectionName): RecordTable<object> {
  return tables[name] as unknown as RecordTable<object>;
}

/** Check a mutation's shape (a programming error otherwise); returns its primary key. */
function checkShape(tables: Tables, m: Mutation, position: number): string | undefined {
  if (m === null || typeof m !== 'object') throw new InvalidMutationError(`mutation ${position} is not an object`);
  if (m.op === 'config') {
    if (m.config === null || typeof m.config !== 'object') throw new InvalidMutationError(`mutation ${position}: config must be an object`);
    return undefined;
  }
  if (!COLLECTION_SET.has(m.collection)) throw new InvalidMutationError(`mutation ${position}: unknown collection ${JSON.stringify(m.collection)}`);
  if (m.op === 'delete') {
    if (typeof m.key !== 'string') throw new InvalidMutationError(`mutation ${position}: delete needs a string key`);
    return m.key;
  }
  if (m.op !== 'put') throw new InvalidMutationError(`mutation ${position}: unknown op ${JSON.stringify((m as { op: unknown }).op)}`);
  if (m.record === null || typeof m.record !== 'object') throw new InvalidMutationError(`mutation ${position}: put needs a record`);
  const pk = anyTable(tables, m.collection).primaryKey(m.record);
  if (typeof pk !== 'string' || !isCompleteKey(pk)) {
    throw new InvalidMutationError(`mutation ${position}: ${m.collection} record has no primary key`);
  }
  return pk;
}

/**
 * Whether every part of a primary key (parts are joined by ':') is set: none is empty or the text
 * `undefined` (a field missing from the record). The parts are read in place: no array of them
 * and no new string, whatever the number of parts.
 */
function isCompleteKey(pk: string): boolean {
  for (let start = 0; ; ) {
    const colon = pk.indexOf(':', start);
    const end = colon < 0 ? pk.length : colon;
    if (end === start || (end - start === MISSING.length && pk.startsWith(MISSING, start))) return false;
    if (colon < 0) return true;
    start = colon + 1;
  }
}

/** What a field missing from the record turns into when the key is built from it. */
const MISSING = 'undefined';

/**
 * Whether no two mutations of the batch name the same collection (config changes aside). A
 * malformed mutation answers false: the full check reports it at its position.
 */
function touchesEachCollectionOnce(mutations: readonly Mutation[]): boolean {
  for (let i = 0; i < mutations.length; i++) {
    const m = mutations[i];
    if (m === null || typeof m !== 'object') return false;
    if (m.op === 'config') continue;
    for (let j = 0; j < i; j++) {
      const earlier = mutations[j] as Mutation;
      if (earlier.op !== 'config' && earlier.collection === m.collection) return false;
    }
    // A large batch takes the full check rather than comparing every pair.
    if (i >= MAX_PAIRWISE_BATCH) return false;
  }
  return true;
}

/** Batches up to this size are checked pair by pair for a repeated collection. */
const MAX_PAIRWISE_BATCH = 8;

/** Throw if `record` (primary key `pk`) takes a unique key that another record of `table` holds. */
function checkUniqueKeys(table: RecordTable<object>, collection: CollectionName, record: object, pk: string): void {
  for (const index of table.indexes.values()) {
    if (!index.def.unique) continue;
    const key = index.def.key(record);
    if (key === undefined) continue;
    const holder = table.uniqueOwner(index.name, key);
    if (holder !== undefined && holder !== pk) throw new UniqueViolationError(collection, index.name, key, holder);
  }
}

/** All collections and the config, in memory. */
export class MemoryState {
  readonly tables: Tables;
  config: MockConfig;

  /** Load `data`; or, with `tables`, take those (already loaded by a {@link MemorySink}) and `data.config`. */
  constructor(data: MockData, tables?: Tables) {
    this.config = data.config;
    if (tables) this.tables = tables;
    else {
      this.tables = makeTables();
      this.load(data);
    }
  }

  /** Replace everything with `data` (records are frozen: they are shared with readers). */
  load(data: MockData): void {
    this.config = data.config;
    for (const name of COLLECTIONS) {
      const table = anyTable(this.tables, name);
      table.clear();
      const records = data[name] as readonly object[] | undefined;
      for (const record of records ?? []) {
        const clash = table.load(Object.freeze(record));
        if (clash) throw new UniqueViolationError(name, clash.index, clash.key, clash.pks[0]);
      }
    }
  }

  /**
   * Throw if `mutations` are malformed or would break a unique index, taking earlier mutations of
   * the same batch into account. O(batch size); applies nothing.
   */
  validate(mutations: readonly Mutation[]): void {
    if (!Array.isArray(mutations)) throw new InvalidMutationError('commit() takes an array of mutations');
    if (touchesEachCollectionOnce(mutations)) {
      // No mutation can see another's change (unique indexes are per collection): each one is
      // checked against the tables alone. The usual batch (a post, its channel, the poster's
      // membership) takes this path, with no pending view to build.
      for (let position = 0; position < mutations.length; position++) {
        const m = mutations[position] as Mutation;
        const pk = checkShape(this.tables, m, position);
        if (m.op === 'put' && pk !== undefined) checkUniqueKeys(anyTable(this.tables, m.collection), m.collection, m.record, pk);
      }
      return;
    }
    // Pending view of the batch: records by "collection\0pk" (null = deleted), unique keys by
    // "collection\0index\0key" (null = freed).
    const records = new Map<string, object | null>();
    const owners = new Map<string, string | null>();
    for (let position = 0; position < mutations.length; position++) {
      const m = mutations[position] as Mutation;
      const pk = checkShape(this.tables, m, position);
      if (m.op === 'config' || pk === undefined) continue;
      const table = anyTable(this.tables, m.collection);
      const recordKey = `${m.collection}\0${pk}`;
      const old = records.has(recordKey) ? records.get(recordKey) ?? undefined : table.get(pk);
      for (const index of table.indexes.values()) {
        if (!index.def.unique) continue;
        const oldKey = old === undefined ? undefined : index.def.key(old);
        if (oldKey !== undefined) owners.set(`${m.collection}\0${index.name}\0${oldKey}`, null);
        if (m.op !== 'put') continue;
        const newKey = index.def.key(m.record);
        if (newKey === undefined) continue;
        const slot = `${m.collection}\0${index.name}\0${newKey}`;
        const holder = owners.has(slot) ? owners.get(slot) : table.uniqueOwner(index.name, newKey);
        if (holder !== undefined && holder !== null && holder !== pk) {
          throw new UniqueViolationError(m.collection, index.name, newKey, holder);
        }
        owners.set(slot, pk);
      }
      records.set(recordKey, m.op === 'put' ? m.record : null);
    }
  }

  /** Apply a validated batch (records are frozen). */
  apply(mutations: readonly Mutation[]): void {
    for (const m of mutations) {
      if (m.op === 'config') this.config = m.config;
      else if (m.op === 'delete') anyTable(this.tables, m.collection).delete(m.key);
      else anyTable(this.tables, m.collection).put(Object.freeze(m.record));
    }
  }

  /**
   * The data as it is now, for a snapshot: arrays that share the frozen records (O(n) pointer
   * copies), and the tokens as a capture of their columns (O(1); rows are materialized as the
   * writer reads them, the capture keeping what later commits change).
   */
  toData(): DataOut {
    return {
      version: 1,
      config: this.config,
      users: [...this.tables.users.values()],
      bots: [...this.tables.bots.values()],
      tokens: this.tables.tokens.capture(),
      sessions: [...this.tables.sessions.values()],
      teams: [...this.tables.teams.values()],
      teamMembers: [...this.tables.teamMembers.values()],
      channels: [...this.tables.channels.values()],
      channelMembers: [...this.tables.channelMembers.values()],
      posts: [...this.tables.posts.values()],
      outbox: [...this.tables.outbox.values()],
      outboxCursors: [...this.tables.outboxCursors.values()],
      outboxMeta: [...this.tables.outboxMeta.values()],
      commands: [...this.tables.commands.values()],
      incomingWebhooks: [...this.tables.incomingWebhooks.values()],
      outgoingWebhooks: [...this.tables.outgoingWebhooks.values()],
      reactions: [...this.tables.reactions.values()],
      fileInfos: [...this.tables.fileInfos.values()],
      preferences: [...this.tables.preferences.values()],
      statuses: [...this.tables.statuses.values()],
    };
  }

  counts(): Record<CollectionName, number> {
    const out = {} as Record<CollectionName, number>;
    for (const name of COLLECTIONS) out[name] = this.tables[name].size;
    return out;
  }
}

/**
 * Loads a snapshot's records straight into tables while the file is read (`snapshot.ts` streams
 * them in), so the records never sit in one big array first. Token lines in the store's own
 * format skip `JSON.parse` ({@link TokenTable.loadLine}). A unique key held twice is kept and
 * thrown by {@link MemorySink.state}, after the whole file was read and checked (the order in
 * which `MemoryState.load` reports it).
 *
 * @example
 * ```ts
 * const sink = new MemorySink();
 * const data = await new SnapshotFile(file, { sink }).read();
 * const state = sink.state(data.config); // throws UniqueViolationError for a key held twice
 * ```
 */
export class MemorySink implements SnapshotSink {
  #tables: Tables | undefined;
  #clash: UniqueViolationError | undefined;

  begin(): void {
    this.#tables = makeTables();
    this.#clash = undefined;
  }

  records(collection: CollectionName, records: readonly object[]): void {
    const table = anyTable(this.#loading(), collection);
    for (const record of records) {
      const clash = table.load(Object.freeze(record));
      if (clash) this.#clash ??= new UniqueViolationError(collection, clash.index, clash.key, clash.pks[0]);
    }
  }

  line(collection: CollectionName, buf: Buffer, start: number, end: number): boolean {
    if (collection !== 'tokens') return false;
    const loaded = this.#loading().tokens.loadLine(buf, start, end);
    if (loaded === 'not-canonical') return false;
    if (loaded !== 'loaded') this.#clash ??= new UniqueViolationError(collection, loaded.index, loaded.key, loaded.pks[0]);
    return true;
  }

  /** The loaded state with `config` (the sink lets go of it); throws the first unique key found held twice. */
  state(config: MockConfig): MemoryState {
    const tables = this.#loading();
    this.#tables = undefined;
    if (this.#clash) throw this.#clash;
    return new MemoryState({ version: 1, config } as MockData, tables);
  }

  #loading(): Tables {
    if (!this.#tables) throw new Error('MemorySink: begin() was not called');
    return this.#tables;
  }
}
