/**
 * The CLI under wrappers and supervisors: `npm start` (npm → node, the script execs node), and a
 * plain `sh -c` wrapper (sh → node, as npm runs scripts that do not exec). A supervisor holds the
 * top pid: SIGTERM or SIGKILL to it must leave no server running, and the lock and the port free.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../mock-server/cli.ts', import.meta.url));

interface Wrapped { wrapper: ChildProcess; url: string; port: number; serverPid: number; output: () => string }

function running(pid: number): boolean {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = text.slice(text.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** Wait (bounded: 15 s) until `check()` holds. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** Start `command args` (a wrapper around the CLI) and wait for the listening line; the server's pid is read from the lock. */
async function startWrapped(command: string, args: readonly string[], dbFile: string): Promise<Wrapped> {
  const wrapper = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MM_PAT_WEBHOOK_SECRET: '' } });
  let out = '';
  wrapper.stdout?.setEncoding('utf8').on('data', (c: string) => { out += c; });
  wrapper.stderr?.setEncoding('utf8').on('data', (c: string) => { out += c; });
  await until(() => /listening on http:\/\/\S+\n/.test(out) || wrapper.exitCode !== null, 'the server listens');
  const url = /listening on (http:\/\/\S+)\n/.exec(out)?.[1];
  if (url === undefined) throw new Error(`the server did not start: ${out}`);
  const { pid } = JSON.parse(await readFile(`${dbFile}.lock`, 'utf8')) as { pid: number };
  expect(pid).to.not.equal(wrapper.pid);
  return { wrapper, url, port: Number(new URL(url).port), serverPid: pid, output: () => out };
}

async function expectGone(w: Wrapped, dbFile: string): Promise<void> {
  await until(() => !running(w.serverPid), `server ${w.serverPid} has exited`);
  expect(existsSync(`${dbFile}.lock`), 'lock released').to.equal(false);
  expect(await portOpen(w.port), 'port free').to.equal(false);
}

describe('CLI under wrappers: the server never outlives the process a supervisor holds', function () {
  this.timeout(60_000);
  let dir: string;
  const started: Wrapped[] = [];
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mmpat-sup-')); });
  afterEach(async () => {
    for (const w of started.splice(0)) {
      w.wrapper.kill('SIGKILL');
      if (running(w.serverPid)) process.kill(w.serverPid, 'SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('npm start, SIGTERM to npm: the signal reaches the server, which exits cleanly', async () => {
    const db = join(dir, 'db.json');
    const w = await startWrapped('npm', ['start', '--silent', '--', '--port', '0', '--db', db], db);
    started.push(w);
    process.kill(w.wrapper.pid ?? 0, 'SIGTERM');
    await expectGone(w, db);
  });

  it('npm start, SIGKILL to npm: the server notices it is orphaned and exits cleanly', async () => {
    const db = join(dir, 'db.json');
    const w = await startWrapped('npm', ['start', '--silent', '--', '--port', '0', '--db', db], db);
    started.push(w);
    process.kill(w.wrapper.pid ?? 0, 'SIGKILL');
    await expectGone(w, db);
  });

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`sh -c wrapper (sh does not forward signals), ${signal} to sh: the server notices it is orphaned, says so, and exits`, async () => {
      const db = join(dir, 'db.json');
      // `; true` keeps sh from exec'ing node: sh stays in between, as npm's sh does for other scripts.
      const w = await startWrapped('sh', ['-c', `"$0" --import tsx "${CLI}" --port 0 --db "${db}"; true`, process.execPath], db);
      started.push(w);
      process.kill(w.wrapper.pid ?? 0, signal);
      await expectGone(w, db);
      await until(() => /mattermost-pat-mock: parent process \d+ is gone .*: shutting down/.test(w.output()), 'the server said why it stopped');
    });
  }
});
