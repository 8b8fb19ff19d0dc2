/**
 * Secret handling helpers: SHA-256 hex digests (how tokens are stored and looked up) and a
 * constant-time string comparison for secret-derived values.
 *
 * @example
 * ```ts
 * import { sha256Hex, safeEqual } from 'mattermost-pat';
 * const digest = sha256Hex(secret);            // 64 lowercase hex chars, what the store keeps
 * safeEqual(digest, row.digest);               // true/false in time independent of where they differ
 * ```
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { encodeIdBytes } from './ids.js';

/**
 * Lowercase hex SHA-256 of a UTF-8 string.
 * @example
 * ```ts
 * sha256Hex('abc'); // 'ba7816bf…15ad'
 * ```
 */
export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * Compare two strings in constant time (for equal lengths; a length mismatch returns false after
 * a dummy comparison of the same cost). Use it for digests, CSRF tokens, HMACs.
 * @example
 * ```ts
 * safeEqual(sha256Hex(presented), row.digest);
 * ```
 */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

/**
 * A deterministic 26-character Mattermost-format id derived from a value (the first 16 bytes of
 * its SHA-256, base32 with Mattermost's alphabet). Used for the session id of a PAT when the
 * store does not mint sessions itself.
 * @example
 * ```ts
 * deriveId(`session:${tokenId}`); // same input, same id
 * ```
 */
export function deriveId(value: string): string {
  return encodeIdBytes(createHash('sha256').update(value, 'utf8').digest().subarray(0, 16));
}
