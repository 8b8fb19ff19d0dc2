/**
 * mattermost-pat: Koa middleware that authenticates requests by Mattermost personal access token.
 * Main export of the package.
 */
export * from './errors/registry.js';
export * from './util/ids.js';
export * from './types.js';
export * from './logger.js';
export * from './auth/auth-failure.js';
export * from './hooks/hook-bus.js';
export * from './util/digest.js';
export * from './auth/extract.js';
export * from './auth/principal.js';
export * from './auth/authenticate.js';
export * from './auth/store-resolver.js';
export * from './cache/session-cache.js';
export * from './permissions/permissions.js';
export * from './http/request-id.js';
export * from './errors/error-boundary.js';
export * from './remote/remote-resolver.js';
export * from './events/event-format.js';
export * from './events/event-keys.js';
export * from './events/event-sender.js';
export * from './events/event-receiver.js';
export * from './http/rate-limit.js';
