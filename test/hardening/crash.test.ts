import { expect } from 'chai';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliToExit, startCli, type RunningCli } from './support/cli.js';
import { send } from './support/http.js';
import { prng } from '../support/prng.js';

const json = { 'Content-Type': 'application/json' };
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

interface Acked { id: string; token: string }

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

describe('hardening: server crash safety (SIGKILL of the CLI under HTTP load)', function () {
  this.timeout(120_000);
  let dir: string;
  let running: RunningCli | undefined;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mmpat-crash-')); });
  afterEach(async () => {
    running?.child.kill('SIGKILL');
    running = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('20 kills at random moments: the database always loads and every token whose 200 was received exists and authenticates', async () => {
    const dbFile = join(dir, 'db.json');
    const random = prng(0xc4a5);
    const acked: Acked[] = [];
    let previous: Acked[] = [];
    let driver = '';
    let inFlightAtKill = 0;
    for (let round = 0; round <= 20; round++) {
      running = await startCli(['--port', '0', '--db', dbFile]);
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
      running.child.kill('SIGKILL');
      const exit = await running.exited;
      expect(exit.signal).to.equal('SIGKILL');
      running = undefined;
      await Promise.all(workers);
      acked.push(...thisRound);
      previous = thisRound;
    }
    // The kills landed under load: many acknowledged tokens, requests in flight at the kills.
    expect(acked.length).to.be.above(200);
    expect(inFlightAtKill).to.be.above(20);
    running?.child.kill('SIGTERM');
  });

  describe('a damaged database file: the CLI refuses to start with a clear message and leaves it byte-identical', () => {
    let goodDir: string;
    let good: string;
    before(async () => {
      goodDir = await mkdtemp(join(tmpdir(), 'mmpat-good-'));
      good = join(goodDir, 'good.json');
      const cli = await startCli(['--port', '0', '--db', good]);
      cli.child.kill('SIGTERM');
      expect((await cli.exited).code).to.equal(0);
    });
    after(async () => { await rm(goodDir, { recursive: true, force: true }); });

    const damage: Record<string, (bytes: Buffer) => Buffer> = {
      truncated: (b) => b.subarray(0, Math.floor(b.length / 2)),
      'cut by one byte': (b) => b.subarray(0, b.length - 2),
      garbage: () => Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x7b, 0xff]),
      'not an object': () => Buffer.from('[1,2,3]\n'),
      'wrong version': (b) => Buffer.from(b.toString('utf8').replace('"version":1', '"version":99').replace('"version": 1', '"version": 99')),
      'a collection that is not an array': (b) => Buffer.from(b.toString('utf8').replace(/"tokens":\s*\[/, '"tokens":{"x":[').replace(/\]\s*,\s*"sessions"/, ']},"sessions"')),
    };

    for (const [name, mutate] of Object.entries(damage)) {
      it(`${name}`, async () => {
        const file = join(dir, `${name.replace(/\W+/g, '-')}.json`);
        const original = await readFile(good);
        const bytes = mutate(original);
        expect(bytes.equals(original), 'the damage changed nothing').to.equal(false);
        await writeFile(file, bytes, { mode: 0o600 });
        const result = await runCliToExit(['--port', '0', '--db', file]);
        expect(result.code, result.stderr).to.equal(1);
        expect(result.stdout).not.to.include('listening');
        expect(result.stderr).to.match(/corrupt|invalid|cannot/i).and.include(file);
        expect((await readFile(file)).equals(bytes), 'file changed').to.equal(true);
        const left = (await readdir(dir)).filter((f) => f.startsWith(file.slice(dir.length + 1)) && f !== file.slice(dir.length + 1));
        expect(left.filter((f) => f.endsWith('.tmp')), 'temp files left').to.deep.equal([]);
      });
    }

    it('a journal damaged in the middle', async () => {
      const file = join(dir, 'journaled.json');
      await copyFile(good, file);
      // Real commits first, so the journal has lines after the damage.
      running = await startCli(['--port', '0', '--db', file]);
      const login = await send(running.url, '/api/v4/users/login', { method: 'POST', headers: json, body: JSON.stringify({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' }) });
      for (let i = 0; i < 3; i++) {
        await send(running.url, '/api/v4/users/me/tokens', { method: 'POST', headers: { ...auth(String(login.headers.token)), ...json }, body: JSON.stringify({ description: `j${i}` }) });
      }
      running.child.kill('SIGKILL');
      await running.exited;
      running = undefined;
      const journal = `${file}.journal`;
      const lines = (await readFile(journal, 'utf8')).split('\n');
      expect(lines.length).to.be.above(3);
      lines[1] = (lines[1] ?? '').replace(/[0-9a-f]{8}/, 'zzzzzzzz').replace(/"description":"j/, '"description":"X');
      const damaged = Buffer.from(lines.join('\n'));
      await writeFile(journal, damaged);
      const snapshot = await readFile(file);
      const result = await runCliToExit(['--port', '0', '--db', file]);
      expect(result.code, result.stderr).to.equal(1);
      expect(result.stderr).to.match(/corrupt/i);
      expect((await readFile(journal)).equals(damaged)).to.equal(true);
      expect((await readFile(file)).equals(snapshot)).to.equal(true);
    });
  });
});
