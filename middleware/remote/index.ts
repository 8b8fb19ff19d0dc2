/**
 * `mattermost-pat/remote`: a resolver that asks a real Mattermost server (`GET /users/me`) who a
 * token belongs to, for apps without their own token store.
 */
export { remoteResolver, type RemoteResolver, type RemoteResolverOptions } from './remote-resolver.js';
