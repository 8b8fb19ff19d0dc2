import { expect } from 'chai';
import { listening, runCli as run } from './support/cli-process.js';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';


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

  it('a seed file: the seeded logins are listed without their passwords (stdout and stderr)', async () => {
    const seed = join(dir, 'seed.json');
    const secret = 'Very-Secret-Seed-Pw-1';
    await writeFile(seed, JSON.stringify({ users: [{ username: 'alice', password: secret, roles: 'system_admin system_user' }] }));
    const r = run(['--port', '0', '--in-memory', '--seed', seed]);
    const url = await listening(r);
    const login = await fetch(`${url}/api/v4/users/login`, { method: 'POST', body: JSON.stringify({ login_id: 'alice', password: secret }) });
    expect(login.status).to.equal(200);
    r.child.kill('SIGTERM');
    expect(await r.exited).to.equal(0);
    expect(r.stdout()).to.include('seeded login: alice (system_admin system_user)');
    expect(r.stdout() + r.stderr()).to.not.include(secret);
  });

  describe('the webhook secret outside argv', () => {
    const secret = 'file-or-env-secret-0123456789abcdefgh';
    let receiver: Server;
    let bodies: string[];
    beforeEach(async () => {
      bodies = [];
      receiver = createServer((req, res) => {
        let body = '';
        req.setEncoding('utf8').on('data', (c: string) => { body += c; });
        req.on('end', () => { bodies.push(body); res.writeHead(204).end(); });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    });
    afterEach(async () => { await new Promise((resolve) => receiver.close(resolve)); });

    /** Start the CLI, cause an event (a token created), and check it is HS256-signed with `secret`. */
    async function signedWith(args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
      const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`;
      const r = run(['--port', '0', '--in-memory', '--webhook', hook, ...args], env);
      try {
        const url = await listening(r);
        // Not in argv, so not in ps.
        expect(readFileSync(`/proc/${r.child.pid}/cmdline`, 'utf8')).to.not.include(secret);
        const login = await fetch(`${url}/api/v4/users/login`, { method: 'POST', body: JSON.stringify({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' }) });
        const made = await fetch(`${url}/api/v4/users/me/tokens`, { method: 'POST', headers: { Authorization: `Bearer ${login.headers.get('Token') ?? ''}` }, body: JSON.stringify({ description: 'x' }) });
        expect(made.status).to.equal(200);
        for (let i = 0; i < 200 && bodies.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
        const jws = bodies[0] ?? '';
        const [header = '', payload = '', signature = ''] = jws.split('.');
        expect(JSON.parse(Buffer.from(header, 'base64url').toString('utf8'))).to.include({ alg: 'HS256' });
        expect(createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url')).to.equal(signature);
      } finally {
        r.child.kill('SIGTERM');
        await r.exited;
      }
    }

    it('--webhook-secret-file PATH (a trailing newline is not part of the secret)', async () => {
      const file = join(dir, 'secret');
      await writeFile(file, `${secret}\n`, { mode: 0o600 });
      await signedWith(['--webhook-secret-file', file]);
    });

    it('env MM_MOCK_WEBHOOK_SECRET', async () => {
      await signedWith([], { MM_MOCK_WEBHOOK_SECRET: secret });
    });

    it('bad uses exit 2 with a clear message: both flag and file, a missing file, an empty file, a short secret', async () => {
      const empty = join(dir, 'empty');
      const short = join(dir, 'short');
      await writeFile(empty, '\n');
      await writeFile(short, 'short\n');
      const cases: [string[], string][] = [
        [['--webhook-secret', secret, '--webhook-secret-file', empty], 'exclude each other'],
        [['--webhook-secret-file', join(dir, 'missing')], 'cannot read'],
        [['--webhook-secret-file', empty], 'is empty'],
        [['--webhook-secret-file', short], 'at least 32 bytes'],
      ];
      for (const [args, message] of cases) {
        const r = run(['--port', '0', '--in-memory', ...args]);
        expect(await r.exited, args.join(' ')).to.equal(2);
        expect(r.stderr()).to.include(message);
        expect(r.stderr()).to.not.include(secret);
      }
    });
  });
});
