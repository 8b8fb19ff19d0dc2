/**
 * Config service: Mattermost's server defaults, `GET/PUT /config`, `PUT /config/patch` (deep
 * merge) and the old-format client config. Every change is committed (durable) and then emitted
 * as `config.changed` with the dotted keys that changed, so the session cache is cleared before
 * the response (turning `EnableUserAccessTokens` off refuses existing non-bot PATs at once).
 *
 * @example
 * ```ts
 * const config = await patchConfig(server, admin, { ServiceSettings: { EnableUserAccessTokens: false } });
 * // hook 'config.changed' emitted with keys ['ServiceSettings.EnableUserAccessTokens']
 * ```
 */
import { invalidBodyParam } from '../errors.js';
import type { Principal } from '../../middleware/types.js';
import type { MockConfig } from '../db/schema.js';
import type { ServiceContext } from './context.js';
import { requirePerm } from './access.js';
import { configChangedEvent } from '../websocket/events.js';
import { commitThenEmit } from './commit.js';

/**
 * The mock's Mattermost version (reported in client config and `X-Version-Id`).
 *
 * @example
 * ```ts
 * ctx.set('X-Version-Id', `${MOCK_VERSION}.${MOCK_VERSION}.mock.false`);
 * ```
 */
export const MOCK_VERSION = '10.11.0';

/**
 * Mattermost's defaults for the settings the mock understands (`config.go` SetDefaults).
 *
 * @example
 * ```ts
 * defaultConfig().ServiceSettings.EnableUserAccessTokens; // false
 * ```
 */
export function defaultConfig(): MockConfig {
  return {
    ServiceSettings: {
      SiteURL: '',
      EnableUserAccessTokens: false,
      EnableDeveloper: false,
      EnableBotAccountCreation: false,
      DisableBotsWhenOwnerIsDeactivated: true,
      ExperimentalStrictCSRFEnforcement: false,
      SessionCacheInMinutes: 10,
      SessionLengthWebInHours: 720,
      SessionLengthMobileInHours: 720,
      SessionLengthSSOInHours: 720,
      SessionIdleTimeoutInMinutes: 43200,
      MaximumLoginAttempts: 10,
      MaximumPersonalAccessTokenLifetimeDays: 0,
      EnableAPIUserDeletion: false,
    },
    TeamSettings: {
      SiteName: 'Mattermost',
      EnableUserDeactivation: false,
      EnableUserCreation: true,
      EnableOpenServer: false,
      MaxUsersPerTeam: 50,
    },
    RateLimitSettings: {
      Enable: false,
      PerSec: 10,
      MaxBurst: 100,
      MemoryStoreSize: 10000,
      VaryByRemoteAddr: true,
      VaryByUser: false,
      VaryByHeader: '',
    },
  };
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Check `input` against the shape of `reference` the way Go's typed decode would: sections must
 * be objects, known boolean/number/string settings must keep their type. Unknown keys pass.
 * Throws 400 `invalid_body_param` naming `config`.
 */
function checkShape(input: Json, reference: Json, path: string[] = []): void {
  for (const [key, value] of Object.entries(input)) {
    const ref = Object.hasOwn(reference, key) ? reference[key] : undefined;
    if (path.length === 0 && !isObject(value)) throw invalidBodyParam('config');
    if (ref === undefined || value === null) continue;
    if (isObject(ref)) {
      if (!isObject(value)) throw invalidBodyParam('config');
      checkShape(value, ref, [...path, key]);
    } else if (typeof ref === 'number') {
      if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidBodyParam('config');
    } else if (typeof ref !== typeof value) {
      throw invalidBodyParam('config');
    }
  }
}

/** Deep merge `patch` onto `base` (objects merge, everything else replaces; `null` is ignored as Go would). */
function deepMerge(base: Json, patch: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key === '__proto__') continue;
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? deepMerge(current, value) : structuredClone(value);
  }
  return out;
}

/**
 * Dotted keys whose values differ between `a` and `b`.
 *
 * @example
 * ```ts
 * changedKeys({ A: { x: 1 } }, { A: { x: 2 } }); // ['A.x']
 * ```
 */
export function changedKeys(a: Json, b: Json, prefix = ''): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const out: string[] = [];
  for (const key of keys) {
    const x = a[key];
    const y = b[key];
    const path = prefix ? `${prefix}.${key}` : key;
    if (isObject(x) && isObject(y)) out.push(...changedKeys(x, y, path));
    else if (JSON.stringify(x) !== JSON.stringify(y)) out.push(path);
  }
  return out;
}

/**
 * `defaults` with `partial` deep-merged on top (used by seeds: omitted settings keep Mattermost's defaults).
 *
 * @example
 * ```ts
 * configFrom({ ServiceSettings: { EnableUserAccessTokens: true } });
 * ```
 */
export function configFrom(partial: unknown): MockConfig {
  const base = defaultConfig() as unknown as Json;
  if (partial === undefined) return base as unknown as MockConfig;
  if (!isObject(partial)) throw invalidBodyParam('config');
  checkShape(partial, base);
  return deepMerge(base, partial) as unknown as MockConfig;
}

async function commitConfig(server: ServiceContext, next: MockConfig): Promise<string[]> {
  const keys = changedKeys(server.store.config as unknown as Json, next as unknown as Json);
  if (keys.length === 0) return keys;
  await commitThenEmit(server, [{ op: 'config', config: next }], {
    hooks: [['config.changed', { keys }]],
    ws: () => [configChangedEvent(clientConfig(server))],
    log: [['config changed', { keys }]],
  });
  return keys;
}

/**
 * The whole config (a copy).
 *
 * @example
 * ```ts
 * getConfig(server).TeamSettings.SiteName;
 * ```
 */
export function getConfig(server: ServiceContext): MockConfig {
  return structuredClone(server.store.config);
}

/**
 * GET /config: the whole config, for callers with `manage_system`.
 *
 * @example
 * ```ts
 * sendJson(ctx, readConfig(server, caller)); // 403 manage_system otherwise
 * ```
 */
export function readConfig(server: ServiceContext, caller: Principal): MockConfig {
  requirePerm(caller, 'manage_system');
  return getConfig(server);
}

/**
 * `PUT /config`: the body is a whole config; omitted settings take Mattermost's defaults (as
 * Go's decode into a fresh struct + SetDefaults does). Returns the new config.
 *
 * @example
 * ```ts
 * await updateConfig(server, admin, { TeamSettings: { SiteName: 'Mock' } });
 * ```
 */
export async function updateConfig(server: ServiceContext, caller: Principal, body: unknown): Promise<MockConfig> {
  if (!isObject(body)) throw invalidBodyParam('config');
  const next = configFrom(body);
  requirePerm(caller, 'manage_system');
  await commitConfig(server, next);
  return getConfig(server);
}

/**
 * `PUT /config/patch`: deep-merge `patch` onto the current config. Returns the new config.
 *
 * @example
 * ```ts
 * await patchConfig(server, admin, { ServiceSettings: { EnableUserAccessTokens: false } });
 * ```
 */
export async function patchConfig(server: ServiceContext, caller: Principal, patch: unknown): Promise<MockConfig> {
  if (!isObject(patch)) throw invalidBodyParam('config');
  const current = server.store.config as unknown as Json;
  checkShape(patch, current);
  requirePerm(caller, 'manage_system');
  const next = deepMerge(current, patch) as unknown as MockConfig;
  await commitConfig(server, next);
  return getConfig(server);
}

const str = (value: unknown): string => (typeof value === 'boolean' ? (value ? 'true' : 'false') : String(value ?? ''));

/**
 * `GET /config/client?format=old`: Mattermost's client config, every value a string.
 *
 * @example
 * ```ts
 * clientConfig(server).EnableUserAccessTokens; // 'true' or 'false'
 * ```
 */
export function clientConfig(server: ServiceContext): Record<string, string> {
  const { ServiceSettings: s, TeamSettings: t } = server.store.config;
  return {
    Version: MOCK_VERSION,
    BuildNumber: MOCK_VERSION,
    BuildDate: '',
    BuildHash: 'mattermost-pat-mock',
    BuildHashEnterprise: 'none',
    BuildEnterpriseReady: 'false',
    SiteName: str(t.SiteName),
    SiteURL: str(s.SiteURL),
    EnableUserAccessTokens: str(s.EnableUserAccessTokens),
    EnableBotAccountCreation: str(s.EnableBotAccountCreation),
    EnableDeveloper: str(s.EnableDeveloper),
    EnableUserCreation: str(t.EnableUserCreation),
    EnableOpenServer: str(t.EnableOpenServer),
    EnableUserDeactivation: str(t.EnableUserDeactivation),
    ExperimentalStrictCSRFEnforcement: str(s.ExperimentalStrictCSRFEnforcement),
    DiagnosticsEnabled: 'false',
    NoAccounts: 'false',
  };
}
