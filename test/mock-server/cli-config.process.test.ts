/**
 * The CLI's configuration surface: every flag's environment variable (flags win), --version, the
 * new flags (--test-controls, --cors, --on-unhandled-request), a quiet exit when stdout is a
 * closed pipe, and a database folder it cannot write named with what to do.
 */
import { expect } from 'chai';
import { listening, runCli as run, type CliRun as Run } from './support/cli-process.js';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';


async function stop(r: Run): Promise<number | null> {
  r.child.kill('SIGTERM');
  return r.exited;
}

const PKG = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('mock server CLI: configuration by flag and environment', function cliConfig() {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mm-pat-cli-config-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('--version and -V print the package version and exit 0', async () => {
    for (const flag of ['--version', '-V']) {
      const r = run([flag]);
      expect(await r.exited).to.equal(0);
      expect(r.stdout()).to.equal(`${PKG.version}\n`);
    }
  });

  it('MM_MOCK_HOST, MM_MOCK_PORT and MM_MOCK_IN_MEMORY configure the server; no file is written in the working directory', async () => {
    const r = run([], { MM_MOCK_PORT: '0', MM_MOCK_HOST: '127.0.0.1', MM_MOCK_IN_MEMORY: '1' }, dir);
    const url = await listening(r);
    expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/api/v4/system/ping`)).status).to.equal(200);
    expect(await stop(r)).to.equal(0);
    expect(existsSync(join(dir, '.mattermost-mock'))).to.equal(false);
  });

  it('without --in-memory the CLI keeps its persistent default ./.mattermost-mock/db.json', async () => {
    const r = run(['--port', '0'], {}, dir);
    await listening(r);
    expect(await stop(r)).to.equal(0);
    expect(existsSync(join(dir, '.mattermost-mock', 'db.json'))).to.equal(true);
  });

  it('MM_MOCK_DB names the database file; a --db flag wins over it, and --in-memory wins over it', async () => {
    const fromEnv = join(dir, 'env.json');
    const fromFlag = join(dir, 'flag.json');
    let r = run(['--port', '0'], { MM_MOCK_DB: fromEnv });
    await listening(r);
    expect(await stop(r)).to.equal(0);
    expect(existsSync(fromEnv)).to.equal(true);
    r = run(['--port', '0', '--db', fromFlag], { MM_MOCK_DB: join(dir, 'other.json') });
    await listening(r);
    expect(await stop(r)).to.equal(0);
    expect([existsSync(fromFlag), existsSync(join(dir, 'other.json'))]).to.deep.equal([true, false]);
    r = run(['--port', '0', '--in-memory'], { MM_MOCK_DB: join(dir, 'third.json') });
    await listening(r);
    expect(await stop(r)).to.equal(0);
    expect(existsSync(join(dir, 'third.json'))).to.equal(false);
  });

  it('a flag wins over its variable: --port over MM_MOCK_PORT', async () => {
    const r = run(['--port', '0', '--in-memory'], { MM_MOCK_PORT: 'not-a-port' });
    await listening(r);
    expect(await stop(r)).to.equal(0);
  });

  it('bad variables exit 2 naming the variable: MM_MOCK_PORT, a boolean, MM_MOCK_CORS, MM_MOCK_ON_UNHANDLED_REQUEST, MM_MOCK_IN_MEMORY with MM_MOCK_DB', async () => {
    const cases: Array<[NodeJS.ProcessEnv, string]> = [
      [{ MM_MOCK_PORT: '99999' }, 'MM_MOCK_PORT must be an integer from 0 to 65535'],
      [{ MM_MOCK_LOG: 'sometimes' }, 'MM_MOCK_LOG must be 1/true/yes or 0/false/no'],
      [{ MM_MOCK_REDIS: 'localhost:6379' }, 'MM_MOCK_REDIS must be a redis:// or rediss:// URL'],
      [{ MM_MOCK_CORS: 'localhost:5173' }, 'MM_MOCK_CORS must be * or an origin'],
      [{ MM_MOCK_ON_UNHANDLED_REQUEST: 'loud' }, 'MM_MOCK_ON_UNHANDLED_REQUEST must be warn, error or off'],
      [{ MM_MOCK_IN_MEMORY: 'true', MM_MOCK_DB: join(dir, 'x.json') }, 'MM_MOCK_IN_MEMORY and MM_MOCK_DB exclude each other'],
    ];
    for (const [env, message] of cases) {
      const r = run([], env);
      expect(await r.exited, JSON.stringify(env)).to.equal(2);
      expect(r.stderr()).to.include(message).and.include('usage: mattermost-pat-mock');
    }
  });

  it('MM_MOCK_TEST_CONTROLS, MM_MOCK_CORS and MM_MOCK_ON_UNHANDLED_REQUEST reach the server', async () => {
    const r = run(['--port', '0', '--in-memory'], {
      MM_MOCK_TEST_CONTROLS: 'yes', MM_MOCK_CORS: 'http://localhost:5173, http://app.test', MM_MOCK_ON_UNHANDLED_REQUEST: 'error',
    });
    const url = await listening(r);
    const clock = await fetch(`${url}/__mock/clock`, { headers: { Origin: 'http://app.test' } });
    expect(clock.status).to.equal(200);
    expect(clock.headers.get('access-control-allow-origin')).to.equal('http://app.test');
    expect(((await clock.json()) as { offset_ms: number }).offset_ms).to.equal(0);
    const unknown = await fetch(`${url}/api/v4/no/such/route`);
    expect(unknown.status).to.equal(501);
    expect(((await unknown.json()) as { id: string }).id).to.equal('api.mock.unhandled_request.app_error');
    expect(await stop(r)).to.equal(0);
  });

  it('--log: an unhandled request logs one line on stderr naming the method and path', async () => {
    const r = run(['--port', '0', '--in-memory', '--log']);
    const url = await listening(r);
    expect((await fetch(`${url}/api/v4/users/me/nonsense?access_token=secret-in-query`, { method: 'DELETE' })).status).to.equal(404);
    for (let i = 0; i < 100 && !r.stderr().includes('unhandled request'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await stop(r)).to.equal(0);
    const lines = r.stderr().split('\n').filter((l) => l.includes('unhandled request'));
    expect(lines).to.have.lengthOf(1);
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect([line.level, line.method, line.path]).to.deep.equal(['warn', 'DELETE', '/api/v4/users/me/nonsense']);
    expect(lines[0]).to.not.include('secret-in-query');
  });

  it('stdout closed by the reader (as `| head -1` does): a quiet exit 0, no EPIPE stack trace; --help and --version too', async () => {
    for (const args of [['--port', '0', '--in-memory'], ['--help'], ['--version']]) {
      const r = run(args);
      // Close our end before the CLI writes its first line: that write meets a closed pipe.
      r.child.stdout?.destroy();
      const code = await r.exited;
      expect(code, `${args.join(' ')}: ${r.stderr()}`).to.equal(0);
      expect(r.stderr(), args.join(' ')).to.not.match(/EPIPE|at .*\(|Error/);
    }
  });

  it('a database folder it cannot write: exit 1 naming the folder and what to do, not an internal temp file', async () => {
    // Tests may run as root, where chmod 0500 does not stop writes: use it only when it works,
    // and otherwise a folder even root cannot write (/sys on Linux).
    const ro = join(dir, 'ro');
    await mkdir(ro);
    await chmod(ro, 0o500);
    let folder = ro;
    try {
      await writeFile(join(ro, 'probe'), '');
      folder = '/sys'; // the chmod did not stop us: root
    } catch {
      // read-only for this user: use it
    }
    const r = run(['--port', '0', '--db', join(folder, 'db.json')]);
    expect(await r.exited).to.equal(1);
    expect(r.stderr()).to.include(`cannot write the database folder ${folder} (`)
      .and.include('--in-memory').and.include('--db <file>');
    expect(r.stderr()).to.not.include('.tmp');
    await chmod(ro, 0o700);
  });

  it('a database path under a file (ENOTDIR/EEXIST): the folder and what to do', async () => {
    const file = join(dir, 'plain-file');
    await writeFile(file, 'x');
    const r = run(['--port', '0', '--db', join(file, 'db.json')]);
    expect(await r.exited).to.equal(1);
    expect(r.stderr()).to.match(new RegExp(`cannot write the database folder ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\((ENOTDIR|EEXIST): a part of the path is a file, not a folder\\)`));
  });
});
