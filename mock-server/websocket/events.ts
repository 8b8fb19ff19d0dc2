/**
 * Builders of the WebSocket events the mock publishes, one per Mattermost call site, so a service
 * (or the other engineers' services) only says *what* happened and the payload and the receivers
 * are written once. Every builder returns a {@link WebSocketEvent}; `publish()` hands it to the
 * hub, which decides per connection (`ShouldSendEvent`) who receives it.
 *
 * | builder | Mattermost | receivers |
 * | --- | --- | --- |
 * | {@link helloEvent} | `createHelloMessage` | that connection |
 * | {@link typingEvent} | `wsapi.userTyping` | channel members but the typist |
 * | {@link postEditedEvent}, {@link postDeletedEvent} | `App.UpdatePost`, `App.DeletePost` | channel members |
 * | {@link reactionEvent} | `App.sendReactionEvent` | channel members |
 * | {@link ephemeralMessageEvent} | `App.SendEphemeralPost` | that user's connections |
 * | {@link userAddedEvent}, {@link userRemovedEvents} | `App.addUserToChannel`, `App.removeUserFromChannel` | channel members (+ the removed user) |
 * | {@link directAddedEvent} | `App.handleCreationEvent` | the DM's members |
 * | {@link addedToTeamEvent}, {@link newUserEvent} | `App.JoinUserToTeam`, `App.CreateUser` | that user / everyone |
 * | {@link userUpdatedEvents} | `App.sendUpdatedUserEvent` | admins (full), others (sanitized), the user (own copy) |
 * | {@link userActivationStatusChangeEvent} | `api4.updateUserActive` | everyone |
 * | {@link userRoleUpdatedEvent} | `App.UpdateUserRolesWithUser` | that user only |
 * | {@link configChangedEvent} | config listener (`ClientConfigWithComputed`) | everyone |
 *
 * `posted` needs the store (channel, sender, mentions): see `post-notification.ts`.
 *
 * @example
 * ```ts
 * server.publish(userRoleUpdatedEvent(userId, 'system_user system_user_access_token'));
 * for (const event of userUpdatedEvents(user.id, userCopies(store.config, user))) server.publish(event);
 * ```
 */
import type { WebSocketEvent } from '../services/context.js';

/** `hello`: the first event of an authenticated connection. */
export function helloEvent(userId: string, connectionId: string, serverVersion: string, serverHostname: string): WebSocketEvent {
  return { event: 'hello', data: { server_version: serverVersion, connection_id: connectionId, server_hostname: serverHostname }, broadcast: { user_id: userId } };
}

/** `typing` (the `user_typing` action): to the channel's members, the typist left out. */
export function typingEvent(channelId: string, userId: string, parentId: string): WebSocketEvent {
  return { event: 'typing', data: { parent_id: parentId, user_id: userId }, broadcast: { channel_id: channelId, omit_users: { [userId]: true } } };
}

/** `post_edited`: `data.post` is the post JSON as a string. */
export function postEditedEvent(channelId: string, postJsonString: string): WebSocketEvent {
  return { event: 'post_edited', data: { post: postJsonString }, broadcast: { channel_id: channelId } };
}

/** `post_deleted`: `data.post` is the post JSON as a string; `delete_by` the user who deleted it. */
export function postDeletedEvent(channelId: string, postJsonString: string, deleteBy: string): WebSocketEvent {
  return { event: 'post_deleted', data: { post: postJsonString, delete_by: deleteBy }, broadcast: { channel_id: channelId } };
}

/** `reaction_added` / `reaction_removed`: `data.reaction` is the reaction JSON as a string. */
export function reactionEvent(kind: 'reaction_added' | 'reaction_removed', channelId: string, reactionJsonString: string): WebSocketEvent {
  return { event: kind, data: { reaction: reactionJsonString }, broadcast: { channel_id: channelId } };
}

/**
 * `ephemeral_message` (`SendEphemeralPost`): only `userId`'s connections (the broadcast also names
 * the channel, but `user_id` decides first, as in `ShouldSendEvent`).
 */
export function ephemeralMessageEvent(userId: string, channelId: string, postJsonString: string): WebSocketEvent {
  return { event: 'ephemeral_message', data: { post: postJsonString }, broadcast: { channel_id: channelId, user_id: userId } };
}

/** `user_added`: a user joined a channel (its members, the new one included, receive it). */
export function userAddedEvent(channelId: string, teamId: string, userId: string): WebSocketEvent {
  return { event: 'user_added', data: { user_id: userId, team_id: teamId }, broadcast: { channel_id: channelId } };
}

/**
 * `user_removed` twice, as `removeUserFromChannel` sends it: once to the channel's remaining
 * members (`data.user_id`), once to the removed user, who is no longer a member (`data.channel_id`).
 */
export function userRemovedEvents(channelId: string, userId: string, removerId: string): [WebSocketEvent, WebSocketEvent] {
  return [
    { event: 'user_removed', data: { user_id: userId, remover_id: removerId }, broadcast: { channel_id: channelId } },
    { event: 'user_removed', data: { channel_id: channelId, remover_id: removerId }, broadcast: { user_id: userId } },
  ];
}

/** `direct_added`: a new DM channel, to its members. */
export function directAddedEvent(channelId: string, creatorId: string, teammateId: string): WebSocketEvent {
  return { event: 'direct_added', data: { creator_id: creatorId, teammate_id: teammateId }, broadcast: { channel_id: channelId } };
}

/** `added_to_team`: to the user who joined. */
export function addedToTeamEvent(teamId: string, userId: string): WebSocketEvent {
  return { event: 'added_to_team', data: { team_id: teamId, user_id: userId }, broadcast: { user_id: userId } };
}

/** `new_user`: a user was created (everyone). */
export function newUserEvent(userId: string): WebSocketEvent {
  return { event: 'new_user', data: { user_id: userId }, broadcast: {} };
}

/** `user_activation_status_change`: someone was deactivated or reactivated (everyone, empty data). */
export function userActivationStatusChangeEvent(): WebSocketEvent {
  return { event: 'user_activation_status_change', data: {}, broadcast: {} };
}

/** `user_role_updated`: only to that user's connections. */
export function userRoleUpdatedEvent(userId: string, roles: string): WebSocketEvent {
  return { event: 'user_role_updated', data: { user_id: userId, roles }, broadcast: { user_id: userId } };
}

/** `config_changed`: `data.config` is the client config (every value a string). */
export function configChangedEvent(clientConfig: Readonly<Record<string, string>>): WebSocketEvent {
  return { event: 'config_changed', data: { config: clientConfig }, broadcast: {} };
}

/** The three copies of a user `sendUpdatedUserEvent` publishes (see `sanitizeProfile` in `services/users.ts`). */
export interface UserCopies {
  /** Admin-sanitized profile (email, full name and auth service kept). */
  readonly admin: Readonly<Record<string, unknown>>;
  /** Privacy-sanitized profile for everyone else. */
  readonly sanitized: Readonly<Record<string, unknown>>;
  /** The user's own, unsanitized copy. */
  readonly self: Readonly<Record<string, unknown>>;
}

/**
 * `App.sendUpdatedUserEvent`: three `user_updated` events. Admins (`contains_sensitive_data`) get
 * the admin copy, everyone else (`contains_sanitized_data`) the sanitized one, both leaving the
 * user out; the user's own connections get their own copy.
 */
export function userUpdatedEvents(userId: string, copies: UserCopies): [WebSocketEvent, WebSocketEvent, WebSocketEvent] {
  const omit = { [userId]: true } as const;
  return [
    { event: 'user_updated', data: { user: copies.admin }, broadcast: { omit_users: omit, contains_sensitive_data: true } },
    { event: 'user_updated', data: { user: copies.sanitized }, broadcast: { omit_users: omit, contains_sanitized_data: true } },
    { event: 'user_updated', data: { user: copies.self }, broadcast: { user_id: userId } },
  ];
}
