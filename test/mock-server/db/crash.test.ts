import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../../mock-server/db/store.js';
import { seedData } from './fixtures/data.js';
import { useTempDirs } from './fixtures/tmp.js';

const CHILD = fileURLToPath(new URL('./fixtures/store-child.ts', import.meta.url));

/** Small seeded PRNG (mulberry32): the kill moments vary, but the same way on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

describe('store crash safety (SIGKILL under load)', () => {
  const tempDir = useTempDirs();

  it('loads after each of 20 kills at random moments and holds every acknowledged commit', async function () {
    this.timeout(90_000);
    const file = join(await tempDir(), 'db.json');
    const random = prng(0x5eed);
    const acknowledged: string[] = [];
    let killedBeforeReady = 0;
    for (let round = 0; round < 20; round++) {
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
    expect(acknowledged.length).to.be.above(1000);
    expect(killedBeforeReady).to.be.below(20);
  });
});
