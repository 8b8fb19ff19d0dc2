/**
 * mattermost-pat: Koa middleware that authenticates requests by Mattermost personal access token.
 * Main export of the package.
 */
export * from './errors.js';
export * from './ids.js';
export * from './types.js';
export * from './hooks.js';
