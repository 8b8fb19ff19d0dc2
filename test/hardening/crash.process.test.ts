/**
 * The one SIGKILL-under-load suite (it merges what the CLI and the store crash suites both
 * checked): the CLI is killed 20 times at random moments while 6 clients create tokens, and each
 * time restarted at once, while the killed server is still an unreaped zombie of its parent (as
 * under a test runner or supervisor whose event loop is busy). No restart may be refused and no
 * acknowledged write may be lost. Store-level kills during open and mid-compaction are in
 * test/mock-server/db/crash.process.test.ts; damaged files are unit-tested in test/mock-server/db.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCliToExit, startCli, type RunningCli } from './support/cli.js';
import { send } from './support/http.js';
import { prng } from '../support/prng.js';

const json = { 'Content-Type': 'application/json' };
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

interface Acked { id: string; token: string }

/** A CLI whose parent is `sleep` (sh execs it): the parent never reaps it, so a killed server stays a zombie. */
interface Unreaped { sleeper: ChildProcess; pid: number; url: string; stderr: () => string }

/** Start the CLI under a parent that never reaps it; rejects with its stderr if it exits before listening. */
function startUnreaped(args: readonly string[], timeoutMs = 20_000): Promise<Unreaped> {
  const sleeper = spawn('sh', ['-c', '"$0" "$@" & echo "pid $!"; exec sleep 600', process.execPath, '--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  sleeper.stderr.setEncoding('utf8').on('data', (c: string) => { err += c; });
  return new Promise<Unreaped>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within ${timeoutMs} ms: ${err}`)), timeoutMs);
    const poll = setInterval(() => {
      // The CLI exited without listening (a refusal): its state is Z under the sleeper.
      const pid = Number(/^pid (\d+)$/m.exec(out)?.[1] ?? 0);
      if (pid > 0 && stateOf(pid) === 'Z' && !/listening on/.test(out)) {
        clearInterval(poll);
        clearTimeout(timer);
        reject(Object.assign(new Error(`CLI exited before listening: ${err}`), { sleeper }));
      }
    }, 50);
    sleeper.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const pid = Number(/^pid (\d+)$/m.exec(out)?.[1] ?? 0);
      const url = /listening on (http:\/\/\S+)\n/.exec(out)?.[1];
      if (pid > 0 && url !== undefined) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve({ sleeper, pid, url, stderr: () => err });
      }
    });
  });
}

function stateOf(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Every token id of the caller, through the paged list endpoint. */
async function listIds(url: string, credential: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let page = 0; ; page++) {
    const reply = await send(url, `/api/v4/users/me/tokens?page=${page}&per_page=200`, { headers: auth(credential), timeoutMs: 10_000 });
    expect(reply.status, reply.text).to.equal(200);
    const rows = reply.json as { id: string }[];
    for (const r of rows) ids.add(r.id);
    if (rows.length < 200) return ids;
  }
}

describe('hardening: SIGKILL of the CLI under HTTP load, restarted at once', function () {
  this.timeout(240_000);
  let dir: string;
  const sleepers: ChildProcess[] = [];
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mmpat-crash-')); });
  afterEach(async () => {
    // Killing a sleeper lets init reap its zombie (and orphans a live server, which then exits).
    for (const s of sleepers.splice(0)) s.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('20 kills at random moments, each restart while the killed server is an unreaped zombie: none refused, every token whose 200 was received exists and authenticates', async () => {
    const dbFile = join(dir, 'db.json');
    const random = prng(0xc4a5);
    const acked: Acked[] = [];
    let previous: Acked[] = [];
    let driver = '';
    let inFlightAtKill = 0;
    const refusals: string[] = [];
    let zombieRestarts = 0;
    let killed: number | undefined;
    for (let round = 0; round <= 20; round++) {
      let running: Unreaped;
      try {
        running = await startUnreaped(['--port', '0', '--db', dbFile]);
      } catch (err) {
        refusals.push(`round ${round}: ${(err as Error).message.trim()}`);
        const sleeper = (err as { sleeper?: ChildProcess }).sleeper;
        if (sleeper) sleepers.push(sleeper);
        // Measure on: reap the zombie the way the old lock needed, and start again.
        for (const s of sleepers) s.kill('SIGKILL');
        running = await startUnreaped(['--port', '0', '--db', dbFile]);
      }
      sleepers.push(running.sleeper);
      if (killed !== undefined && stateOf(killed) === 'Z') zombieRestarts += 1;
      const { url } = running;
      if (round === 0) {
        const login = await send(url, '/api/v4/users/login', { method: 'POST', headers: json, body: JSON.stringify({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' }) });
        expect(login.status).to.equal(200);
        const pat = await send(url, '/api/v4/users/me/tokens', { method: 'POST', headers: { ...auth(String(login.headers.token)), ...json }, body: JSON.stringify({ description: 'driver' }) });
        expect(pat.status).to.equal(200);
        driver = (pat.json as Acked).token;
      } else {
        // Every acknowledged token is still there; those acknowledged just before the kill still authenticate.
        const ids = await listIds(url, driver);
        expect(acked.filter((t) => !ids.has(t.id)).map((t) => t.id), `round ${round}: acknowledged but lost`).to.deep.equal([]);
        const uses = await Promise.all(previous.map((t) => send(url, '/api/v4/users/me', { headers: auth(t.token), timeoutMs: 10_000 })));
        expect(uses.filter((r) => r.status !== 200).map((r) => r.status), `round ${round}: tokens that no longer authenticate`).to.deep.equal([]);
      }
      if (round === 20) break;

      const thisRound: Acked[] = [];
      let stop = false;
      let inFlight = 0;
      const worker = async (w: number): Promise<void> => {
        for (let n = 0; !stop; n++) {
          inFlight += 1;
          try {
            const reply = await send(url, '/api/v4/users/me/tokens', {
              method: 'POST', headers: { ...auth(driver), ...json }, body: JSON.stringify({ description: `r${round}-w${w}-${n}` }), timeoutMs: 5000,
            });
            if (reply.status === 200) thisRound.push(reply.json as Acked);
            else expect.fail(`round ${round}: create answered ${reply.status} ${reply.text}`);
          } catch (err) {
            if (!stop) throw err;
            return; // the server died mid-request: not acknowledged
          } finally {
            inFlight -= 1;
          }
        }
      };
      const workers = Array.from({ length: 6 }, (_, w) => worker(w));
      await new Promise((r) => setTimeout(r, 40 + Math.floor(random() * 220)));
      inFlightAtKill += inFlight;
      stop = true;
      process.kill(running.pid, 'SIGKILL');
      killed = running.pid;
      await Promise.all(workers);
      acked.push(...thisRound);
      previous = thisRound;
    }
    expect(refusals, `restarts refused (of 20): ${refusals.length}`).to.deep.equal([]);
    // The condition under test held: the killed server was still an unreaped zombie when the next one started.
    expect(zombieRestarts).to.equal(20);
    // The kills landed under load: many acknowledged tokens, requests in flight at the kills.
    expect(acked.length).to.be.above(200);
    expect(inFlightAtKill).to.be.above(20);
  });
});

describe('hardening: the CLI at startup, on damaged or foreign files', function () {
  this.timeout(60_000);
  let dir: string;
  let good: string;
  let running: RunningCli | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmpat-start-'));
    good = join(dir, 'good.json');
    // Real commits, so the journal has lines.
    const cli = await startCli(['--port', '0', '--db', good]);
    const login = await send(cli.url, '/api/v4/users/login', { method: 'POST', headers: json, body: JSON.stringify({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' }) });
    for (let i = 0; i < 3; i++) {
      const made = await send(cli.url, '/api/v4/users/me/tokens', { method: 'POST', headers: { ...auth(String(login.headers.token)), ...json }, body: JSON.stringify({ description: `j${i}` }) });
      expect(made.status).to.equal(200);
    }
    cli.child.kill('SIGKILL');
    await cli.exited;
  });
  afterEach(async () => {
    running?.child.kill('SIGKILL');
    if (running) await running.exited;
    running = undefined;
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  async function copyOfGood(name: string): Promise<string> {
    const file = join(dir, `${name}.json`);
    await copyFile(good, file);
    await copyFile(`${good}.journal`, `${file}.journal`);
    return file;
  }

  it('a complete, newline-terminated last journal line with a bad checksum: refuses with a clear message, files byte-identical', async () => {
    const file = await copyOfGood('bad-last-line');
    const lines = (await readFile(`${file}.journal`, 'utf8')).split('\n');
    expect(lines.pop()).to.equal('');
    lines[lines.length - 1] = (lines[lines.length - 1] ?? '').replace(/"description":"j/, '"description":"X');
    const damaged = Buffer.from(`${lines.join('\n')}\n`);
    await writeFile(`${file}.journal`, damaged);
    const snapshot = await readFile(file);
    const result = await runCliToExit(['--port', '0', '--db', file]);
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stdout).not.to.include('listening');
    expect(result.stderr).to.include(`${file}.journal`).and.include('corrupt').and.include('checksum mismatch').and.include('acknowledged commit');
    expect((await readFile(`${file}.journal`)).equals(damaged)).to.equal(true);
    expect((await readFile(file)).equals(snapshot)).to.equal(true);
  });

  it('a truncated snapshot: refuses, exit 1, file byte-identical', async () => {
    const file = await copyOfGood('truncated');
    const bytes = (await readFile(file)).subarray(0, 100);
    await writeFile(file, bytes);
    const result = await runCliToExit(['--port', '0', '--db', file]);
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stderr).to.match(/corrupt/).and.include(file);
    expect((await readFile(file)).equals(bytes)).to.equal(true);
  });

  it('a torn last journal line (no newline): starts, with one warning line on stderr, and the cut line is gone', async () => {
    const file = await copyOfGood('torn');
    const intact = await readFile(`${file}.journal`);
    await writeFile(`${file}.journal`, Buffer.concat([intact, Buffer.from('{"seq":99,"commits":[[99,[{"op":"pu')]));
    running = await startCli(['--port', '0', '--db', file]);
    expect((await readFile(`${file}.journal`)).equals(intact)).to.equal(true);
    // stderr is a separate pipe: read all of it once the server has stopped.
    running.child.kill('SIGTERM');
    expect((await running.exited).code).to.equal(0);
    expect(running.stderr().split('\n').filter((l) => l.includes('incomplete line'))).to.have.lengthOf(1);
  });

  it('a lock naming a live process that did not write it (pid 1, this test runner): taken over with a warning line', async () => {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    for (const pid of [1, process.pid]) {
      const file = await copyOfGood(`foreign-lock-${pid}`);
      await writeFile(`${file}.lock`, `${JSON.stringify({ pid, start: '1', boot })}\n`);
      running = await startCli(['--port', '0', '--db', file]);
      const lock = JSON.parse(await readFile(`${file}.lock`, 'utf8')) as { pid: number };
      expect(lock.pid).to.equal(running.child.pid);
      running.child.kill('SIGTERM');
      expect((await running.exited).code).to.equal(0);
      expect(running.stderr()).to.include(`names process ${pid}`).and.include('taking the lock over');
      running = undefined;
    }
  });
});
