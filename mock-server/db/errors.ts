/**
 * Typed errors of the storage engine. Domain code maps {@link UniqueViolationError} to the
 * matching Mattermost error id (e.g. `app.user.save.username_exists.app_error`); the others are
 * operational failures (corrupt or locked files) that stop the server with a clear message.
 *
 * @example
 * ```ts
 * try {
 *   await store.commit([{ op: 'put', collection: 'users', record: user }]);
 * } catch (err) {
 *   if (err instanceof UniqueViolationError && err.index === 'username') throw new AppError('app.user.save.username_exists.app_error');
 *   throw err;
 * }
 * ```
 */

/** Closed union of storage error codes: `switch (err.code)` narrows. */
export type StoreErrorCode = 'unique_violation' | 'corrupt' | 'locked' | 'closed' | 'failed' | 'invalid_mutation';

/** Base class of every storage error. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}

/** A commit would give two records the same key in a unique index; nothing was applied. */
export class UniqueViolationError extends StoreError {
  readonly collection: string;
  readonly index: string;
  readonly key: string;
  /** Primary key of the record that already holds `key`. */
  readonly existing: string;

  constructor(collection: string, index: string, key: string, existing: string) {
    super('unique_violation', `unique index ${collection}.${index} already holds key ${JSON.stringify(key)} (record ${existing})`);
    this.name = 'UniqueViolationError';
    this.collection = collection;
    this.index = index;
    this.key = key;
    this.existing = existing;
  }
}

/** A malformed mutation (unknown collection, missing primary key): a programming error; nothing was applied. */
export class InvalidMutationError extends StoreError {
  constructor(message: string) {
    super('invalid_mutation', message);
    this.name = 'InvalidMutationError';
  }
}

/** A database file cannot be read back. The store refuses to open and leaves the file untouched. */
export class StoreCorruptError extends StoreError {
  readonly file: string;
  /** 1-based line of the journal, when the damage is in the journal. */
  readonly line: number | undefined;
  /** Byte offset of the damaged line or value, when known. */
  readonly offset: number | undefined;

  constructor(file: string, reason: string, where: { line?: number; offset?: number } = {}, cause?: unknown) {
    const at = [where.line === undefined ? '' : `line ${where.line}`, where.offset === undefined ? '' : `byte offset ${where.offset}`]
      .filter(Boolean).join(', ');
    super('corrupt', `database file ${file} is corrupt${at ? ` at ${at}` : ''}: ${reason}. The file was left untouched; `
      + 'restore it from a backup, or start with reset to discard it.', cause === undefined ? undefined : { cause });
    this.name = 'StoreCorruptError';
    this.file = file;
    this.line = where.line;
    this.offset = where.offset;
  }
}

/** Another live process holds the database's lock file. */
export class StoreLockedError extends StoreError {
  readonly lockFile: string;
  readonly pid: number;

  constructor(lockFile: string, pid: number) {
    super('locked', `database is in use by process ${pid} (lock file ${lockFile}); stop that process, `
      + 'or delete the lock file if that process is not a mock server');
    this.name = 'StoreLockedError';
    this.lockFile = lockFile;
    this.pid = pid;
  }
}

/** The store was closed; no more commits. */
export class StoreClosedError extends StoreError {
  constructor() {
    super('closed', 'the store is closed');
    this.name = 'StoreClosedError';
  }
}

/**
 * A write to disk failed (disk full, I/O error). Memory may be ahead of the disk, so the store
 * refuses every later commit; restart the server to reload what is on disk.
 */
export class StoreFailedError extends StoreError {
  constructor(cause: unknown) {
    super('failed', `a database write failed, the store accepts no more commits: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StoreFailedError';
  }
}
