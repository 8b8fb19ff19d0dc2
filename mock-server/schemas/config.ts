/**
 * The config sections the mock understands, declared once with valibot. From them come the
 * `MockConfig` type (inferred), the check of a stored config, and the check of a config a client
 * or a seed sends (`ConfigInput`: every setting optional, `null` ignored as Go's pointer fields
 * are, unknown settings and sections kept as given).
 *
 * @example
 * ```ts
 * const config: MockConfig = v.parse(MockConfigSchema, stored);
 * v.parse(ConfigInput, { ServiceSettings: { EnableUserAccessTokens: true } });
 * ```
 */
import * as v from 'valibot';
import { anyObject, int, jsonObject } from './json.js';

/** `ServiceSettings` the mock reads, with Mattermost's defaults. */
const serviceSettings = {
  SiteURL: v.optional(v.string(), ''),
  EnableUserAccessTokens: v.optional(v.boolean(), false),
  EnableDeveloper: v.optional(v.boolean(), false),
  EnableBotAccountCreation: v.optional(v.boolean(), false),
  DisableBotsWhenOwnerIsDeactivated: v.optional(v.boolean(), true),
  ExperimentalStrictCSRFEnforcement: v.optional(v.boolean(), false),
  SessionCacheInMinutes: v.optional(int, 10),
  SessionLengthWebInHours: v.optional(int, 720),
  SessionLengthMobileInHours: v.optional(int, 720),
  SessionLengthSSOInHours: v.optional(int, 720),
  SessionIdleTimeoutInMinutes: v.optional(int, 43200),
  MaximumLoginAttempts: v.optional(int, 10),
  /** Maximum PAT lifetime in days (newest servers); 0 = no policy. */
  MaximumPersonalAccessTokenLifetimeDays: v.optional(int, 0),
  EnableAPIUserDeletion: v.optional(v.boolean(), false),
};

/** `TeamSettings` the mock reads. */
const teamSettings = {
  SiteName: v.optional(v.string(), 'Mattermost'),
  EnableUserDeactivation: v.optional(v.boolean(), false),
  EnableUserCreation: v.optional(v.boolean(), true),
  EnableOpenServer: v.optional(v.boolean(), false),
  MaxUsersPerTeam: v.optional(int, 50),
};

/** `RateLimitSettings` (the middleware's rate limiter reads them). */
const rateLimitSettings = {
  Enable: v.optional(v.boolean(), false),
  PerSec: v.optional(int, 10),
  MaxBurst: v.optional(int, 100),
  MemoryStoreSize: v.optional(int, 10000),
  VaryByRemoteAddr: v.optional(v.boolean(), true),
  VaryByUser: v.optional(v.boolean(), false),
  VaryByHeader: v.optional(v.string(), ''),
};

/** A section's settings, each with Mattermost's default. */
type Settings = Record<string, v.OptionalSchema<v.GenericSchema, unknown>>;

/** The same settings for input: optional without a default, and nullable (`null`: left as is). */
function partial<E extends Settings>(entries: E) {
  const out = {} as { [K in keyof E]: v.OptionalSchema<v.NullableSchema<E[K]['wrapped'], undefined>, undefined> };
  for (const key of Object.keys(entries) as (keyof E)[]) out[key] = v.optional(v.nullable(entries[key].wrapped));
  return jsonObject(out);
}

/**
 * A stored config: the known settings with their types; a missing one takes Mattermost's default
 * (`config.go` SetDefaults), so a database written before a setting existed reads whole. Unknown
 * settings and sections are kept.
 */
export const MockConfigSchema = v.pipe(anyObject, v.objectWithRest({
  ServiceSettings: v.optional(jsonObject(serviceSettings), {}),
  TeamSettings: v.optional(jsonObject(teamSettings), {}),
  RateLimitSettings: v.optional(jsonObject(rateLimitSettings), {}),
}, anyObject));

/** The Mattermost config subset the mock understands (inferred from {@link MockConfigSchema}). */
export type MockConfig = v.InferOutput<typeof MockConfigSchema>;

/**
 * A config as `PUT /config`, `PUT /config/patch` and seed files send it: sections are objects,
 * known settings keep their types (Go's typed decode) or are `null` (left as they are).
 */
export const ConfigInput = v.pipe(anyObject, v.objectWithRest({
  ServiceSettings: v.optional(partial(serviceSettings)),
  TeamSettings: v.optional(partial(teamSettings)),
  RateLimitSettings: v.optional(partial(rateLimitSettings)),
}, anyObject));

/** What {@link ConfigInput} accepts. */
export type ConfigInputValue = v.InferOutput<typeof ConfigInput>;
