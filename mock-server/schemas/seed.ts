/**
 * The seed file, declared once with valibot: strict objects (a misspelled key such as `"user"` or
 * `"role"` fails at its path instead of being dropped), the field rules, and from them the
 * `SeedInput` type and the JSON Schema editors complete against (`seed.schema.json`). Checks that
 * span lists (duplicates, owners and members that name a seeded user) are in seed.ts.
 *
 * @example
 * ```ts
 * const result = v.safeParse(SeedSchema, JSON.parse(text));
 * ```
 */
import * as v from 'valibot';
import { ConfigInput } from './config.js';
import { strictJsonObject } from './json.js';

const USERNAME = /^[a-z][a-z0-9.\-_]{2,21}$/;
const NAME = /^[a-z0-9][a-z0-9\-_]{0,63}$/;
const ROLES = /^[a-z0-9_]+( [a-z0-9_]+)*$/;

const username = v.pipe(v.string(), v.regex(USERNAME, 'must be 3-22 chars: a lowercase letter, then lowercase letters, digits, ".", "-", "_"'));
const name = v.pipe(v.string(), v.regex(NAME, 'must be lowercase letters, digits, "-", "_" (1-64 chars)'));
const roles = v.pipe(v.string(), v.regex(ROLES, 'must be space-separated role names (e.g. "system_admin system_user")'));
const text = v.string();

/** A seeded user. */
export const SeedUserSchema = strictJsonObject({
  username,
  password: v.pipe(v.string(), v.minLength(5, 'must be a string of 5 to 72 characters'), v.maxLength(72, 'must be a string of 5 to 72 characters')),
  email: v.optional(text),
  /** Space-separated roles. Default `system_user`; `system_admin` alone lacks the user role. */
  roles: v.optional(v.pipe(roles, v.check((r) => r !== 'system_admin', 'system_admin needs system_user too: "system_admin system_user"'))),
  first_name: v.optional(text),
  last_name: v.optional(text),
  nickname: v.optional(text),
  position: v.optional(text),
  locale: v.optional(text),
  /** Start deactivated. Default false. */
  deactivated: v.optional(v.boolean()),
});

/** A seeded bot. */
export const SeedBotSchema = strictJsonObject({
  username,
  /** Username of the owning user (must be in `users`). */
  owner: v.string(),
  display_name: v.optional(text),
  description: v.optional(text),
});

/** A seeded team. */
export const SeedTeamSchema = strictJsonObject({
  name,
  display_name: v.optional(text),
  type: v.optional(v.picklist(['O', 'I'], 'must be "O" or "I"')),
  /** Usernames (role `team_user`) or `{ username, roles }`. */
  members: v.optional(v.array(v.union([v.string(), strictJsonObject({ username: v.string(), roles: v.optional(roles) })]))),
});

/** A seeded channel. */
export const SeedChannelSchema = strictJsonObject({
  /** Team name (must be in `teams`). */
  team: v.string(),
  name,
  display_name: v.optional(text),
  /** 'O' public (default) or 'P' private. */
  type: v.optional(v.picklist(['O', 'P'], 'must be "O" or "P"')),
  /** Usernames. Default: every member of the team for public channels, nobody for private ones. */
  members: v.optional(v.array(v.string())),
});

/**
 * A seeded personal access token with a known secret (seed-tokens.ts): stored as its SHA-256
 * digest only. `token` has the shape of the tokens Mattermost issues (`model.NewId`).
 */
export const SeedTokenSchema = strictJsonObject({
  /** Username of the seeded user or bot owning the token. */
  user: v.string(),
  /** The secret: 26 lowercase letters and digits. */
  token: v.pipe(v.string(), v.regex(/^[a-z0-9]{26}$/, 'must be 26 lowercase letters and digits')),
  /** Default `'seeded token'`. */
  description: v.optional(v.pipe(v.string(), v.maxLength(255, 'must be a string of at most 255 characters'))),
  /** ms since the epoch; 0 or absent = never expires. */
  expires_at: v.optional(v.pipe(v.number(), v.safeInteger('must be ms since the epoch (0 = never)'), v.minValue(0, 'must be ms since the epoch (0 = never)'))),
});

/** What a seed file holds. Every list is optional; `$schema` is allowed for editors. */
export const SeedSchema = strictJsonObject({
  $schema: v.optional(v.string()),
  users: v.optional(v.array(SeedUserSchema)),
  bots: v.optional(v.array(SeedBotSchema)),
  teams: v.optional(v.array(SeedTeamSchema)),
  channels: v.optional(v.array(SeedChannelSchema)),
  /** Personal access tokens with known secrets (stored hashed), for fixed test tokens. */
  tokens: v.optional(v.array(SeedTokenSchema)),
  /** Deep-merged onto Mattermost's defaults (`EnableUserAccessTokens` is false unless set). */
  config: v.optional(ConfigInput),
});

/** What a seed file holds (no defaults or transforms in the schema, so what is written is what is read). */
export type SeedInput = v.InferOutput<typeof SeedSchema>;
export type SeedUser = v.InferOutput<typeof SeedUserSchema>;
export type SeedBot = v.InferOutput<typeof SeedBotSchema>;
export type SeedTeam = v.InferOutput<typeof SeedTeamSchema>;
export type SeedChannel = v.InferOutput<typeof SeedChannelSchema>;
export type SeedToken = v.InferOutput<typeof SeedTokenSchema>;
