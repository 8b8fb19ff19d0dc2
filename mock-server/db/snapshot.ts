/**
 * The snapshot: the whole database as one lowdb JSON file, plus `seq`, the number of the last
 * commit it contains (journal entries up to `seq` are already in it). Read and written through
 * lowdb's `Low` with {@link SnapshotFile}, an adapter that serializes in chunks with one record
 * per line, streams a file in a chunk at a time (records straight into the store's tables, with
 * a sink), writes atomically with fsync and mode 0600, and refuses, with a
 * {@link StoreCorruptError}, a file it cannot read back. A file in any other layout (one line, as
 * older mocks wrote it) is parsed whole, as before.
 *
 * @example
 * ```ts
 * const low = snapshotDb('/data/db.json', { fsync: true });
 * await low.read(); // low.data: { seq, version: 1, config, users, ... } or null
 * low.data = { ...data, seq: 42 };
 * await low.write();
 * ```
 */
import { open, readFile } from 'node:fs/promises';
import { Low, type Adapter } from 'lowdb';
import type { CollectionName, Collections, MockData } from './schema.js';
import type { RecordList } from './table.js';
import { COLLECTIONS } from './memory.js';
import * as v from 'valibot';
import { MockConfigSchema } from '../schemas/config.js';
import { anyObject, isPlainObject, issuePath, jsonObject } from '../schemas/json.js';
import { StoreCorruptError } from './errors.js';
import { writeFileAtomic } from './fsutil.js';

/** What the snapshot file holds. */
export type SnapshotData = MockData & { seq: number };

/** The data to write: the envelope, and each collection as anything with a length and slices. */
export type DataOut = Pick<MockData, 'version' | 'config'> & { [C in CollectionName]?: RecordList<Collections[C]> };

/** A snapshot to write ({@link SnapshotData} is one). */
export type SnapshotOut = DataOut & { seq: number };

/** Parse and check a snapshot's text; throws {@link StoreCorruptError} naming `file`. */
export function parseSnapshot(file: string, text: string): SnapshotData {
  if (text.length === 0) throw new StoreCorruptError(file, 'the file is empty (truncated?)');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const position = /position (\d+)/.exec(err instanceof Error ? err.message : '');
    throw new StoreCorruptError(file, `invalid JSON (${err instanceof Error ? err.message : String(err)})`,
      position ? { offset: Number(position[1]) } : {}, err);
  }
  const result = v.safeParse(SnapshotSchema, value, { abortEarly: true });
  if (!result.success) throw new StoreCorruptError(file, snapshotIssue(result.issues[0], value));
  return result.output as unknown as SnapshotData;
}

/**
 * The snapshot's envelope: `version` 1, `seq` a non-negative integer (0 when absent or null), the config
 * read through its schema (a setting the file lacks, written by an older mock, takes Mattermost's
 * default; a mistyped one makes the file corrupt), and every collection an array of objects
 * (absent or null = empty). Records themselves are the store's to check; unknown top-level keys are kept.
 * Entries are checked in this order, so the first issue is the one reported.
 */
const SnapshotSchema = jsonObject({
  version: v.literal(1),
  seq: v.nullish(v.pipe(v.number(), v.safeInteger(), v.minValue(0)), 0),
  config: MockConfigSchema,
  ...Object.fromEntries(COLLECTIONS.map((name) => [name, v.nullish(v.array(anyObject), () => [])])),
});

/** The message for the first issue, in the words the store has always used (tests and operators read them). */
function snapshotIssue(issue: v.BaseIssue<unknown>, value: unknown): string {
  const path = issue.path ?? [];
  const [top, item] = path;
  if (top === undefined) return 'the top level is not an object';
  const data = value as Record<string, unknown>;
  switch (top.key) {
    case 'version': return `unsupported version ${JSON.stringify(data.version)} (expected 1)`;
    case 'seq': return `bad seq ${JSON.stringify(data.seq)}`;
    case 'config': return path.length === 1 ? 'config is not an object' : `config.${issuePath({ ...issue, path: path.slice(1) as v.BaseIssue<unknown>['path'] })}: ${issue.message}`;
    default: return item === undefined ? `${String(top.key)} is not an array` : `${String(top.key)}[${String(item.key)}] is not an object`;
  }
}

/** Records serialized per chunk: a few milliseconds of work between two turns of the event loop. */
const RECORDS_PER_CHUNK = 4096;

/**
 * A snapshot as JSON, in chunks: the envelope on the first line, then each non-empty collection
 * with one record per line, so a reader can parse it a line at a time while the file streams in
 * (see {@link SnapshotFile.read}). The text is valid JSON whose value is exactly the snapshot
 * (keys in snapshot order), and is `JSON.stringify(snapshot)` but for the newlines between
 * records: JSON.stringify escapes a newline inside a string, so every record is one line.
 * The writer yields to the event loop between chunks, so writing a million-record snapshot never
 * stalls requests for more than one chunk. The arrays must not change meanwhile: the store hands
 * over fresh arrays of frozen records.
 *
 * ```
 * {"version":1,"seq":7,"config":{…},"users":[
 * {"id":"…",…},
 * {"id":"…",…}
 * ],"bots":[],"tokens":[
 * {"id":"…",…}
 * ],"sessions":[],…}
 * ```
 */
export function* snapshotChunks(data: SnapshotOut): Generator<string> {
  yield `{"version":${JSON.stringify(data.version)},"seq":${JSON.stringify(data.seq)},"config":${JSON.stringify(data.config)}`;
  let open = false;
  for (const name of COLLECTIONS) {
    const records: RecordList<unknown> = data[name] ?? [];
    const close = open ? '\n]' : '';
    if (records.length === 0) {
      yield `${close},${JSON.stringify(name)}:[]`;
      open = false;
      continue;
    }
    for (let start = 0; start < records.length; start += RECORDS_PER_CHUNK) {
      const lines = records.slice(start, start + RECORDS_PER_CHUNK).map((record) => JSON.stringify(record)).join(',\n');
      yield `${start === 0 ? `${close},${JSON.stringify(name)}:[\n` : ',\n'}${lines}`;
    }
    open = true;
  }
  yield `${open ? '\n]' : ''}}`;
}

/**
 * Where {@link SnapshotFile.read} puts records as it parses them (the store's tables: see
 * `MemorySink` in memory.ts). Without one, the records come back in the data's arrays.
 */
export interface SnapshotSink {
  /** Start (again, when the reader falls back to parsing the whole file): forget every record. */
  begin(): void;
  /** Records of `collection` (plain objects), in file order. */
  records(collection: CollectionName, records: readonly object[]): void;
  /**
   * One record of `collection` as its JSON text, `buf[start, end)`: true when taken as it is,
   * false to have it parsed and passed to {@link records}.
   */
  line?(collection: CollectionName, buf: Buffer, start: number, end: number): boolean;
}

export interface SnapshotFileOptions {
  fsync?: boolean;
  /** Where a read puts the records (once: the adapter lets go of it after the read). */
  sink?: SnapshotSink;
  /** Bytes per read while streaming (default 4 MiB): a test seam, to cross chunk boundaries in small files. */
  readBytes?: number;
}

/** Collects records into arrays: a read without a sink. */
class ArraySink implements SnapshotSink {
  collections = new Map<CollectionName, object[]>();

  begin(): void {
    this.collections.clear();
  }

  records(collection: CollectionName, records: readonly object[]): void {
    let into = this.collections.get(collection);
    if (!into) this.collections.set(collection, into = []);
    for (const record of records) into.push(record);
  }
}

/** Bytes read per read(2) while streaming a snapshot. */
const READ_BYTES = 1 << 22;
/** Record lines (other than tokens in their canonical form) parsed per `JSON.parse`. */
const BATCH_BYTES = 1 << 20;
const COLLECTION_ORDER: ReadonlyMap<string, number> = new Map(COLLECTIONS.map((name, i) => [name, i]));
/** The end of a line that opens a collection: `"name":[`. */
const OPENS = /"([A-Za-z]+)":\[$/;

/** The file is not a snapshot in the line layout, or not a well-formed one: parse it whole. */
class NotStreamable extends Error {}

/**
 * Read a snapshot in the line layout of {@link snapshotChunks} a chunk at a time, records into
 * `sink`; the envelope (every line that is not a record, with a marker where each collection's
 * records were) is parsed and checked at the end. Throws {@link NotStreamable} at the first thing
 * that does not fit that layout exactly: the caller then parses the whole file, as for any
 * other JSON, and gets its value or the error it always gave.
 */
async function streamSnapshot(file: string, sink: SnapshotSink, readBytes: number): Promise<SnapshotData | null> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    sink.begin();
    let buf = Buffer.allocUnsafe(readBytes);
    let filled = 0;
    let eof = false;
    let first = true;
    let envelope = '';
    /** Collection whose records are being read, with its marker number, and the last record's comma. */
    let current: { name: CollectionName; marker: number } | undefined;
    let afterComma = false;
    let sawRecord = false;
    let lastOrder = -1;
    const groups: { name: CollectionName; marker: number }[] = [];
    let batch: { start: number; end: number } | undefined;

    const flush = (): void => {
      if (!batch || !current) return;
      // The lines between, newlines included, are the array's items (the last one's comma dropped).
      let records: unknown;
      try {
        records = JSON.parse(`[${buf.toString('utf8', batch.start, batch.end)}]`);
      } catch {
        throw new NotStreamable();
      }
      batch = undefined;
      pushRecords(current.name, records);
    };
    const pushRecords = (name: CollectionName, records: unknown): void => {
      const list = records as unknown[];
      for (const record of list) if (!isPlainObject(record)) throw new NotStreamable();
      sink.records(name, list as object[]);
    };

    const file = handle;
    /** Read into `into` from `from` until it is full or the file ends. */
    const fill = async (into: Buffer, from: number): Promise<{ filled: number; eof: boolean }> => {
      let at = from;
      while (at < into.length) {
        const { bytesRead } = await file.read(into, at, into.length - at, null);
        if (bytesRead === 0) return { filled: at, eof: true };
        at += bytesRead;
      }
      return { filled: at, eof: false };
    };
    // Two buffers: the next chunk is read (on libuv's pool) while this one is parsed.
    let spare = Buffer.allocUnsafe(buf.length);
    ({ filled, eof } = await fill(buf, 0));
    for (;;) {
      // Whole lines end at `complete`; the rest (a line's start) goes first into the next chunk.
      const complete = eof ? filled : buf.lastIndexOf(0x0a, filled - 1) + 1;
      if (complete === 0 && !eof) {
        // One line longer than the buffer: a long record, or the envelope's first line; one longer
        // than READ_BYTES is a snapshot of another layout (all on one line, as older mocks wrote).
        if (first && buf.length >= READ_BYTES) throw new NotStreamable();
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
        spare = Buffer.allocUnsafe(buf.length);
        ({ filled, eof } = await fill(buf, filled));
        continue;
      }
      let next: Promise<{ filled: number; eof: boolean }> | undefined;
      if (!eof) {
        buf.copy(spare, 0, complete, filled);
        next = fill(spare, filled - complete);
        // A read failing while this chunk is parsed is reported by the await below, not as unhandled.
        next.catch(() => undefined);
      }
      let pos = 0;
      for (;;) {
        const nl = buf.indexOf(0x0a, pos);
        if (nl < 0 || nl >= complete) break;
        const lineStart = pos;
        pos = nl + 1;
        if (first) {
          // The envelope's first line: `{"version":…,"config":{…},…"name":[`.
          first = false;
          if (buf[lineStart] !== 0x7b) throw new NotStreamable();
        } else if (buf[lineStart] === 0x7b && current) {
          // A record: every one but the last of its collection ends in a comma.
          if (sawRecord && !afterComma) throw new NotStreamable();
          const comma = buf[nl - 1] === 0x2c;
          const end = comma ? nl - 1 : nl;
          sawRecord = true;
          afterComma = comma;
          if (current.name !== 'tokens') {
            if (batch) batch.end = end;
            else batch = { start: lineStart, end };
            if (batch.end - batch.start > BATCH_BYTES) flush();
          } else if (!sink.line?.(current.name, buf, lineStart, end)) {
            // Tokens come one line at a time (a line the sink could not take as it is, parsed alone).
            let parsed: unknown;
            try {
              parsed = JSON.parse(`[${buf.toString('utf8', lineStart, end)}]`);
            } catch {
              throw new NotStreamable();
            }
            pushRecords(current.name, parsed);
          }
          continue;
        } else {
          // A line of the envelope: it closes the collection being read (`]…`).
          if (!current || buf[lineStart] !== 0x5d || afterComma || !sawRecord) throw new NotStreamable();
          flush();
          current = undefined;
        }
        const line = buf.toString('utf8', lineStart, nl);
        const opens = OPENS.exec(line);
        const order = opens ? COLLECTION_ORDER.get(opens[1] as string) : undefined;
        if (!opens || order === undefined || order <= lastOrder) throw new NotStreamable();
        lastOrder = order;
        current = { name: opens[1] as CollectionName, marker: groups.length };
        groups.push(current);
        envelope += `${line}${current.marker}`;
        sawRecord = false;
        afterComma = false;
      }
      flush();
      if (!next) {
        // The last line: the envelope's end (`]…}`), after the last collection's records.
        if (pos >= filled || !current || buf[pos] !== 0x5d || afterComma || !sawRecord) throw new NotStreamable();
        envelope += buf.toString('utf8', pos, filled);
        break;
      }
      ({ filled, eof } = await next);
      [buf, spare] = [spare, buf];
    }

    let value: unknown;
    try {
      value = JSON.parse(envelope);
    } catch {
      throw new NotStreamable();
    }
    if (!isPlainObject(value)) throw new NotStreamable();
    // Each collection's marker must be its value, alone, at the top level: the records were there.
    for (const group of groups) {
      const at = value[group.name];
      if (!Array.isArray(at) || at.length !== 1 || at[0] !== group.marker) throw new NotStreamable();
      value[group.name] = [];
    }
    const result = v.safeParse(SnapshotSchema, value, { abortEarly: true });
    if (!result.success) throw new NotStreamable();
    return result.output as unknown as SnapshotData;
  } finally {
    await handle.close();
  }
}
/**
 * lowdb adapter: atomic fsync'd writes (mode 0600), validated reads, null when the file is missing.
 * It reads a {@link SnapshotData} and writes a {@link SnapshotOut} (collections need only a
 * length and slices: the store hands over a capture of its token columns, not an array).
 */
export class SnapshotFile implements Adapter<SnapshotOut | null> {
  readonly file: string;
  readonly #fsync: boolean;
  #sink: SnapshotSink | undefined;
  readonly #readBytes: number;
  /** How the last read went: streamed a line at a time, or (another layout, or damage) parsed whole. */
  lastRead: 'streamed' | 'whole' | undefined;

  constructor(file: string, { fsync = true, sink, readBytes = READ_BYTES }: SnapshotFileOptions = {}) {
    this.file = file;
    this.#fsync = fsync;
    this.#sink = sink;
    this.#readBytes = readBytes;
  }

  /**
   * Streams the file in, records into the sink (or the data's arrays), then checks the envelope.
   * A file in another layout (written by an older mock, or by hand) or damaged in any way is
   * read whole and parsed as before, so it opens, or is refused with the same error, as it was.
   */
  async read(): Promise<SnapshotData | null> {
    const sink = this.#sink ?? new ArraySink();
    this.#sink = undefined;
    let data: SnapshotData | null;
    try {
      data = await streamSnapshot(this.file, sink, this.#readBytes);
      this.lastRead = 'streamed';
    } catch (err) {
      if (!(err instanceof NotStreamable)) throw err;
      this.lastRead = 'whole';
      data = await this.#readWhole(sink);
    }
    if (data && sink instanceof ArraySink) {
      for (const [name, records] of sink.collections) (data as unknown as Record<string, unknown>)[name] = records;
    }
    return data;
  }

  /** The whole file as one string, parsed and checked by {@link parseSnapshot}; records into `sink`. */
  async #readWhole(sink: SnapshotSink): Promise<SnapshotData | null> {
    sink.begin();
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return null;
      if (code === 'ERR_STRING_TOO_LONG') {
        throw new Error(`snapshot ${this.file} is too large to load: V8 strings hold at most ~512 MiB (about 2 million tokens)`, { cause: err });
      }
      throw err;
    }
    const data = parseSnapshot(this.file, text);
    for (const name of COLLECTIONS) {
      const records = data[name] ?? [];
      (data as unknown as Record<string, unknown>)[name] = [];
      sink.records(name, records);
    }
    return data;
  }

  /** Serializes and writes chunk by chunk, yielding to the event loop in between. */
  write(data: SnapshotOut | null): Promise<void> {
    if (data === null) return Promise.resolve();
    return writeFileAtomic(this.file, snapshotChunks(data), { fsync: this.#fsync });
  }
}

/** A lowdb database on a {@link SnapshotFile}. */
export function snapshotDb(file: string, options: SnapshotFileOptions = {}): Low<SnapshotOut | null> {
  return new Low<SnapshotOut | null>(new SnapshotFile(file, options), null);
}
