/**
 * The mock server's data model: one record type per collection, the key of each collection,
 * its secondary indexes, and the interface of the persistent store (`store.ts`) that keeps them.
 * This file is the contract between the storage engine (`mock-server/db/store.ts`) and the
 * domain code (`mock-server/services/*`, `mock-server/routes/*`): routes never touch lowdb.
 *
 * Secrets are never stored: token and session secrets appear only as SHA-256 hex digests,
 * passwords only as slow hashes (scrypt).
 */
import { channelMemberKey, channelNameKey, reactionKey, teamMemberKey } from './keys.js';

export interface UserRecord {
  id: string;
  create_at: number;
  update_at: number;
  /** 0 = active; otherwise deactivation time (ms). */
  delete_at: number;
  username: string;
  email: string;
  email_verified: boolean;
  nickname: string;
  first_name: string;
  last_name: string;
  position: string;
  /** Mattermost's space-separated roles string. */
  roles: string;
  locale: string;
  /** `scrypt$<salt b64>$<hash b64>`; '' for bots (they cannot log in). */
  password_hash: string;
  auth_service: string;
  is_bot: boolean;
  bot_description?: string;
  failed_attempts: number;
  last_password_update: number;
  last_picture_update: number;
  last_activity_at: number;
  mfa_active: boolean;
  props: Record<string, string>;
  notify_props: Record<string, string>;
  timezone: Record<string, string>;
}

export interface BotRecord {
  /** Same as the bot's user id. */
  user_id: string;
  username: string;
  display_name: string;
  description: string;
  owner_id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
}

export interface TokenRecord {
  id: string;
  /** Lowercase hex SHA-256 of the secret. The secret itself is never stored. */
  digest: string;
  user_id: string;
  description: string;
  is_active: boolean;
  /** ms since epoch; 0 = never expires. */
  expires_at: number;
  create_at: number;
}

export interface SessionRecord {
  id: string;
  /** SHA-256 hex of the session's bearer secret (login token, or the PAT secret for PAT sessions). */
  token_digest: string;
  user_id: string;
  create_at: number;
  expires_at: number;
  last_activity_at: number;
  device_id: string;
  /** Roles at mint time, rewritten on `PUT /users/{id}/roles`. */
  roles: string;
  is_oauth: boolean;
  /**
   * PAT sessions: `{type: 'UserAccessToken', user_access_token_id, is_guest: 'false'}` (+ `is_bot: 'true'`).
   * Login sessions: `{platform, os, browser, isMobile, isSaml, isOAuthUser, is_guest, csrf}`.
   */
  props: Record<string, string>;
}

export interface TeamRecord {
  id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  display_name: string;
  name: string;
  description: string;
  email: string;
  /** 'O' open, 'I' invite only. */
  type: 'O' | 'I';
  allow_open_invite: boolean;
  /** Invite id (set at creation by `POST /teams`; absent on seeded teams). */
  invite_id?: string;
  company_name?: string;
  allowed_domains?: string;
}

export interface TeamMemberRecord {
  team_id: string;
  user_id: string;
  /** e.g. 'team_user' or 'team_user team_admin'. */
  roles: string;
  delete_at: number;
}

export type ChannelType = 'O' | 'P' | 'D' | 'G';

export interface ChannelRecord {
  id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  /** '' for direct and group channels. */
  team_id: string;
  type: ChannelType;
  display_name: string;
  /** For DMs: `<userIdA>__<userIdB>` with the ids sorted. */
  name: string;
  header: string;
  purpose: string;
  last_post_at: number;
  total_msg_count: number;
  creator_id: string;
  /** Time of the last root (non-reply) post; absent = same as `last_post_at`. */
  last_root_post_at?: number;
  /** Root (non-reply) posts; absent = same as `total_msg_count`. */
  total_msg_count_root?: number;
}

export interface ChannelMemberRecord {
  channel_id: string;
  user_id: string;
  /** e.g. 'channel_user' or 'channel_user channel_admin'. */
  roles: string;
  last_viewed_at: number;
  msg_count: number;
  mention_count: number;
  notify_props: Record<string, string>;
  last_update_at: number;
}

export interface PostRecord {
  id: string;
  create_at: number;
  update_at: number;
  edit_at: number;
  delete_at: number;
  is_pinned: boolean;
  user_id: string;
  channel_id: string;
  root_id: string;
  original_id: string;
  message: string;
  type: string;
  props: Record<string, unknown>;
  hashtags: string;
  file_ids: string[];
  pending_post_id: string;
  /** Mattermost's `Post.HasReactions` (absent = false). */
  has_reactions?: boolean;
}

export interface ReactionRecord {
  user_id: string;
  post_id: string;
  emoji_name: string;
  /** The post's channel (Mattermost stores it on the reaction since 9.x). */
  channel_id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
}

/** `model.FileInfo` without its bytes (those live beside the database or in memory, see `services/file-blobs.ts`). */
export interface FileInfoRecord {
  id: string;
  /** The uploader. */
  creator_id: string;
  /** '' until a post attaches it. */
  post_id: string;
  channel_id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  name: string;
  extension: string;
  size: number;
  mime_type: string;
}

export interface PreferenceRecord {
  user_id: string;
  category: string;
  name: string;
  value: string;
}

/** `model.Status`. */
export interface StatusRecord {
  user_id: string;
  status: 'online' | 'away' | 'dnd' | 'offline';
  manual: boolean;
  last_activity_at: number;
  dnd_end_time: number;
}

/**
 * One signed event still owed to a webhook (the event sender's durable outbox, see
 * `middleware/event-outbox.ts`). Deleted once every webhook acknowledged it.
 */
export interface OutboxRecord {
  /** Per-source sequence number (the primary key, as a decimal string). */
  seq: number;
  event: string;
  payload: Record<string, unknown>;
  event_id: string;
  emitted_at: number;
  /** Events of the same kind and user this one stands for. */
  coalesced: number;
}

/** A webhook's position in the outbox. */
export interface OutboxCursorRecord {
  /** Hex SHA-256 of `target` (a URL may hold characters a key cannot). */
  id: string;
  target: string;
  /** Last seq the webhook acknowledged. */
  acked: number;
  /** Highest seq dropped by a bound before the webhook acknowledged it (0 = none). */
  lost_through: number;
}

/** The outbox's own counters: one record, id `'source'`. */
export interface OutboxMetaRecord {
  id: string;
  /** Stable id of this server as an event source (the `src` claim). */
  source_id: string;
  /** The seq the next event gets: never reused, even after every entry was delivered. */
  next_seq: number;
}

/** A custom slash command (`model.Command`). */
export interface CommandRecord {
  id: string;
  /**
   * The command's token. Unlike personal access tokens it is kept as given: Mattermost sends it
   * to the command's URL on every call (`Authorization: Token …`), so a digest would not do.
   */
  token: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  creator_id: string;
  team_id: string;
  /** Lowercase, without the leading slash. */
  trigger: string;
  /** 'P' (form POST) or 'G' (GET with a query). */
  method: string;
  username: string;
  icon_url: string;
  auto_complete: boolean;
  auto_complete_desc: string;
  auto_complete_hint: string;
  display_name: string;
  description: string;
  url: string;
  plugin_id: string;
}

/** An incoming webhook (`model.IncomingWebhook`). Its id is the secret part of its URL. */
export interface IncomingWebhookRecord {
  id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  user_id: string;
  channel_id: string;
  team_id: string;
  display_name: string;
  description: string;
  username: string;
  icon_url: string;
  channel_locked: boolean;
}

/** An outgoing webhook (`model.OutgoingWebhook`). The token is sent in every payload, so it is kept as given. */
export interface OutgoingWebhookRecord {
  id: string;
  token: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  creator_id: string;
  /** '' = every public channel of the team. */
  channel_id: string;
  team_id: string;
  trigger_words: string[];
  /** 0 = the first word equals a trigger word, 1 = it starts with one. */
  trigger_when: number;
  callback_urls: string[];
  display_name: string;
  description: string;
  /** 'application/json', or anything else for a form. */
  content_type: string;
  username: string;
  icon_url: string;
}

/** The Mattermost config subset the mock understands (declared in schemas/config.ts). */
export type { MockConfig } from '../schemas/config.js';
import type { MockConfig } from '../schemas/config.js';

/** Record type of each collection. */
export interface Collections {
  users: UserRecord;
  bots: BotRecord;
  tokens: TokenRecord;
  sessions: SessionRecord;
  teams: TeamRecord;
  teamMembers: TeamMemberRecord;
  channels: ChannelRecord;
  channelMembers: ChannelMemberRecord;
  posts: PostRecord;
  outbox: OutboxRecord;
  outboxCursors: OutboxCursorRecord;
  outboxMeta: OutboxMetaRecord;
  commands: CommandRecord;
  incomingWebhooks: IncomingWebhookRecord;
  outgoingWebhooks: OutgoingWebhookRecord;
  reactions: ReactionRecord;
  fileInfos: FileInfoRecord;
  preferences: PreferenceRecord;
  statuses: StatusRecord;
}

export type CollectionName = keyof Collections;

/** Everything the database holds: the shape of the lowdb snapshot (plus `version`). */
export interface MockData {
  version: 1;
  config: MockConfig;
  users: UserRecord[];
  bots: BotRecord[];
  tokens: TokenRecord[];
  sessions: SessionRecord[];
  teams: TeamRecord[];
  teamMembers: TeamMemberRecord[];
  channels: ChannelRecord[];
  channelMembers: ChannelMemberRecord[];
  posts: PostRecord[];
  /** Absent in databases written before the outbox (read as empty). */
  outbox?: OutboxRecord[];
  outboxCursors?: OutboxCursorRecord[];
  outboxMeta?: OutboxMetaRecord[];
  /** Integrations; optional: databases written before they existed lack them (they load as empty). */
  commands?: CommandRecord[];
  incomingWebhooks?: IncomingWebhookRecord[];
  outgoingWebhooks?: OutgoingWebhookRecord[];
  /** Absent in databases written before reactions existed (loaded as []). */
  reactions?: ReactionRecord[];
  fileInfos?: FileInfoRecord[];
  preferences?: PreferenceRecord[];
  statuses?: StatusRecord[];
}

/** Primary key of each collection. */
export const PRIMARY_KEY: { [C in CollectionName]: (record: Collections[C]) => string } = {
  users: (r) => r.id,
  bots: (r) => r.user_id,
  tokens: (r) => r.id,
  sessions: (r) => r.id,
  teams: (r) => r.id,
  teamMembers: (r) => teamMemberKey(r.team_id, r.user_id),
  channels: (r) => r.id,
  channelMembers: (r) => channelMemberKey(r.channel_id, r.user_id),
  posts: (r) => r.id,
  outbox: (r) => String(r.seq),
  outboxCursors: (r) => r.id,
  outboxMeta: (r) => r.id,
  commands: (r) => r.id,
  incomingWebhooks: (r) => r.id,
  outgoingWebhooks: (r) => r.id,
  reactions: (r) => reactionKey(r.post_id, r.user_id, r.emoji_name),
  fileInfos: (r) => r.id,
  /** Category and name may hold ':' (URI-encoded so two rows never share a key). */
  preferences: (r) => `${r.user_id}:${encodeURIComponent(r.category)}:${encodeURIComponent(r.name)}`,
  statuses: (r) => r.user_id,
};

/**
 * Secondary indexes, maintained by the store on every mutation (never a scan on the request
 * path). `unique` indexes map a key to one record; the others to the records in insertion order.
 * A key function returning undefined leaves the record out of that index.
 */
export const INDEXES = {
  users: {
    username: { unique: true, key: (r: UserRecord) => r.username.toLowerCase() },
    email: { unique: true, key: (r: UserRecord) => r.email.toLowerCase() },
    /** 'true' for users whose roles include system_admin (the last-admin check counts them). */
    system_admin: { unique: false, key: (r: UserRecord) => (/(^|\s)system_admin(\s|$)/.test(r.roles) ? 'true' : undefined) },
  },
  bots: {
    owner_id: { unique: false, key: (r: BotRecord) => r.owner_id },
  },
  tokens: {
    digest: { unique: true, key: (r: TokenRecord) => r.digest },
    user_id: { unique: false, key: (r: TokenRecord) => r.user_id },
  },
  sessions: {
    token_digest: { unique: true, key: (r: SessionRecord) => r.token_digest },
    user_id: { unique: false, key: (r: SessionRecord) => r.user_id },
    token_id: { unique: false, key: (r: SessionRecord) => r.props.user_access_token_id },
  },
  teams: {
    name: { unique: true, key: (r: TeamRecord) => r.name },
  },
  teamMembers: {
    team_id: { unique: false, key: (r: TeamMemberRecord) => r.team_id },
    user_id: { unique: false, key: (r: TeamMemberRecord) => r.user_id },
  },
  channels: {
    team_name: { unique: true, key: (r: ChannelRecord) => channelNameKey(r.team_id, r.name) },
    team_id: { unique: false, key: (r: ChannelRecord) => r.team_id },
  },
  channelMembers: {
    channel_id: { unique: false, key: (r: ChannelMemberRecord) => r.channel_id },
    user_id: { unique: false, key: (r: ChannelMemberRecord) => r.user_id },
  },
  posts: {
    channel_id: { unique: false, key: (r: PostRecord) => r.channel_id },
    /** Replies by thread root (roots are left out). */
    root_id: { unique: false, key: (r: PostRecord) => (r.root_id === '' ? undefined : r.root_id) },
  },
  outbox: {},
  outboxCursors: {},
  outboxMeta: {},
  commands: {
    team_id: { unique: false, key: (r: CommandRecord) => r.team_id },
  },
  incomingWebhooks: {
    team_id: { unique: false, key: (r: IncomingWebhookRecord) => r.team_id },
    user_id: { unique: false, key: (r: IncomingWebhookRecord) => r.user_id },
  },
  outgoingWebhooks: {
    team_id: { unique: false, key: (r: OutgoingWebhookRecord) => r.team_id },
    creator_id: { unique: false, key: (r: OutgoingWebhookRecord) => r.creator_id },
    channel_id: { unique: false, key: (r: OutgoingWebhookRecord) => r.channel_id },
  },
  reactions: {
    post_id: { unique: false, key: (r: ReactionRecord) => r.post_id },
    user_id: { unique: false, key: (r: ReactionRecord) => r.user_id },
  },
  fileInfos: {
    post_id: { unique: false, key: (r: FileInfoRecord) => (r.post_id === '' ? undefined : r.post_id) },
    channel_id: { unique: false, key: (r: FileInfoRecord) => r.channel_id },
  },
  preferences: {
    user_id: { unique: false, key: (r: PreferenceRecord) => r.user_id },
  },
  statuses: {},
} as const;

export type IndexName<C extends CollectionName> = C extends keyof typeof INDEXES ? keyof (typeof INDEXES)[C] & string : never;

/** One change. A batch of mutations passed to `commit()` is applied and persisted atomically. */
export type Mutation =
  | { [C in CollectionName]: { op: 'put'; collection: C; record: Collections[C] } }[CollectionName]
  | { op: 'delete'; collection: CollectionName; key: string }
  | { op: 'config'; config: MockConfig };

export interface StoreStats {
  /** Records per collection. */
  counts: Record<CollectionName, number>;
  /** Snapshot serializations since open (each one is a whole-file write). */
  snapshots: number;
  /** Journal appends since open (each one may carry a batch of commits). */
  journalWrites: number;
  /** Pending journal entries not yet folded into the snapshot. */
  journalEntries: number;
  /** Set once a write failed (disk full, I/O error): why the store accepts no more commits. Reads go on. */
  writeError?: string;
}

/**
 * The persistent store. Reads are synchronous against in-memory maps and indexes. `commit()`
 * applies a batch to memory and indexes synchronously (so the next read sees it) and resolves
 * once the batch is on disk; concurrent commits are grouped into one write. In-memory stores
 * resolve at once and write nothing.
 */
export interface Store {
  get<C extends CollectionName>(collection: C, key: string): Collections[C] | undefined;
  /** One record by a unique index. */
  findOne<C extends CollectionName>(collection: C, index: IndexName<C>, key: string): Collections[C] | undefined;
  /** Records by a non-unique index, in insertion order (a fresh array). */
  findMany<C extends CollectionName>(collection: C, index: IndexName<C>, key: string): Collections[C][];
  /** Every record of a collection, in insertion order. */
  all<C extends CollectionName>(collection: C): IterableIterator<Collections[C]>;
  count(collection: CollectionName): number;
  /** Current config (treat as read-only; change it with a `config` mutation). */
  readonly config: MockConfig;
  /** Apply a batch atomically; resolves when it is durable. Rejects (and applies nothing) if a unique index would be violated. */
  commit(mutations: readonly Mutation[]): Promise<void>;
  /** Wait until every acknowledged commit is on disk and no write is in flight. */
  flush(): Promise<void>;
  /** Replace everything with `data` (test resets); durable when resolved. */
  replaceAll(data: MockData): Promise<void>;
  /** Flush and release files. */
  close(): Promise<void>;
  stats(): StoreStats;
  /** The snapshot file path, or undefined in memory. */
  readonly file: string | undefined;
}

export interface OpenStoreOptions {
  /** Snapshot file (lowdb JSON). Ignored with `inMemory`. */
  file?: string;
  inMemory?: boolean;
  /** Data for a store that has no file yet (or with `reset`). */
  initialData: () => MockData;
  /** Discard existing files and start from `initialData()`. */
  reset?: boolean;
}
