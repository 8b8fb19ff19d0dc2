/**
 * mattermost-pat: Koa middleware that authenticates requests by Mattermost personal access token.
 * Main export of the package.
 */
export * from './errors.js';
export * from './ids.js';
export * from './types.js';
export * from './hooks.js';
export * from './digest.js';
export * from './extract.js';
export * from './principal.js';
export * from './authenticate.js';
export * from './store-resolver.js';
export * from './session-cache.js';
export * from './permissions.js';
export * from './request-id.js';
export * from './error-boundary.js';
export * from './remote-resolver.js';
export * from './event-format.js';
export * from './event-keys.js';
export * from './event-sender.js';
export * from './event-receiver.js';
export * from './rate-limit.js';
