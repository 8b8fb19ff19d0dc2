/**
 * `mattermost-pat/watch`: a watcher of a Mattermost server's websocket that turns deactivations,
 * role and config changes into hook-bus events and degrades a cache while it may miss some.
 */
export { mattermostWatcher, type Degradable, type MattermostWatcher, type MattermostWatcherOptions, type WatcherState } from './mattermost-watcher.js';
export { createEventTranslator, type EventTranslator, type EventTranslatorOptions, type WebSocketEventFrame } from './event-translator.js';
