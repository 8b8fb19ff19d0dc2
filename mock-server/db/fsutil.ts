/**
 * File primitives of the storage engine: every file is created with mode 0600, replaced
 * atomically (temp file, fsync, rename, fsync of the directory), never rewritten in place.
 *
 * @example
 * ```ts
 * await writeFileAtomic('/data/db.json', json, { fsync: true });
 * ```
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Mode of every file the store creates. */
export const FILE_MODE = 0o600;
/** Mode of a directory the store creates. */
export const DIR_MODE = 0o700;

/** The temp file `writeFileAtomic` uses for `file`: `.<name>.tmp` beside it. */
export function tempFileFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.tmp`);
}

/** fsync a directory so a rename or unlink in it survives power loss (a no-op where unsupported). */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw err;
  } finally {
    await handle?.close();
  }
}

/** Write all of `buffer` at the handle's position (a write may take only part of it). */
export async function writeAll(handle: FileHandle, buffer: Uint8Array): Promise<void> {
  for (let written = 0; written < buffer.length;) {
    const { bytesWritten } = await handle.write(buffer, written, buffer.length - written);
    written += bytesWritten;
  }
}

/** UTF-8 encoding of a string written per this many characters. */
const CHUNK_CHARS = 1 << 20;

/**
 * Write a (possibly huge) string as UTF-8 a chunk at a time: encoding a 200 MB snapshot in one
 * `Buffer.from` would stall the event loop a second time after its serialization.
 */
async function writeStringInChunks(handle: FileHandle, text: string): Promise<void> {
  for (let start = 0; start < text.length;) {
    let end = Math.min(start + CHUNK_CHARS, text.length);
    // Never split a surrogate pair (it would encode as two U+FFFD).
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    await writeAll(handle, Buffer.from(text.slice(start, end), 'utf8'));
    start = end;
  }
}

export interface AtomicWriteOptions {
  /** fsync the data and the directory (default true). */
  fsync?: boolean;
}

/**
 * Replace `file` with `data` (bytes, a string, or strings produced one at a time): write a 0600
 * temp file, fsync it, rename it over `file`, fsync the directory. A crash leaves either the old
 * or the new file, never a mix.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array | Iterable<string>, { fsync = true }: AtomicWriteOptions = {}): Promise<void> {
  const temp = tempFileFor(file);
  await rm(temp, { force: true });
  const handle = await open(temp, 'wx', FILE_MODE);
  try {
    if (typeof data === 'string') await writeStringInChunks(handle, data);
    else if (data instanceof Uint8Array) await handle.writeFile(data);
    else for (const chunk of data) await writeStringInChunks(handle, chunk);
    if (fsync) await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  if (fsync) await fsyncDir(dirname(file));
}
