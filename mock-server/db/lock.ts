/**
 * A pid lock file beside the database, so two processes never write the same files. The lock
 * is created atomically (written to a temp file, then hard-linked into place, which fails if it
 * exists). It records who wrote it: `{"pid":N,"start":"<ticks>","boot":"<boot id>"}`, the start
 * time being field 22 of `/proc/<pid>/stat`. A lock is stale, and taken over, when its process is
 * gone, is a zombie (killed, not yet reaped by its parent), or is a different process that has
 * the same pid (its start time or the boot id differ: a pid reused after a restart); the last
 * case is reported through `onWarning`.
 *
 * @example
 * ```ts
 * const release = acquireLock('/data/db.json.lock'); // throws StoreLockedError if held
 * try { ... } finally { release(); }
 * ```
 */
import { linkSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { StoreLockedError } from './errors.js';
import { FILE_MODE } from './fsutil.js';

/** Who wrote a lock file. `start`/`boot` are '' when unknown (no /proc, or an old lock holding only a pid). */
export interface LockOwner {
  pid: number;
  start: string;
  boot: string;
}

/** What `/proc/<pid>/stat` says about a process. */
export interface ProcessStat {
  /** One-letter state: R, S, D, Z (zombie), X (dead), … */
  state: string;
  /** Parent pid (field 4). */
  ppid: number;
  /** Start time after boot, in clock ticks (field 22), as text. */
  start: string;
}

export interface AcquireLockOptions {
  /** Told when a lock naming a live but unrelated process is taken over. Default: `process.emitWarning`. */
  onWarning?: (message: string) => void;
}

/** Locks held by this process (a lock naming our own pid but not listed here is stale: pid reuse). */
const held = new Set<string>();

/**
 * Parse the text of `/proc/<pid>/stat`. The command name (field 2) is in parentheses and may
 * itself hold spaces and parentheses, so fields are counted from the last `)`.
 */
export function parseProcStat(text: string): ProcessStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
  const [state, ppid] = fields;
  const start = fields[19];
  if (state === undefined || ppid === undefined || start === undefined || !/^\d+$/.test(start) || !/^\d+$/.test(ppid)) return undefined;
  return { state, ppid: Number(ppid), start };
}

/** `/proc/<pid>/stat` of a process; `null` when there is no such process; `undefined` without /proc. */
export function procStat(pid: number | 'self'): ProcessStat | null | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')) ?? null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return existsProc() ? null : undefined;
    return undefined;
  }
}

let procMounted: boolean | undefined;
function existsProc(): boolean {
  procMounted ??= (() => {
    try {
      readFileSync('/proc/self/stat');
      return true;
    } catch {
      return false;
    }
  })();
  return procMounted;
}

function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/** This process, as it writes itself into a lock. */
export function currentOwner(): LockOwner {
  return { pid: process.pid, start: procStat('self')?.start ?? '', boot: readBootId() };
}

/** Parse a lock file's text: the JSON record, or a bare pid (locks written by older versions). */
export function parseLock(text: string): LockOwner | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const pid = Number(trimmed);
    return Number.isSafeInteger(pid) && pid > 0 ? { pid, start: '', boot: '' } : undefined;
  }
  try {
    const value = JSON.parse(trimmed) as { pid?: unknown; start?: unknown; boot?: unknown };
    const { pid, start = '', boot = '' } = value;
    if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0 || typeof start !== 'string' || typeof boot !== 'string') return undefined;
    return { pid, start, boot };
  } catch {
    return undefined;
  }
}

/** The text of a lock naming `owner`. */
export function formatLock(owner: LockOwner): string {
  return `${JSON.stringify(owner)}\n`;
}

/** Whether `pid` exists when /proc cannot tell: `kill(pid, 0)` (true for a zombie, alas). */
function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a process with this pid runs and is not a zombie. */
function isRunning(pid: number): boolean {
  const stat = procStat(pid);
  if (stat === undefined) return signalable(pid);
  return stat !== null && stat.state !== 'Z' && stat.state !== 'X';
}

/**
 * Judge the process a lock names: `owner` (the live process that wrote it), `dead` (gone or a
 * zombie), or `unrelated` (a live process that has the pid but did not write the lock).
 */
export function judgeOwner(owner: LockOwner, lockFile: string, current: LockOwner = currentOwner()): 'owner' | 'dead' | 'unrelated' {
  if (owner.pid === current.pid) {
    if (held.has(lockFile)) return 'owner';
    // Our pid, not our lock: written by an earlier process with this pid (or by us, then lost).
    return owner.start !== '' && owner.start !== current.start ? 'unrelated' : 'dead';
  }
  const stat = procStat(owner.pid);
  if (stat === undefined) return signalable(owner.pid) ? 'owner' : 'dead'; // no /proc: the best we can do
  if (stat === null || stat.state === 'Z' || stat.state === 'X') return 'dead';
  if (owner.boot !== '' && current.boot !== '' && owner.boot !== current.boot) return 'unrelated';
  if (owner.start !== '' && owner.start !== stat.start) return 'unrelated';
  // A lock from an older version records no start time: a live process may be its owner.
  return 'owner';
}

function readOwner(lockFile: string): { owner: LockOwner | undefined; text: string } | undefined {
  try {
    const text = readFileSync(lockFile, 'utf8');
    return { owner: parseLock(text), text };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function tryCreate(lockFile: string, content: string): boolean {
  const temp = `${lockFile}.${process.pid}.tmp`;
  writeFileSync(temp, content, { mode: FILE_MODE });
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

/**
 * Remove the stale lock whose text was `judged`, and only that one: another process may have
 * taken the lock over meanwhile and written its own. The file is moved aside first (atomic), then
 * checked; a fresh lock moved by mistake is put back.
 */
function removeStale(lockFile: string, judged: string): void {
  const aside = `${lockFile}.${process.pid}.stale`;
  try {
    renameSync(lockFile, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else removed it
    throw err;
  }
  let moved: string;
  try {
    moved = readFileSync(aside, 'utf8');
  } catch {
    moved = judged; // unreadable: treat it as the stale one
  }
  if (moved !== judged) {
    // A newer lock (another process's takeover): put it back, unless yet another was created.
    try {
      linkSync(aside, lockFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  unlinkSync(aside);
}

/** Remove `<lock>.<pid>.tmp` and `.stale` files left by processes killed while taking the lock. */
function removeStrayTemps(lockFile: string): void {
  const prefix = `${basename(lockFile)}.`;
  for (const name of readdirSync(dirname(lockFile))) {
    if (!name.startsWith(prefix)) continue;
    const suffix = name.endsWith('.tmp') ? '.tmp' : name.endsWith('.stale') ? '.stale' : undefined;
    if (suffix === undefined) continue;
    const pid = Number(name.slice(prefix.length, -suffix.length));
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || isRunning(pid)) continue;
    try {
      unlinkSync(join(dirname(lockFile), name));
    } catch {
      // another process cleaned it first
    }
  }
}

/** Take the lock or throw {@link StoreLockedError}; returns the function that releases it. */
export function acquireLock(lockFile: string, options: AcquireLockOptions = {}): () => void {
  const warn = options.onWarning ?? ((message: string) => process.emitWarning(message, { code: 'MMPAT_STALE_LOCK' }));
  removeStrayTemps(lockFile);
  const current = currentOwner();
  const content = formatLock(current);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(lockFile, content)) {
      held.add(lockFile);
      return () => releaseLock(lockFile, content);
    }
    const found = readOwner(lockFile);
    if (found === undefined) continue; // released meanwhile: try again
    const verdict = found.owner === undefined ? 'dead' : judgeOwner(found.owner, lockFile, current);
    if (verdict === 'owner') throw new StoreLockedError(lockFile, found.owner?.pid ?? 0);
    if (verdict === 'unrelated' && found.owner !== undefined) {
      warn(`lock file ${lockFile} names process ${found.owner.pid}, which is running but did not write it `
        + '(its start time or the boot id differ: a pid reused after a restart); taking the lock over');
    }
    removeStale(lockFile, found.text);
  }
  throw new StoreLockedError(lockFile, readOwner(lockFile)?.owner?.pid ?? 0);
}

function releaseLock(lockFile: string, content: string): void {
  if (!held.delete(lockFile)) return;
  const found = readOwner(lockFile);
  if (found?.text !== content) return;
  try {
    unlinkSync(lockFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
