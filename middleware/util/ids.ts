/**
 * Mattermost ids: 16 random bytes of a version-4 UUID, base32-encoded with the alphabet
 * `ybndrfg8ejkmcpqxot1uwisza345h769`, no padding: 26 lowercase alphanumeric characters.
 * Token ids, token secrets, session ids, user ids and request ids all share this format.
 *
 * The 26 characters are written as bytes into one scratch buffer and decoded once: a flat
 * one-byte string of 26 characters. (Appending them one at a time made an 11-piece rope of 354 B
 * per id, and every cached principal and every request id kept one.)
 *
 * @example
 * ```ts
 * import { newId, isValidId } from 'mattermost-pat';
 * const id = newId(); // e.g. "8kt3wq1ipbfu7kyokm5d1fzr9e"
 * isValidId(id); // true
 * ```
 */
import { randomFillSync } from 'node:crypto';

const ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769';
/** The alphabet as character codes. */
const CODES = Buffer.from(ALPHABET, 'latin1');
/** Scratch for one encoded id; decoded to a string before anything else can use it. */
const OUT = Buffer.allocUnsafeSlow(26);
/** Random bytes for 256 ids, refilled when used up (what `randomUUID()` does inside Node). */
const POOL = Buffer.allocUnsafeSlow(16 * 256);
let poolAt = POOL.length;

/** Base32 of the 16 bytes at `offset` into {@link OUT}, decoded once. */
function encode16(bytes: Uint8Array, offset: number): string {
  let at = 0;
  let buffer = 0;
  let bits = 0;
  for (let i = offset; i < offset + 16; i++) {
    // Only the low `bits` (< 13) bits are ever read: keep the accumulator small.
    buffer = ((buffer << 8) | (bytes[i] as number)) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      OUT[at++] = CODES[(buffer >>> (bits - 5)) & 31] as number;
      bits -= 5;
    }
  }
  // 128 bits = 25 characters and 3 bits left over: the last character.
  OUT[at] = CODES[(buffer << (5 - bits)) & 31] as number;
  return OUT.toString('latin1', 0, 26);
}

/** Base32 with Mattermost's alphabet, no padding (16 bytes → 26 characters). */
export function encodeIdBytes(bytes: Uint8Array): string {
  if (bytes.length === 16) return encode16(bytes, 0);
  // Any other length: the general loop (not on a hot path), same alphabet and padding rule.
  const codes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      codes.push(CODES[(buffer >>> (bits - 5)) & 31] as number);
      bits -= 5;
    }
  }
  if (bits > 0) codes.push(CODES[(buffer << (5 - bits)) & 31] as number);
  return Buffer.from(codes).toString('latin1');
}

/**
 * A new 26-character Mattermost id (122 random bits laid out as a v4 UUID, like Mattermost's
 * `NewId`: version nibble 4, variant bits 10).
 */
export function newId(): string {
  if (poolAt === POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const at = poolAt;
  poolAt += 16;
  POOL[at + 6] = ((POOL[at + 6] as number) & 0x0f) | 0x40;
  POOL[at + 8] = ((POOL[at + 8] as number) & 0x3f) | 0x80;
  return encode16(POOL, at);
}

const VALID_ID = /^[\p{L}\p{N}]{26}$/u;

/** Mattermost's `IsValidId`: exactly 26 Unicode letters or digits (case not enforced). */
export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && value.length === 26 && VALID_ID.test(value);
}
