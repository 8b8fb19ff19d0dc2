import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../mock-server/cli.ts', import.meta.url));

interface Run { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null> }

function run(args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MM_PAT_WEBHOOK_SECRET: '' } });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => { out += c; });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => { err += c; });
  const exited = new Promise<number | null>((resolve) => { child.on('exit', (code) => resolve(code)); });
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function listening(r: Run): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const match = /listening on (http:\/\/[^\s]+)\n/.exec(r.stdout());
    if (match?.[1] !== undefined) return match[1];
    if (r.child.exitCode !== null) throw new Error(`CLI exited early: ${r.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no listening line: ${r.stdout()} ${r.stderr()}`);
}

describe('mock server: CLI', function cliSuite() {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mm-pat-cli-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('--port 0 --in-memory: one listening line, seeded logins, serves the API, SIGTERM exits 0', async () => {
    const r = run(['--port', '0', '--in-memory']);
    const url = await listening(r);
    expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ping = await fetch(`${url}/api/v4/system/ping`);
    expect(ping.status).to.equal(200);
    expect(((await ping.json()) as { status: string }).status).to.equal('OK');
    r.child.kill('SIGTERM');
    expect(await r.exited).to.equal(0);
    const lines = r.stdout().trim().split('\n');
    expect(lines.filter((l) => l.startsWith('listening on '))).to.have.lengthOf(1);
    expect(r.stdout()).to.include('sysadmin / Sys@dmin-sample1').and.include('user-1 / SampleUs@r-1');
  });

  it('a database file survives SIGINT; the second start prints no seeded logins', async () => {
    const db = join(dir, 'db.json');
    const first = run(['--port', '0', '--db', db]);
    const url = await listening(first);
    const login = await fetch(`${url}/api/v4/users/login`, { method: 'POST', body: JSON.stringify({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' }) });
    const token = login.headers.get('Token') ?? '';
    first.child.kill('SIGINT');
    expect(await first.exited).to.equal(0);
    const second = run(['--port', '0', '--db', db]);
    const url2 = await listening(second);
    const me = await fetch(`${url2}/api/v4/users/me`, { headers: { Authorization: `Bearer ${token}` } });
    expect(me.status).to.equal(200);
    second.child.kill('SIGTERM');
    expect(await second.exited).to.equal(0);
    expect(second.stdout()).not.to.include('seeded login');
  });

  it('bad flags: usage on stderr, exit 2', async () => {
    for (const args of [['--bogus'], ['--port', '70000'], ['--in-memory', '--db', 'x.json']]) {
      const r = run(args);
      expect(await r.exited, args.join(' ')).to.equal(2);
      expect(r.stderr()).to.include('usage: mattermost-pat-mock');
      expect(r.stdout()).to.equal('');
    }
  });

  it('a corrupt database: clear message, exit 1, file untouched', async () => {
    const db = join(dir, 'db.json');
    await writeFile(db, 'not json at all');
    const r = run(['--port', '0', '--db', db]);
    expect(await r.exited).to.equal(1);
    expect(r.stderr()).to.include('corrupt').and.include(db);
    expect(await readFile(db, 'utf8')).to.equal('not json at all');
  });

  it('a bad seed file: clear message, exit 1', async () => {
    const seed = join(dir, 'seed.json');
    await writeFile(seed, JSON.stringify({ users: [{ username: 'x', password: 'short-but-ok' }] }));
    const r = run(['--port', '0', '--in-memory', '--seed', seed]);
    expect(await r.exited).to.equal(1);
    expect(r.stderr()).to.include('invalid seed').and.include('users[0].username');
  });
});
