import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireLock, currentOwner, formatLock, judgeOwner, parseLock, parseProcStat, type LockOwner } from '../../../mock-server/db/lock.js';
import { StoreLockedError } from '../../../mock-server/db/errors.js';
import { useTempDirs } from './fixtures/tmp.js';

function startOf(pid: number): string {
  const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  if (!stat) throw new Error(`no stat for ${pid}`);
  return stat.start;
}

function stateOf(pid: number): string | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.state;
  } catch {
    return undefined;
  }
}

/** Wait (bounded) until `check()` holds. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * A zombie: `sh` starts a short `sleep` in the background, prints its pid and execs `sleep`, which never
 * reaps it. Returns the zombie's pid and the sleeper (kill it to let init reap the zombie).
 */
async function makeZombie(): Promise<{ pid: number; parent: ChildProcess }> {
  const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const pid = await new Promise<number>((resolve, reject) => {
    parent.stdout.setEncoding('utf8').once('data', (line: string) => resolve(Number(line.trim())));
    parent.once('error', reject);
  });
  await until(() => stateOf(pid) === 'Z', `process ${pid} to become a zombie`);
  return { pid, parent };
}

describe('db/lock: parsing', () => {
  it('parseProcStat counts fields after the last parenthesis (a command name may hold spaces and parentheses)', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3)); // fields 3..52
    fields[0] = 'Z';
    const text = `4242 (we (ird) name) ${fields.join(' ')}\n`;
    expect(parseProcStat(text)).to.deep.equal({ state: 'Z', ppid: 4, start: '22' });
    expect(parseProcStat('garbage')).to.equal(undefined);
    expect(parseProcStat('1 (x) S 0')).to.equal(undefined);
  });

  it('parseLock reads the JSON record and the bare pid of older versions; refuses anything else', () => {
    const owner: LockOwner = { pid: 12, start: '345', boot: 'b-1' };
    expect(parseLock(formatLock(owner))).to.deep.equal(owner);
    expect(parseLock('77\n')).to.deep.equal({ pid: 77, start: '', boot: '' });
    for (const bad of ['', 'x', '0', '-3', '{"pid":"1"}', '{"pid":1,"start":5}', '{"pid":1.5}', '[1]']) {
      expect(parseLock(bad), bad).to.equal(undefined);
    }
  });

  it('currentOwner records this process: its pid, start time and the boot id', () => {
    const me = currentOwner();
    expect(me.pid).to.equal(process.pid);
    expect(me.start).to.equal(startOf(process.pid));
    expect(me.boot).to.equal(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  });
});

// Linux: these read /proc (the CI runs on Linux).
describe('db/lock: who owns a lock', () => {
  const tempDir = useTempDirs();
  let sleeper: ChildProcess | undefined;
  afterEach(() => {
    sleeper?.kill('SIGKILL');
    sleeper = undefined;
  });

  function startSleeper(): ChildProcess {
    sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    return sleeper;
  }

  it('judgeOwner: a live process with the recorded start time owns it; another start time or boot id is unrelated; gone or zombie is dead', async () => {
    const live = startSleeper();
    const pid = live.pid ?? 0;
    await until(() => stateOf(pid) !== undefined, 'the sleeper');
    const boot = currentOwner().boot;
    const lockFile = '/nonexistent/db.json.lock';
    expect(judgeOwner({ pid, start: startOf(pid), boot }, lockFile)).to.equal('owner');
    expect(judgeOwner({ pid, start: String(Number(startOf(pid)) + 1), boot }, lockFile)).to.equal('unrelated');
    expect(judgeOwner({ pid, start: startOf(pid), boot: 'another-boot' }, lockFile)).to.equal('unrelated');
    expect(judgeOwner({ pid, start: '', boot: '' }, lockFile), 'an old bare-pid lock of a live process').to.equal('owner');
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    expect(judgeOwner({ pid: gone, start: '1', boot }, lockFile)).to.equal('dead');
    const zombie = await makeZombie();
    try {
      expect(judgeOwner({ pid: zombie.pid, start: startOf(zombie.pid), boot }, lockFile)).to.equal('dead');
    } finally {
      zombie.parent.kill('SIGKILL');
    }
  });

  it('a lock naming a zombie (killed, not yet reaped) is taken over without a warning', async () => {
    const file = join(await tempDir(), 'db.json.lock');
    const zombie = await makeZombie();
    const warnings: string[] = [];
    try {
      await writeFile(file, formatLock({ pid: zombie.pid, start: startOf(zombie.pid), boot: currentOwner().boot }));
      const release = acquireLock(file, { onWarning: (m) => warnings.push(m) });
      expect(parseLock(await readFile(file, 'utf8'))?.pid).to.equal(process.pid);
      release();
      expect(existsSync(file)).to.equal(false);
    } finally {
      zombie.parent.kill('SIGKILL');
    }
    expect(warnings).to.deep.equal([]);
  });

  it('a lock naming a live unrelated process (pid 1, the test runner itself) is taken over with a warning', async () => {
    const dir = await tempDir();
    for (const pid of [1, process.pid]) {
      const file = join(dir, `db-${pid}.json.lock`);
      // What a reused pid looks like: the pid runs, but it started at another time than the writer did.
      await writeFile(file, formatLock({ pid, start: '1', boot: currentOwner().boot }));
      const warnings: string[] = [];
      const release = acquireLock(file, { onWarning: (m) => warnings.push(m) });
      expect(warnings, `pid ${pid}`).to.have.lengthOf(1);
      expect(warnings[0]).to.contain(`names process ${pid}`).and.contain('taking the lock over').and.contain(file);
      expect(parseLock(await readFile(file, 'utf8'))).to.deep.equal(currentOwner());
      release();
    }
  });

  it('a lock written before a reboot (another boot id) is taken over with a warning', async () => {
    const file = join(await tempDir(), 'db.json.lock');
    const live = startSleeper();
    await until(() => stateOf(live.pid ?? 0) !== undefined, 'the sleeper');
    await writeFile(file, formatLock({ pid: live.pid ?? 0, start: startOf(live.pid ?? 0), boot: 'an-earlier-boot' }));
    const warnings: string[] = [];
    acquireLock(file, { onWarning: (m) => warnings.push(m) })();
    expect(warnings).to.have.lengthOf(1);
  });

  it('a lock of the live process that wrote it is refused, naming its pid, and left as it was', async () => {
    const file = join(await tempDir(), 'db.json.lock');
    const live = startSleeper();
    const pid = live.pid ?? 0;
    await until(() => stateOf(pid) !== undefined, 'the sleeper');
    const text = formatLock({ pid, start: startOf(pid), boot: currentOwner().boot });
    await writeFile(file, text);
    let err: unknown;
    try {
      acquireLock(file);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(StoreLockedError);
    expect((err as StoreLockedError).pid).to.equal(pid);
    expect(await readFile(file, 'utf8')).to.equal(text);
    live.kill('SIGKILL');
    await new Promise((resolve) => live.once('exit', resolve));
    // Gone (and reaped): stale now.
    acquireLock(file)();
  });

  it('a second acquire in the same process is refused while the first holds it; release removes only our own lock', async () => {
    const file = join(await tempDir(), 'db.json.lock');
    const release = acquireLock(file);
    expect(() => acquireLock(file)).to.throw(StoreLockedError);
    // Someone replaced the file (an operator's takeover): our release leaves theirs alone.
    const theirs = formatLock({ pid: 1, start: '1', boot: 'x' });
    await writeFile(file, theirs);
    release();
    expect(await readFile(file, 'utf8')).to.equal(theirs);
  });

  it('garbage in the lock file is stale; stray temp and aside files of dead processes are removed', async () => {
    const dir = await tempDir();
    const file = join(dir, 'db.json.lock');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(file, 'not a lock');
    await writeFile(`${file}.${dead}.tmp`, 'x');
    await writeFile(`${file}.${dead}.stale`, 'x');
    const release = acquireLock(file);
    expect(existsSync(`${file}.${dead}.tmp`)).to.equal(false);
    expect(existsSync(`${file}.${dead}.stale`)).to.equal(false);
    release();
  });
});
