/**
 * The snapshot: the whole database as one lowdb JSON file, plus `seq`, the number of the last
 * commit it contains (journal entries up to `seq` are already in it). Read and written through
 * lowdb's `Low` with {@link SnapshotFile}, an adapter that serializes in chunks, writes
 * atomically with fsync and mode 0600, and refuses, with a {@link StoreCorruptError}, a file it
 * cannot read back.
 *
 * @example
 * ```ts
 * const low = snapshotDb('/data/db.json', { fsync: true });
 * await low.read(); // low.data: { seq, version: 1, config, users, ... } or null
 * low.data = { ...data, seq: 42 };
 * await low.write();
 * ```
 */
import { readFile } from 'node:fs/promises';
import { Low, type Adapter } from 'lowdb';
import type { MockData } from './schema.js';
import { COLLECTIONS } from './memory.js';
import * as v from 'valibot';
import { MockConfigSchema } from '../schemas/config.js';
import { anyObject, issuePath, jsonObject } from '../schemas/json.js';
import { StoreCorruptError } from './errors.js';
import { writeFileAtomic } from './fsutil.js';

/** What the snapshot file holds. */
export type SnapshotData = MockData & { seq: number };

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
 * A snapshot as compact JSON, in chunks (the text is exactly `JSON.stringify` of the snapshot
 * with its keys in snapshot order). The writer yields to the event loop between chunks, so
 * writing a million-record snapshot never stalls requests for more than one chunk. The arrays
 * must not change meanwhile: the store hands over fresh arrays of frozen records.
 */
export function* snapshotChunks(data: SnapshotData): Generator<string> {
  yield `{"version":${JSON.stringify(data.version)},"seq":${JSON.stringify(data.seq)},"config":${JSON.stringify(data.config)}`;
  for (const name of COLLECTIONS) {
    const records: readonly unknown[] = data[name] ?? [];
    if (records.length === 0) {
      yield `,${JSON.stringify(name)}:[]`;
      continue;
    }
    for (let start = 0; start < records.length; start += RECORDS_PER_CHUNK) {
      const json = JSON.stringify(records.slice(start, start + RECORDS_PER_CHUNK));
      yield `${start === 0 ? `,${JSON.stringify(name)}:[` : ','}${json.slice(1, -1)}`;
    }
    yield ']';
  }
  yield '}';
}

export interface SnapshotFileOptions {
  fsync?: boolean;
}

/** lowdb adapter: atomic fsync'd writes (mode 0600), validated reads, null when the file is missing. */
export class SnapshotFile implements Adapter<SnapshotData | null> {
  readonly file: string;
  readonly #fsync: boolean;

  constructor(file: string, { fsync = true }: SnapshotFileOptions = {}) {
    this.file = file;
    this.#fsync = fsync;
  }

  async read(): Promise<SnapshotData | null> {
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
    return parseSnapshot(this.file, text);
  }

  /** Serializes and writes chunk by chunk, yielding to the event loop in between. */
  write(data: SnapshotData | null): Promise<void> {
    if (data === null) return Promise.resolve();
    return writeFileAtomic(this.file, snapshotChunks(data), { fsync: this.#fsync });
  }
}

/** A lowdb database on a {@link SnapshotFile}. */
export function snapshotDb(file: string, options: SnapshotFileOptions = {}): Low<SnapshotData | null> {
  return new Low<SnapshotData | null>(new SnapshotFile(file, options), null);
}
