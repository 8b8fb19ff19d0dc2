/**
 * mattermost-pat: Koa middleware that authenticates requests by Mattermost personal access token.
 * The package root: what an application uses. Signed events between processes are in
 * `mattermost-pat/events` (the only part that needs `jose`), the resolver that asks a real
 * Mattermost server is in `mattermost-pat/remote`. Internals (id encoding, message rendering,
 * the limiter's algorithm) are not exported; `test/middleware/entries.test.ts` pins this list.
 */

// Authentication: find the token, resolve it to a principal, put it on ctx.state.auth.
export { authenticate, type AuthenticateOptions, type ExcludeRule, type RefusalInfo } from './auth/authenticate.js';
export { extractToken, SESSION_COOKIE, type ExtractedToken, type TokenCarrier } from './auth/extract.js';
export { getPrincipal, type PrincipalCarrier } from './auth/principal.js';
export { storeResolver, type StoreResolverOptions } from './auth/store-resolver.js';
export { AuthFailure, type AuthFailureReason } from './auth/auth-failure.js';
export type {
  Principal, PrincipalKind, ResolveContext, StoredToken, StoredUser, TokenResolver, TokenSource, TokenStore,
} from './types.js';

// The session cache in front of any resolver, evicted by hook events.
export { cachedResolver, type CachedResolver, type CachedResolverOptions } from './cache/session-cache.js';

// Revocation and lifecycle events inside the process.
export {
  createHookBus, type AnyHookHandler, type CacheResetReason, type HookBus, type HookBusOptions, type HookEventMeta,
  type HookEventName, type HookEvents, type HookHandler,
} from './hooks/hook-bus.js';

// Mattermost's roles and permission checks.
export {
  hasPermission, isPermission, missingPermission, PERMISSIONS, permissionsOf, requirePermission, ROLE_PERMISSIONS,
  rolesOf, type BuiltInRole, type Permission, type RoleSubject,
} from './permissions/permissions.js';

// Errors: the registry mechanism, the middleware's ids, the boundary that renders them.
export {
  AppError, defineErrors, isAppError, type AppErrorBody, type AppErrorClass, type AppErrorOptions,
  type ErrorDefinition, type ErrorTable,
} from './errors/app-error.js';
export { ERRORS, type ErrorId } from './errors/registry.js';
export { invalidBodyParam, permissionError } from './errors/shortcuts.js';
export { errorBoundary, type ErrorBoundaryOptions } from './errors/error-boundary.js';

// The other side of slash commands and outgoing webhooks: verify Mattermost's command token.
export {
  verifyCommand, type CommandRefusalInfo, type CommandRefusalReason, type CommandRequest, type CommandTokenSource,
  type VerifyCommandOptions,
} from './integrations/verify-command.js';

// HTTP plumbing: request ids, rate limiting.
export { REQUEST_ID_HEADER, requestId, type RequestIdOptions } from './http/request-id.js';
export {
  rateLimit, type RateDecision, type RateLimitOptions, type RateLimitSettings, type RateLimitSettingsInput,
} from './http/rate-limit.js';

// Token digests, constant-time comparison, Mattermost ids (for a TokenStore).
export { deriveId, safeEqual, sha256Hex } from './util/digest.js';
export { isValidId, newId } from './util/ids.js';

// Logging.
export { consoleLogger, silentLogger, type Logger } from './logger.js';
