/**
 * Logins vs durable writes (issue 9, "Logins vs writes"): scrypt and fsync share libuv's thread
 * pool, so a burst of password checks can hold every durable write behind it. This prints the
 * p50/p99 latency of durable store commits (journal append + fsync) on a file-backed mock, alone
 * and while 20 clients log in as unknown users in a loop. Run manually, never from the tests:
 *
 *   npx tsx bench/login-vs-writes.ts            # 400 writes per phase
 *   npx tsx bench/login-vs-writes.ts --writes 1000
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startMockServer } from '../mock-server/index.js';

const argIndex = process.argv.indexOf('--writes');
const WRITES = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 400;
const LOGINS = 20;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mm-login-writes-'));
  const mock = await startMockServer({ port: 0, dbFile: join(dir, 'db.json') });
  const user = mock.store.findOne('users', 'username', 'user-1');
  if (user === undefined) throw new Error('seed has no user-1');

  const writes = async (): Promise<number[]> => {
    const times: number[] = [];
    for (let i = 0; i < WRITES; i++) {
      const current = mock.store.get('users', user.id) ?? user;
      const started = performance.now();
      await mock.store.commit([{ op: 'put', collection: 'users', record: { ...current, nickname: `n${i}` } }]);
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b);
  };
  const line = (label: string, t: number[]) => console.log(`${label.padEnd(34)} p50 ${percentile(t, 50).toFixed(1).padStart(7)} ms   p99 ${percentile(t, 99).toFixed(1).padStart(7)} ms   max ${(t.at(-1) ?? NaN).toFixed(1).padStart(7)} ms`);

  line('durable writes, alone', await writes());
  let stop = false;
  let logins = 0;
  const client = async (n: number) => {
    while (!stop) {
      await fetch(`${mock.url}/api/v4/users/login`, { method: 'POST', body: JSON.stringify({ login_id: `nobody-${n}`, password: 'Guess-123' }) }).then((r) => r.arrayBuffer());
      logins++;
    }
  };
  const clients = Array.from({ length: LOGINS }, (_, n) => client(n));
  await new Promise((resolve) => setTimeout(resolve, 200)); // let the login load build up
  line(`durable writes, ${LOGINS} logins looping`, await writes());
  stop = true;
  await Promise.all(clients);
  console.log(`(${logins} unknown-user logins answered meanwhile)`);
  await mock.close();
  await rm(dir, { recursive: true, force: true });
}

await main();
