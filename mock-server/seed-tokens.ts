/**
 * Seeded personal access tokens with known secrets, so a suite or a bot's config can use a fixed
 * token (`MM_TOKEN=...` in a CI file) against a fresh mock. The secret is written in the seed and
 * stored as its SHA-256 digest only, like every token; it is never written to the database file,
 * and the API never returns it. A seed file holding secrets is a secret itself: use these for
 * test fixtures, not for anything a real server would accept.
 *
 * ```json
 * { "tokens": [{ "user": "ci-bot", "token": "cibottoken0000000000000001", "description": "CI" }] }
 * ```
 *
 * @example
 * ```ts
 * checkSeedTokens(seed.tokens ?? [], usernames, fail); // SeedError: invalid seed: tokens[0].user: …
 * const rows = buildSeedTokens(seed.tokens ?? [], byName, Date.now());
 * ```
 */
import { newId } from '../middleware/util/ids.js';
import { sha256Hex } from '../middleware/util/digest.js';
import type { TokenRecord, UserRecord } from './db/schema.js';
import type { SeedToken } from './schemas/seed.js';

export type { SeedToken } from './schemas/seed.js';

/**
 * The checks that span lists (the schema checks each token's fields): `user` names a seeded user
 * or bot, and no secret is declared twice. `fail(where, what)` throws the seed's error.
 *
 * @example
 * ```ts
 * checkSeedTokens(seed.tokens ?? [], usernames, fail);
 * ```
 */
export function checkSeedTokens(tokens: readonly SeedToken[], usernames: ReadonlySet<string>, fail: (where: string, what: string) => never): void {
  const secrets = new Set<string>();
  tokens.forEach((t, i) => {
    if (!usernames.has(t.user)) fail(`tokens[${i}].user`, 'must be the username of a seeded user or bot');
    if (secrets.has(t.token)) fail(`tokens[${i}].token`, 'duplicate token');
    secrets.add(t.token);
  });
}

/**
 * Token rows for the seed's tokens: digests only.
 *
 * @example
 * ```ts
 * data.tokens = buildSeedTokens(seed.tokens ?? [], byName, now);
 * ```
 */
export function buildSeedTokens(tokens: readonly SeedToken[], byName: ReadonlyMap<string, UserRecord>, now: number): TokenRecord[] {
  return tokens.flatMap((t) => {
    const owner = byName.get(t.user);
    if (owner === undefined) return [];
    return [{
      id: newId(), digest: sha256Hex(t.token), user_id: owner.id, description: t.description ?? 'seeded token',
      is_active: true, expires_at: t.expires_at ?? 0, create_at: now,
    }];
  });
}
