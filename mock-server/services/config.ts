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
import * as v from 'valibot';
import type { Principal } from '../../middleware/types.js';
import { ConfigInput, MockConfigSchema, type MockConfig } from '../schemas/config.js';
import { decodeBody, isPlainObject as isObject } from '../schemas/json.js';
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
  return v.parse(MockConfigSchema, {});
}

type Json = Record<string, unknown>;

/** Deep merge `patch` onto `base` (objects merge, everything else replaces; `null` is ignored as Go would). */
function deepMerge<T extends Json>(base: T, patch: Json): T {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key === '__proto__') continue;
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? deepMerge(current, value) : structuredClone(value);
  }
  // Only validated patches reach here (ConfigInput): every known setting keeps its type.
  return out as T;
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
  return partial === undefined ? defaultConfig() : mergeConfig(defaultConfig(), partial);
}

/**
 * `patch` (checked by {@link ConfigInput}: 400 `invalid_body_param` naming `config` otherwise)
 * deep-merged onto `base`, itself laid on Mattermost's defaults so that a config stored before a
 * setting was known still comes out whole.
 */
function mergeConfig(base: MockConfig, patch: unknown): MockConfig {
  decodeBody(ConfigInput, patch, 'config');
  // The patch as sent, not valibot's output, so unknown settings (even one named `constructor`,
  // which valibot's objects leave out) are kept as given.
  return deepMerge(deepMerge(defaultConfig(), base), patch as Json);
}

async function commitConfig(server: ServiceContext, next: MockConfig): Promise<string[]> {
  const keys = changedKeys(server.store.config, next);
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
  const next = mergeConfig(defaultConfig(), body);
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
  const next = mergeConfig(server.store.config, patch);
  requirePerm(caller, 'manage_system');
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
