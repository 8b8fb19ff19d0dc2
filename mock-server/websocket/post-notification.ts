/**
 * The `posted` event (`App.SendNotifications`, `app/notification.go`): to every connection of
 * every member of the post's channel, with
 *
 * - `post`: the post JSON as a string;
 * - `channel_type`, `channel_name`, `channel_display_name` (`PostNotification.GetChannelName`:
 *   `@sender` for a DM, the members' usernames for a group, the display name otherwise);
 * - `sender_name` (`GetSenderName` with `ShowUsername`: `@username`), `team_id` (`''` for DMs/GMs),
 *   `set_online`;
 * - `mentions`: a JSON-string array of the mentioned members' ids (`getExplicitMentions`), present
 *   only when someone is mentioned; `otherFile: "true"` when the post has files.
 *
 * @example
 * ```ts
 * server.publish(postedEvent(store, channel, post, JSON.stringify(postJson(store, post))));
 * ```
 */
import type { ChannelRecord, PostRecord, Store } from '../db/schema.js';
import type { WebSocketEvent } from '../services/context.js';

/** `@here`, `@channel`, `@all`: every member (but the sender) is mentioned. */
const CHANNEL_WIDE = new Set(['here', 'channel', 'all']);
/** Mattermost's possible-mention pattern (`@` + username characters). */
const POSSIBLE_MENTION = /@([a-z0-9.\-_]+)/gi;

/**
 * `getExplicitMentions` (simplified): ids of channel members named `@username` in the message
 * (trailing `.`, `-`, `_` tried off one by one, as Mattermost does), every member for
 * `@here` / `@channel` / `@all`, and the other member of a DM. The sender is never mentioned;
 * users who are not members are not either. In order of first mention.
 */
export function explicitMentions(store: Store, channel: ChannelRecord, post: Pick<PostRecord, 'user_id' | 'message'>): string[] {
  // Not a DM and no '@' in the message (most posts): nobody is mentioned, no set to build.
  if (channel.type !== 'D' && !post.message.includes('@')) return [];
  const mentioned = new Set<string>();
  if (channel.type === 'D') {
    for (const member of store.findMany('channelMembers', 'channel_id', channel.id)) {
      if (member.user_id !== post.user_id) mentioned.add(member.user_id);
    }
  }
  // A mention starts with '@': most messages have none.
  for (const match of post.message.includes('@') ? post.message.matchAll(POSSIBLE_MENTION) : []) {
    let name = match[1].toLowerCase();
    while (name !== '') {
      if (CHANNEL_WIDE.has(name)) {
        for (const member of store.findMany('channelMembers', 'channel_id', channel.id)) mentioned.add(member.user_id);
        break;
      }
      const user = store.findOne('users', 'username', name);
      if (user !== undefined) {
        if (store.get('channelMembers', `${channel.id}:${user.id}`) !== undefined) mentioned.add(user.id);
        break;
      }
      if (!/[.\-_]$/.test(name)) break;
      name = name.slice(0, -1);
    }
  }
  mentioned.delete(post.user_id);
  return [...mentioned];
}

/** `PostNotification.GetChannelName(ShowUsername, '')`. */
function notificationChannelName(store: Store, channel: ChannelRecord, senderName: string): string {
  if (channel.type === 'D') return senderName;
  if (channel.type === 'G') {
    const names = store.findMany('channelMembers', 'channel_id', channel.id)
      .map((m) => store.get('users', m.user_id)?.username)
      .filter((n): n is string => n !== undefined)
      .sort();
    return names.map((n) => `@${n}`).join(', ');
  }
  return channel.display_name;
}

/**
 * The `posted` event of a stored post. `postJsonString` is the post as the REST API returns it.
 *
 * @example
 * ```ts
 * const event = postedEvent(store, channel, post, JSON.stringify(postJson(store, post)));
 * event.data.mentions; // '["<user id>"]' when someone was @mentioned
 * ```
 */
export function postedEvent(store: Store, channel: ChannelRecord, post: PostRecord, postJsonString: string, setOnline = true): WebSocketEvent {
  const sender = store.get('users', post.user_id);
  const senderName = sender === undefined ? '@' : `@${sender.username}`;
  const data: Record<string, unknown> = {
    post: postJsonString,
    channel_type: channel.type,
    channel_name: channel.name,
    channel_display_name: notificationChannelName(store, channel, senderName),
    sender_name: senderName,
    team_id: channel.team_id,
    set_online: setOnline,
  };
  if (post.file_ids.length > 0) data.otherFile = 'true';
  const mentions = explicitMentions(store, channel, post);
  if (mentions.length > 0) data.mentions = JSON.stringify(mentions);
  return { event: 'posted', data, broadcast: { channel_id: channel.id } };
}
