/**
 * The `ServiceSettings` that govern integrations, read from the mock's config with Mattermost's
 * defaults (`config.go` SetDefaults) for keys a database does not carry: slash commands and both
 * kinds of webhooks on, username and icon overrides off, a 30 s limit for calls to integrations.
 *
 * @example
 * ```ts
 * const settings = integrationSettings(server.store);
 * if (!settings.enableCommands) throw new AppError('api.command.disabled.app_error');
 * ```
 */
import type { Store } from '../db/schema.js';

/** What the integration services read from `ServiceSettings`. */
export interface IntegrationSettings {
  /** `EnableCommands` (default true). */
  readonly enableCommands: boolean;
  /** `EnableIncomingWebhooks` (default true). */
  readonly enableIncomingWebhooks: boolean;
  /** `EnableOutgoingWebhooks` (default true). */
  readonly enableOutgoingWebhooks: boolean;
  /** `EnablePostUsernameOverride` (default false). */
  readonly enablePostUsernameOverride: boolean;
  /** `EnablePostIconOverride` (default false). */
  readonly enablePostIconOverride: boolean;
  /** `OutgoingIntegrationRequestsTimeout` in ms (the setting is in seconds, default 30). */
  readonly timeoutMs: number;
  /** `SiteURL` without a trailing slash ('' when unset). */
  readonly siteUrl: string;
}

const flag = (value: unknown, fallback: boolean): boolean => (typeof value === 'boolean' ? value : fallback);

/**
 * The integration settings of the current config.
 *
 * @example
 * ```ts
 * integrationSettings(store).timeoutMs; // 30000 unless OutgoingIntegrationRequestsTimeout is set
 * ```
 */
export function integrationSettings(store: Store): IntegrationSettings {
  const s = store.config.ServiceSettings;
  const seconds = s.OutgoingIntegrationRequestsTimeout;
  return {
    enableCommands: flag(s.EnableCommands, true),
    enableIncomingWebhooks: flag(s.EnableIncomingWebhooks, true),
    enableOutgoingWebhooks: flag(s.EnableOutgoingWebhooks, true),
    enablePostUsernameOverride: flag(s.EnablePostUsernameOverride, false),
    enablePostIconOverride: flag(s.EnablePostIconOverride, false),
    timeoutMs: typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 30_000,
    siteUrl: typeof s.SiteURL === 'string' ? s.SiteURL.replace(/\/+$/, '') : '',
  };
}
