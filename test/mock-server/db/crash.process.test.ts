/**
 * Store-level SIGKILLs: what the CLI suite (test/hardening/crash.process.test.ts, 20 kills under
 * HTTP load) cannot reach: kills while the files are being opened (before `ready`) and in the
 * middle of a compaction (the writer child compacts every 40 lines), checked record by record
 * and index by index. Also: two processes opening one file at once never both get it.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../../mock-server/db/store.js';
import { StoreLockedError } from '../../../mock-server/db/errors.js';
import { seedData } from './fixtures/data.js';
import { useTempDirs } from './fixtures/tmp.js';
import { useStores } from './fixtures/stores.js';
import { rejection } from '../../support/rejection.js';
import { prng } from '../../support/prng.js';

const CHILD = fileURLToPath(new URL('./fixtures/store-child.ts', import.meta.url));

/**
 * Run the writer child and SIGKILL it: `fromReady` ms after it printed `ready`, or `fromSpawn` ms
 * after it started (which may be before or while it opens the files). Returns the ids it printed
 * as acknowledged (complete lines only).
 */
async function writeThenKill(file: string, prefix: string, when: { fromReady?: number; fromSpawn?: number }): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, 'write', prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let timer: NodeJS.Timeout | undefined;
  const kill = (): void => { child.kill('SIGKILL'); };
  if (when.fromSpawn !== undefined) timer = setTimeout(kill, when.fromSpawn);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const wasReady = out.startsWith('ready\n');
    out += chunk;
    if (!wasReady && out.startsWith('ready\n') && when.fromReady !== undefined) timer = setTimeout(kill, when.fromReady);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { err += chunk; });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  expect(signal, `child ended by itself (code ${code}): ${err}`).to.equal('SIGKILL');
  const lines = out.split('\n');
  lines.pop(); // an incomplete last line was not fully reported
  return lines.filter((line) => line !== 'ready');
}

describe('store crash safety (SIGKILL during open and mid-compaction)', () => {
  const tempDir = useTempDirs();

  it('loads after each of 12 kills (a third before ready) and holds every acknowledged commit, indexes intact', async function () {
    this.timeout(90_000);
    const file = join(await tempDir(), 'db.json');
    const random = prng(0x5eed);
    const acknowledged: string[] = [];
    let killedBeforeReady = 0;
    for (let round = 0; round < 12; round++) {
      const when = round % 3 === 2 ? { fromSpawn: Math.floor(random() * 500) } : { fromReady: Math.floor(random() * 120) };
      const ids = await writeThenKill(file, `r${round}`, when);
      if (ids.length === 0) killedBeforeReady += 1;
      acknowledged.push(...ids);
      const store = await openStore({ file, initialData: seedData });
      try {
        const missing = acknowledged.filter((id) => store.get('tokens', id) === undefined);
        expect(missing, `round ${round}: acknowledged but lost`).to.deep.equal([]);
        const badIndex = ids.filter((id) => store.findOne('tokens', 'digest', `digest-${id}`)?.id !== id);
        expect(badIndex, `round ${round}: digest index`).to.deep.equal([]);
        expect(store.count('users')).to.equal(2);
      } finally {
        await store.close();
      }
    }
    // The kills must have landed under load, not only at start-up.
    expect(acknowledged.length).to.be.above(100);
    expect(killedBeforeReady).to.be.below(12);
  });
});


/** Start `store-child.ts <file> hold`; resolves 'ready' or the stderr of a refusal. */
function holder(file: string): { child: ChildProcess; outcome: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, 'hold'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => { err += c; });
  const outcome = new Promise<string>((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (c: string) => { if (c.includes('ready')) resolve('ready'); });
    child.once('exit', () => resolve(err));
  });
  return { child, outcome };
}

describe('store lock across processes', () => {
  const tempDir = useTempDirs();
  const { openAt } = useStores();

  it('another live process holding the lock is refused, naming its pid; once it is killed the lock is taken over', async function () {
    this.timeout(30_000);
    const file = join(await tempDir(), 'db.json');
    const { child, outcome } = holder(file);
    try {
      expect(await outcome).to.equal('ready');
      const err = await rejection(openStore({ file, initialData: seedData }));
      expect(err).to.be.instanceOf(StoreLockedError);
      expect((err as Error).message).to.contain(String(child.pid));
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    expect((await openAt(file)).count('users')).to.equal(2);
  });

  it('4 processes opening one file at once over a stale lock: exactly one gets it, every time', async function () {
    this.timeout(60_000);
    for (let round = 0; round < 3; round++) {
      const file = join(await tempDir(), 'db.json');
      // A stale lock of a process that is gone: every opener wants to take it over at once.
      await writeFile(`${file}.lock`, `${JSON.stringify({ pid: 999_999_999, start: '1', boot: '' })}\n`);
      const all = Array.from({ length: 4 }, () => holder(file));
      try {
        const outcomes = await Promise.all(all.map((h) => h.outcome));
        expect(outcomes.filter((o) => o === 'ready'), `round ${round}: ${outcomes.join(' | ')}`).to.have.lengthOf(1);
        expect(outcomes.filter((o) => o !== 'ready').every((o) => o.includes('database is in use'))).to.equal(true);
      } finally {
        for (const h of all) h.child.kill('SIGKILL');
        await Promise.all(all.map((h) => new Promise((resolve) => { if (h.child.exitCode !== null || h.child.signalCode !== null) resolve(null); else h.child.once('exit', resolve); })));
      }
    }
  });
});
