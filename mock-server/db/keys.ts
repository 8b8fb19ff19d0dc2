/**
 * Typed builders of the store's composite keys: the primary keys of the membership collections and
 * the `team_name` index of channels. The schema (PRIMARY_KEY, INDEXES) and the services build keys
 * only through these, so a lookup can never drift from how the store keyed the record.
 *
 * @example
 * ```ts
 * store.get('teamMembers', teamMemberKey(teamId, userId));
 * store.findOne('channels', 'team_name', channelNameKey(teamId, 'town-square'));
 * ```
 */

/** Primary key of a `teamMembers` record. */
export const teamMemberKey = (teamId: string, userId: string): string => `${teamId}:${userId}`;

/** Primary key of a `channelMembers` record. */
export const channelMemberKey = (channelId: string, userId: string): string => `${channelId}:${userId}`;

/** Key of the unique `channels.team_name` index (a channel name is unique within its team). */
export const channelNameKey = (teamId: string, name: string): string => `${teamId}:${name}`;

/** Primary key of a `reactions` record (one reaction per post, user and emoji). */
export const reactionKey = (postId: string, userId: string, emojiName: string): string => `${postId}:${userId}:${emojiName}`;
