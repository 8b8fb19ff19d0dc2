/**
 * A database folder the mock cannot write, explained. Opening the store creates the folder, a
 * lock file and temp files next to the database; the raw `EACCES` then names an internal temp
 * file (`db.json.lock.123.tmp`), which tells the user nothing. This names the folder and what to
 * do instead.
 *
 * @example
 * ```ts
 * await openStore({ file }).catch((err: unknown) => { throw explainStoreOpenError(err, file); });
 * // DatabaseFolderError: cannot write the database folder /srv/ro (EACCES: permission denied): …
 * ```
 */
import path from 'node:path';

/** File-system codes that mean "this folder cannot hold the database". */
const FOLDER_CODES: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a part of the path is a file, not a folder',
};

/** The database folder cannot be created or written. */
export class DatabaseFolderError extends Error {
  /** The folder that holds (or would hold) the database file. */
  readonly folder: string;
  /** The file-system error code (`EACCES`, `EROFS`, …). */
  readonly code: string;
  constructor(folder: string, code: string, cause: unknown) {
    super(
      `cannot write the database folder ${folder} (${code}: ${FOLDER_CODES[code] ?? 'failed'}): `
      + 'make it writable by this user, choose a database file in a writable folder (--db <file>, dbFile), '
      + 'or keep the database in memory (--in-memory, inMemory: true)',
      { cause },
    );
    this.name = 'DatabaseFolderError';
    this.folder = folder;
    this.code = code;
  }
}

/**
 * Turn a file-system error from opening the store at `dbFile` into a {@link DatabaseFolderError};
 * any other error is returned unchanged.
 *
 * @example
 * ```ts
 * throw explainStoreOpenError(err, './.mattermost-mock/db.json');
 * ```
 */
export function explainStoreOpenError(err: unknown, dbFile: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const syscall = (err as NodeJS.ErrnoException | undefined)?.syscall;
  if (typeof code !== 'string' || typeof syscall !== 'string' || !(code in FOLDER_CODES)) return err;
  return new DatabaseFolderError(path.dirname(path.resolve(dbFile)), code, err);
}
