/**
 * Password hashing for the mock server: scrypt (a deliberately slow, memory-hard hash) with a
 * random 16-byte salt, stored as `scrypt$<salt b64>$<hash b64>` at the default cost, or
 * `scrypt$<N>$<salt b64>$<hash b64>` at another ({@link FAST_SCRYPT_N}, for test suites'
 * seeds). Verification reads the cost from the stored hash, recomputes it and compares in constant
 * time, so a database written at either cost opens under any options. Clear-text passwords are
 * never stored or logged.
 *
 * @example
 * ```ts
 * const stored = await hashPassword('Sys@dmin-sample1');
 * await verifyPassword('Sys@dmin-sample1', stored); // true
 * await verifyPassword('wrong', stored); // false
 * ```
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** The default scrypt cost (N = 2^14, r = 8, p = 1: ~16 MiB and tens of ms per hash). */
export const SCRYPT_N = 16384;
/**
 * The cost of seeded passwords with `fastSeedPasswords` (N = 2^10: 16x cheaper). A test suite
 * logs in a seeded user before most tests; at the default cost those logins were a third of the
 * mock's own unit tests' CPU time.
 */
export const FAST_SCRYPT_N = 1024;
/** Costs a stored hash may name: powers of two from 2^10 to 2^17 (at most 128 MiB of scrypt memory, 128·N·r bytes). */
const MIN_N = 1024;
const MAX_N = 131072;
const R = 8;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

/**
 * Password hashes computed at once, at most. scrypt runs on libuv's thread pool (4 threads by
 * default), which the store's fsync shares: 20 logins at once held every durable write behind
 * them (p99 7 → 552 ms). With at most 2 hashes running, the pool always has threads for writes;
 * the other hashes wait in a FIFO queue (a small closure each, no thread).
 */
export const MAX_CONCURRENT_HASHES = 2;

/** What the hashing queue is doing (tests, diagnostics). */
export interface HashingStats {
  /** scrypt runs in progress (≤ {@link MAX_CONCURRENT_HASHES}). */
  readonly running: number;
  /** Waiting for a slot. */
  readonly queued: number;
  /** Most running at once since start (or the last `resetHashingStats()`). */
  readonly peak: number;
  /** scrypt runs completed since start (or the last reset). */
  readonly completed: number;
}

let running = 0;
let peak = 0;
let completed = 0;
const waiting: Array<() => void> = [];

function acquire(): Promise<void> {
  if (running < MAX_CONCURRENT_HASHES) {
    running++;
    peak = Math.max(peak, running);
    return Promise.resolve();
  }
  return new Promise((resolve) => waiting.push(resolve));
}

function releaseSlot(): void {
  completed++;
  const next = waiting.shift();
  if (next === undefined) running--;
  else next(); // the slot passes straight to the next in line: `running` is unchanged
}

/**
 * The hashing queue's counters.
 *
 * @example
 * ```ts
 * hashingStats().peak <= MAX_CONCURRENT_HASHES; // true
 * ```
 */
export function hashingStats(): HashingStats {
  return { running, queued: waiting.length, peak, completed };
}

/**
 * Reset `peak` and `completed` (tests measure one burst).
 *
 * @example
 * ```ts
 * resetHashingStats();
 * await Promise.all(logins);
 * hashingStats().completed; // scrypt runs of that burst
 * ```
 */
export function resetHashingStats(): void {
  peak = running;
  completed = 0;
}

async function derive(password: string, salt: Buffer, N: number): Promise<Buffer> {
  const params: ScryptOptions = { N, r: R, p: 1, maxmem: 2 * 128 * N * R };
  await acquire();
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      scrypt(password.normalize('NFC'), salt, KEY_LENGTH, params, (err, key) => (err ? reject(err) : resolve(key)));
    });
  } finally {
    releaseSlot();
  }
}

/**
 * Hash a password with a fresh random salt, at cost `N` (default {@link SCRYPT_N}).
 *
 * @example
 * ```ts
 * const stored = await hashPassword('S3cret-pass'); // 'scrypt$…$…'
 * await hashPassword('S3cret-pass', FAST_SCRYPT_N); // 'scrypt$1024$…$…'
 * ```
 */
export async function hashPassword(password: string, N = SCRYPT_N): Promise<string> {
  if (!validCost(N)) throw new RangeError(`scrypt cost must be a power of two from ${MIN_N} to ${MAX_N}, not ${N}`);
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, N);
  const cost = N === SCRYPT_N ? '' : `${N}$`;
  return `scrypt$${cost}${salt.toString('base64')}$${key.toString('base64')}`;
}

function validCost(N: number): boolean {
  return Number.isInteger(N) && N >= MIN_N && N <= MAX_N && (N & (N - 1)) === 0;
}

/** The cost, salt and key of a stored hash, or undefined for one this module did not write. */
function parseStored(stored: string): { N: number; salt: Buffer; key: Buffer } | undefined {
  const [scheme, ...rest] = stored.split('$');
  if (scheme !== 'scrypt' || (rest.length !== 2 && rest.length !== 3)) return undefined;
  const cost = rest.length === 2 ? String(SCRYPT_N) : rest[0] ?? '';
  const N = /^[0-9]{4,6}$/.test(cost) ? Number(cost) : NaN;
  if (!validCost(N)) return undefined;
  return { N, salt: Buffer.from(rest.at(-2) ?? '', 'base64'), key: Buffer.from(rest.at(-1) ?? '', 'base64') };
}

/** A hash of a random password: verifying against it costs the same time as a real one and always fails. */
const DUMMY = hashPassword(randomBytes(18).toString('base64'));

/**
 * Check `password` against a stored hash in constant time. An empty or malformed `stored`
 * (e.g. bots, which have no password) still costs one scrypt run and returns false, so the time
 * taken does not reveal whether the account exists.
 *
 * @example
 * ```ts
 * if (!(await verifyPassword(given, user.password_hash))) throw invalidCredentials();
 * ```
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseStored(stored);
  if (parsed === undefined) {
    await verifyPassword(password, await DUMMY);
    return false;
  }
  const actual = await derive(password, parsed.salt, parsed.N);
  return parsed.key.length === actual.length && timingSafeEqual(parsed.key, actual);
}
