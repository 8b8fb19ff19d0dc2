/**
 * Notice when the CLI has been orphaned: the process that launched it (or any process above it,
 * up to init) has died. `npm start` is npm → sh → node: a supervisor that SIGKILLs the npm it holds
 * would otherwise leave the server running with the database lock and the port. Each ancestor is
 * remembered with its start time (field 22 of `/proc/<pid>/stat`), so a pid reused meanwhile
 * does not pass for the ancestor. Without /proc only `process.ppid` is watched.
 *
 * @example
 * ```ts
 * const stop = watchParents({ onOrphaned: (why) => { log(why); void server.close(); } });
 * ```
 */
import { procStat } from './db/lock.js';

export interface WatchParentsOptions {
  /** Called once, with what happened, when an ancestor is gone. */
  onOrphaned: (reason: string) => void;
  /** Poll period. Default 500 ms. */
  intervalMs?: number;
}

interface Ancestor { pid: number; start: string }

/** The chain of ancestors from the parent up, stopping before init (pid 1) and the kernel (0). */
function ancestors(): Ancestor[] {
  const chain: Ancestor[] = [];
  let pid = process.ppid;
  for (let depth = 0; depth < 64 && pid > 1; depth++) {
    const stat = procStat(pid);
    if (!stat) break;
    chain.push({ pid, start: stat.start });
    pid = stat.ppid;
  }
  return chain;
}

function goneAncestor(chain: readonly Ancestor[]): Ancestor | undefined {
  return chain.find((a) => {
    const stat = procStat(a.pid);
    return !stat || stat.state === 'Z' || stat.state === 'X' || stat.start !== a.start;
  });
}

/** Start watching; returns the function that stops the watch. The timer never keeps the process alive. */
export function watchParents(options: WatchParentsOptions): () => void {
  const { onOrphaned, intervalMs = 500 } = options;
  const parent = process.ppid;
  const chain = ancestors();
  const timer = setInterval(() => {
    let reason: string | undefined;
    if (process.ppid !== parent) reason = `parent process ${parent} is gone (the parent is now ${process.ppid})`;
    else {
      const gone = goneAncestor(chain);
      if (gone) reason = `ancestor process ${gone.pid} is gone`;
    }
    if (reason === undefined) return;
    clearInterval(timer);
    onOrphaned(reason);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
