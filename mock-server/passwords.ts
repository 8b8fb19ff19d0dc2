/**
 * Password hashing for the mock server: scrypt (a deliberately slow, memory-hard hash) with a
 * random 16-byte salt, stored as `scrypt$<salt b64>$<hash b64>`. Verification recomputes the hash
 * and compares it in constant time. Clear-text passwords are never stored or logged.
 *
 * @example
 * ```ts
 * const stored = await hashPassword('Sys@dmin-sample1');
 * await verifyPassword('Sys@dmin-sample1', stored); // true
 * await verifyPassword('wrong', stored); // false
 * ```
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost parameters (N = 2^14, r = 8, p = 1: ~16 MiB and tens of ms per hash). */
const PARAMS: ScryptOptions = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
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

async function derive(password: string, salt: Buffer): Promise<Buffer> {
  await acquire();
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      scrypt(password.normalize('NFC'), salt, KEY_LENGTH, PARAMS, (err, key) => (err ? reject(err) : resolve(key)));
    });
  } finally {
    releaseSlot();
  }
}

/**
 * Hash a password with a fresh random salt.
 *
 * @example
 * ```ts
 * const stored = await hashPassword('S3cret-pass'); // 'scrypt$…$…'
 * ```
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt);
  return `scrypt$${salt.toString('base64')}$${key.toString('base64')}`;
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
  const parts = stored.split('$');
  if (parts.length !== 3 || parts[0] !== 'scrypt') {
    await verifyPassword(password, await DUMMY);
    return false;
  }
  const salt = Buffer.from(parts[1] ?? '', 'base64');
  const expected = Buffer.from(parts[2] ?? '', 'base64');
  const actual = await derive(password, salt);
  return expected.length === actual.length && timingSafeEqual(expected, actual) && stored !== '';
}
