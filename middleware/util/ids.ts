/**
 * Mattermost ids: 16 random bytes of a version-4 UUID, base32-encoded with the alphabet
 * `ybndrfg8ejkmcpqxot1uwisza345h769`, no padding: 26 lowercase alphanumeric characters.
 * Token ids, token secrets, session ids, user ids and request ids all share this format.
 *
 * @example
 * ```ts
 * import { newId, isValidId } from 'mattermost-pat';
 * const id = newId(); // e.g. "8kt3wq1ipbfu7kyokm5d1fzr9e"
 * isValidId(id); // true
 * ```
 */
import { randomUUID } from 'node:crypto';

const ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769';

/** Base32 with Mattermost's alphabet, no padding (16 bytes → 26 characters). */
export function encodeIdBytes(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** A new 26-character Mattermost id (122 random bits, from a v4 UUID like Mattermost's `NewId`). */
export function newId(): string {
  const hex = randomUUID().replace(/-/g, '');
  return encodeIdBytes(Buffer.from(hex, 'hex'));
}

const VALID_ID = /^[\p{L}\p{N}]{26}$/u;

/** Mattermost's `IsValidId`: exactly 26 Unicode letters or digits (case not enforced). */
export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && value.length === 26 && VALID_ID.test(value);
}
