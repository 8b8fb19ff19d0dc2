/**
 * A pid lock file beside the database, so two processes never write the same files. The lock
 * is created atomically (written to a temp file, then hard-linked into place, which fails if it
 * exists); a lock whose process is gone is taken over.
 *
 * @example
 * ```ts
 * const release = acquireLock('/data/db.json.lock'); // throws StoreLockedError if held
 * try { ... } finally { release(); }
 * ```
 */
import { linkSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { StoreLockedError } from './errors.js';
import { FILE_MODE } from './fsutil.js';

/** Locks held by this process (a lock naming our own pid but not listed here is stale: pid reuse). */
const held = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(lockFile: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lockFile, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function tryCreate(lockFile: string): boolean {
  const temp = `${lockFile}.${process.pid}.tmp`;
  writeFileSync(temp, `${process.pid}\n`, { mode: FILE_MODE });
  try {
    linkSync(temp, lockFile);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(temp);
  }
}

/** Remove `<lock>.<pid>.tmp` files left by processes killed while taking the lock. */
function removeStrayTemps(lockFile: string): void {
  const prefix = `${basename(lockFile)}.`;
  for (const name of readdirSync(dirname(lockFile))) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length, -'.tmp'.length));
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) continue;
    try {
      unlinkSync(join(dirname(lockFile), name));
    } catch {
      // another process cleaned it first
    }
  }
}

/** Take the lock or throw {@link StoreLockedError}; returns the function that releases it. */
export function acquireLock(lockFile: string): () => void {
  removeStrayTemps(lockFile);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(lockFile)) {
      held.add(lockFile);
      return () => releaseLock(lockFile);
    }
    const pid = readPid(lockFile);
    const stale = pid === undefined || (pid === process.pid ? !held.has(lockFile) : !isAlive(pid));
    if (!stale) throw new StoreLockedError(lockFile, pid);
    try {
      unlinkSync(lockFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new StoreLockedError(lockFile, readPid(lockFile) ?? 0);
}

function releaseLock(lockFile: string): void {
  if (!held.delete(lockFile)) return;
  if (readPid(lockFile) !== process.pid) return;
  try {
    unlinkSync(lockFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
