/**
 * The file side of the store: opens (lock, snapshot, journal replay), group-commits journal
 * appends, compacts in the background, and writes replacement snapshots. `store.ts` owns memory
 * and calls in here; see `docs/storage.md` for the file layout and the crash-safety argument.
 *
 * @example
 * ```ts
 * const { state, seq, durability } = await openDurability('/data/db.json', { initialData });
 * durability.attach(() => ({ seq: currentSeq, data: state.toData() }));
 * await durability.append(seq + 1, JSON.stringify(mutations)); // on disk now
 * ```
 */
import { mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Low } from 'lowdb';
import type { OpenStoreOptions } from './schema.js';
import { MemorySink, MemoryState } from './memory.js';
import { StoreCorruptError, StoreFailedError, UniqueViolationError } from './errors.js';
import { DIR_MODE, FILE_MODE, fsyncDir, tempFileFor, writeAll } from './fsutil.js';
import { formatLine, parseJournal, type PendingCommit } from './journal.js';
import { acquireLock } from './lock.js';
import { snapshotDb, type DataOut, type SnapshotOut } from './snapshot.js';

/** Tuning knobs of the file mode (all optional). */
export interface DurabilityOptions {
  /** fsync each journal append before acknowledging it (default true). Off: survives a process crash, not power loss. */
  fsync?: boolean;
  /** Compact once the journal holds this many lines (default 10 000). */
  compactEntries?: number;
  /** ... or this many bytes (default 64 MiB). */
  compactBytes?: number;
  /** Told when a background compaction fails (commits go on; the journal keeps growing). */
  onCompactionError?: (err: unknown) => void;
  /**
   * Told, at open, of what was repaired: a torn last journal line cut, a stale lock of an
   * unrelated process taken over. Default: `process.emitWarning` (one line on stderr).
   */
  onWarning?: (message: string) => void;
  /**
   * Writes one journal line at the handle's position (default: `writeAll`). A test seam: a
   * function that fails with `ENOSPC` is a full disk, without filling one.
   */
  appendJournal?: (handle: FileHandle, bytes: Uint8Array) => Promise<void>;
}

function defaultWarning(message: string): void {
  process.emitWarning(message, { code: 'MMPAT_STORE_REPAIRED' });
}

export interface DurabilityStats {
  snapshots: number;
  journalWrites: number;
  journalEntries: number;
  /** Why the store accepts no more commits (a failed write), when it does not. */
  writeError?: string;
}

/** What the store hands over when asked for a snapshot: its commit number and data. */
export type SnapshotSource = () => { seq: number; data: DataOut };

interface CommitItem extends PendingCommit {
  kind: 'commit';
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface ReplaceItem {
  kind: 'replace';
  /** Serializes the captured data and writes the snapshot. */
  write: () => Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

type QueueItem = CommitItem | ReplaceItem;

interface Compaction {
  seq: number;
  /** Lines appended while the snapshot is being written, with the last commit number of each. */
  tail: { seq: number; line: string }[];
  settled: boolean;
  error: unknown;
  done: Promise<void>;
}

/** The persistence engine of one database file. */
export class Durability {
  readonly file: string;
  readonly journalFile: string;
  readonly #low: Low<SnapshotOut | null>;
  readonly #fsync: boolean;
  readonly #compactEntries: number;
  readonly #compactBytes: number;
  readonly #onCompactionError: (err: unknown) => void;
  readonly #appendJournal: (handle: FileHandle, bytes: Uint8Array) => Promise<void>;
  readonly #release: () => void;
  #journal: FileHandle;
  #journalBytes: number;
  #journalEntries: number;
  #snapshots: number;
  #journalWrites = 0;
  #queue: QueueItem[] = [];
  #scheduled = false;
  #draining = false;
  #compaction: Compaction | undefined;
  #compactRetryAt = 0;
  #failed: StoreFailedError | undefined;
  #closed = false;
  #idle: (() => void)[] = [];
  #source: SnapshotSource | undefined;

  constructor(init: {
    file: string; low: Low<SnapshotOut | null>; journal: FileHandle; journalBytes: number; journalEntries: number;
    snapshots: number; release: () => void; options: DurabilityOptions;
  }) {
    const { fsync = true, compactEntries = 10_000, compactBytes = 64 * 1024 * 1024, onCompactionError, appendJournal = writeAll } = init.options;
    this.#appendJournal = appendJournal;
    this.file = init.file;
    this.journalFile = `${init.file}.journal`;
    this.#low = init.low;
    this.#journal = init.journal;
    this.#journalBytes = init.journalBytes;
    this.#journalEntries = init.journalEntries;
    this.#snapshots = init.snapshots;
    this.#release = init.release;
    this.#fsync = fsync;
    this.#compactEntries = compactEntries;
    this.#compactBytes = compactBytes;
    // A throwing listener must not break the writer loop.
    this.#onCompactionError = (err) => {
      try {
        onCompactionError?.(err);
      } catch {
        // ignored
      }
    };
  }

  /** Give the engine access to the current data (for compaction); may start a due compaction. */
  attach(source: SnapshotSource): void {
    this.#source = source;
    this.#maybeCompact();
  }

  /** Throw if an earlier write failed (memory may be ahead of the disk). */
  assertWritable(): void {
    if (this.#failed) throw this.#failed;
  }

  /** Queue one commit; resolves once its journal line is written (and fsync'd). */
  append(seq: number, json: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ kind: 'commit', seq, json, resolve, reject });
      this.#schedule();
    });
  }

  /**
   * Replace the snapshot with `data` and empty the journal, in commit order. `data` is captured
   * now (fresh arrays of frozen records), so later commits never leak into this snapshot.
   */
  replace(seq: number, data: DataOut): Promise<void> {
    const snapshot: SnapshotOut = { ...data, seq };
    return new Promise((resolve, reject) => {
      const write = (): Promise<void> => {
        this.#low.data = snapshot;
        const written = this.#low.write();
        this.#low.data = null;
        return written;
      };
      this.#queue.push({ kind: 'replace', write, resolve, reject });
      this.#schedule();
    });
  }

  /** Wait until the queue is empty and no write or compaction is in flight. */
  async flush(): Promise<void> {
    while (this.#busy()) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  /** Flush, close the journal and release the lock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    await this.#journal.close();
    this.#release();
  }

  stats(): DurabilityStats {
    const stats: DurabilityStats = { snapshots: this.#snapshots, journalWrites: this.#journalWrites, journalEntries: this.#journalEntries };
    if (this.#failed) stats.writeError = this.#failed.message;
    return stats;
  }

  #busy(): boolean {
    return this.#scheduled || this.#draining || this.#queue.length > 0 || this.#compaction !== undefined;
  }

  #schedule(): void {
    if (this.#scheduled || this.#draining) return;
    this.#scheduled = true;
    // setImmediate: every commit issued in this turn of the event loop joins the first append.
    setImmediate(() => {
      this.#scheduled = false;
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (;;) {
        if (this.#compaction?.settled) {
          await this.#finishCompaction(this.#compaction);
          continue;
        }
        const head = this.#queue[0];
        if (!head) break;
        if (this.#failed) {
          this.#rejectAll(this.#failed);
          continue;
        }
        if (head.kind === 'replace') {
          this.#queue.shift();
          await this.#replace(head);
          continue;
        }
        let end = 1;
        while (this.#queue[end]?.kind === 'commit') end += 1;
        await this.#appendBatch(this.#queue.splice(0, end) as CommitItem[]);
        this.#maybeCompact();
      }
    } finally {
      this.#draining = false;
      const idle = this.#idle;
      this.#idle = [];
      for (const wake of idle) wake();
    }
  }

  #rejectAll(err: unknown): void {
    const queue = this.#queue;
    this.#queue = [];
    for (const item of queue) item.reject(err);
  }

  async #appendBatch(batch: CommitItem[]): Promise<void> {
    const line = formatLine(batch);
    const buffer = Buffer.from(line, 'utf8');
    try {
      await this.#appendJournal(this.#journal, buffer);
      if (this.#fsync) await this.#journal.datasync();
    } catch (err) {
      this.#failed = new StoreFailedError(err);
      // Cut the partial line so the next open does not see damage before later lines.
      await this.#journal.truncate(this.#journalBytes).catch(() => undefined);
      for (const item of batch) item.reject(this.#failed);
      return;
    }
    this.#journalBytes += buffer.length;
    this.#journalEntries += 1;
    this.#journalWrites += 1;
    const last = batch[batch.length - 1] as CommitItem;
    this.#compaction?.tail.push({ seq: last.seq, line });
    for (const item of batch) item.resolve();
  }

  #maybeCompact(): void {
    if (this.#compaction || this.#failed || this.#closed || !this.#source) return;
    if (this.#journalEntries < this.#compactEntries && this.#journalBytes < this.#compactBytes) return;
    if (Date.now() < this.#compactRetryAt) return;
    const { seq, data } = this.#source();
    this.#low.data = { ...data, seq };
    // The data is captured now (fresh arrays of frozen records: exactly commit `seq`); lowdb's
    // write serializes and writes it chunk by chunk in the background while commits go on.
    const written = this.#low.write();
    this.#low.data = null;
    const compaction: Compaction = { seq, tail: [], settled: false, error: undefined, done: Promise.resolve() };
    compaction.done = written.then(
      () => { compaction.settled = true; },
      (err: unknown) => { compaction.settled = true; compaction.error = err ?? new Error('compaction failed'); },
    ).finally(() => this.#schedule());
    this.#compaction = compaction;
  }

  /** After the snapshot is renamed into place: rewrite the journal to the lines it does not hold. */
  async #finishCompaction(compaction: Compaction): Promise<void> {
    this.#compaction = undefined;
    if (compaction.error !== undefined) {
      this.#compactRetryAt = Date.now() + 10_000;
      this.#onCompactionError(compaction.error);
      return;
    }
    this.#snapshots += 1;
    const keep = compaction.tail.filter((entry) => entry.seq > compaction.seq);
    try {
      await this.#swapJournal(keep.map((entry) => entry.line).join(''), keep.length);
    } catch (err) {
      // Either the old journal is still in place and open (replay skips what the snapshot
      // holds), or only the directory fsync failed after the swap.
      this.#compactRetryAt = Date.now() + 10_000;
      this.#onCompactionError(err);
    }
  }

  /** Atomically replace the journal with `content` (`lines` lines); append to the new file from now on. */
  async #swapJournal(content: string, lines: number): Promise<void> {
    const temp = tempFileFor(this.journalFile);
    await rm(temp, { force: true });
    const next = await open(temp, 'a', FILE_MODE);
    try {
      const buffer = Buffer.from(content, 'utf8');
      await writeAll(next, buffer);
      if (this.#fsync) await next.sync();
      await rename(temp, this.journalFile);
    } catch (err) {
      await next.close();
      await rm(temp, { force: true });
      throw err;
    }
    // The path names the new file now: append there whatever happens next.
    const old = this.#journal;
    this.#journal = next;
    this.#journalBytes = Buffer.byteLength(content);
    this.#journalEntries = lines;
    await old.close().catch(() => undefined);
    if (this.#fsync) await fsyncDir(dirname(this.journalFile));
  }

  async #replace(item: ReplaceItem): Promise<void> {
    // An earlier compaction's snapshot must land before this one (never after it).
    const compaction = this.#compaction;
    if (compaction) {
      await compaction.done;
      this.#compaction = undefined;
      // Its snapshot landed (or not); either way this one supersedes it and its journal rewrite.
      if (compaction.error === undefined) this.#snapshots += 1;
    }
    try {
      await item.write();
      this.#snapshots += 1;
      await this.#swapJournal('', 0);
      item.resolve();
    } catch (err) {
      // The snapshot may or may not be in place; memory has the new data: stop accepting writes.
      this.#failed = new StoreFailedError(err);
      item.reject(this.#failed);
    }
  }
}

export interface OpenedFiles {
  state: MemoryState;
  seq: number;
  durability: Durability;
}

async function readOptional(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function stateFrom(file: string, make: () => MemoryState): MemoryState {
  try {
    return make();
  } catch (err) {
    if (err instanceof UniqueViolationError) throw new StoreCorruptError(file, `${err.collection}.${err.index} holds ${JSON.stringify(err.key)} twice`);
    throw err;
  }
}

/**
 * Open the files of `file`: take the lock, load the snapshot, replay the journal (cutting a torn
 * last line), or create both from `initialData()` (and with `reset`).
 */
export async function openDurability(fileOption: string, options: OpenStoreOptions & DurabilityOptions): Promise<OpenedFiles> {
  const file = resolve(fileOption);
  const journalFile = `${file}.journal`;
  const { fsync = true, reset = false, initialData, onWarning = defaultWarning } = options;
  await mkdir(dirname(file), { recursive: true, mode: DIR_MODE });
  const release = acquireLock(`${file}.lock`, { onWarning });
  try {
    // The snapshot's records stream straight into the tables (never one array of them all).
    const sink = new MemorySink();
    const low = snapshotDb(file, { fsync, sink });
    // Leftovers of an interrupted atomic write are ours and incomplete by definition.
    await rm(tempFileFor(file), { force: true });
    await rm(tempFileFor(journalFile), { force: true });

    let state: MemoryState;
    let seq = 0;
    let snapshots = 0;
    let journalBytes = 0;
    let journalEntries = 0;
    const existing = reset ? undefined : await (async () => { await low.read(); return low.data; })();
    low.data = null;
    if (existing) {
      const journal = await readOptional(journalFile) ?? Buffer.alloc(0);
      const parsed = parseJournal(journalFile, journal);
      state = stateFrom(file, () => sink.state(existing.config));
      seq = existing.seq;
      let lineNo = 0;
      for (const line of parsed.lines) {
        lineNo += 1;
        for (const commit of line.commits) {
          if (commit.seq <= seq) continue;
          if (commit.seq !== seq + 1) {
            throw new StoreCorruptError(journalFile, `commit ${seq + 1} is missing (found ${commit.seq}; snapshot holds up to ${existing.seq})`, { line: lineNo });
          }
          // Each commit was validated against exactly this state when it was made: re-check it.
          try {
            state.validate(commit.mutations);
          } catch (err) {
            throw new StoreCorruptError(journalFile, `commit ${commit.seq} does not apply (${err instanceof Error ? err.message : String(err)})`, { line: lineNo }, err);
          }
          state.apply(commit.mutations);
          seq = commit.seq;
        }
      }
      journalEntries = parsed.lines.length;
      journalBytes = parsed.validBytes;
      if (parsed.tornBytes > 0) {
        // Only now, with everything else checked: cut the unacknowledged partial line.
        onWarning(`journal ${journalFile} ends in an incomplete line (${parsed.tornBytes} bytes without a newline: `
          + 'an append interrupted by a crash, never acknowledged); cutting it');
        const handle = await open(journalFile, 'r+');
        try {
          await handle.truncate(parsed.validBytes);
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
    } else {
      if (!reset) {
        const journal = await readOptional(journalFile);
        if (journal && journal.length > 0) throw new StoreCorruptError(file, `the snapshot is missing but its journal ${journalFile} exists`);
      }
      const data = initialData();
      state = stateFrom(file, () => new MemoryState(data));
      // Reset: forget the old journal first, so a crash never replays it onto the new snapshot.
      await rm(journalFile, { force: true });
      if (fsync) await fsyncDir(dirname(file));
      low.data = { ...state.toData(), seq: 0 };
      const written = low.write();
      low.data = null;
      await written;
      snapshots = 1;
    }
    const journal = await open(journalFile, 'a', FILE_MODE);
    const durability = new Durability({ file, low, journal, journalBytes, journalEntries, snapshots, release, options });
    return { state, seq, durability };
  } catch (err) {
    release();
    throw err;
  }
}
