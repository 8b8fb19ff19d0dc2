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

function derive(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, PARAMS, (err, key) => (err ? reject(err) : resolve(key)));
  });
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
