/**
 * Seeds: what a fresh mock database holds. The default seed is a `sysadmin` and a `user-1`, one
 * team with Town Square, Off-Topic and a private channel, and personal access tokens enabled. A
 * seed file (JSON, {@link SeedInput}) can describe other users (with passwords and roles), bots
 * (with an owner), teams, channels, memberships and config. Passwords are hashed with scrypt here;
 * the database never holds them in clear.
 *
 * @example
 * ```ts
 * const input = await loadSeedFile('./seed.json');     // throws SeedError with a clear message
 * const { data, logins } = await buildSeed(input);     // MockData for openStore({ initialData })
 * ```
 */
import { readFile } from 'node:fs/promises';
import { newId } from '../middleware/util/ids.js';
import type {
  BotRecord, ChannelMemberRecord, ChannelRecord, MockData, TeamMemberRecord, TeamRecord, UserRecord,
} from './db/schema.js';
import { hashPassword } from './passwords.js';
import { configFrom } from './services/config.js';
import { newUserRecord } from './services/user-record.js';

export interface SeedUser {
  username: string;
  password: string;
  email?: string;
  /** Space-separated roles. Default `system_user`. */
  roles?: string;
  first_name?: string;
  last_name?: string;
  nickname?: string;
  position?: string;
  locale?: string;
  /** Start deactivated. Default false. */
  deactivated?: boolean;
}

export interface SeedBot {
  username: string;
  /** Username of the owning user (must be in `users`). */
  owner: string;
  display_name?: string;
  description?: string;
}

export interface SeedTeam {
  name: string;
  display_name: string;
  type?: 'O' | 'I';
  /** Usernames (role `team_user`) or `{ username, roles }`. */
  members?: Array<string | { username: string; roles?: string }>;
}

export interface SeedChannel {
  /** Team name (must be in `teams`). */
  team: string;
  name: string;
  display_name: string;
  /** 'O' public (default) or 'P' private. */
  type?: 'O' | 'P';
  /** Usernames. Default: every member of the team for public channels, nobody for private ones. */
  members?: string[];
}

/** What a seed file holds. Every list is optional. */
export interface SeedInput {
  users?: SeedUser[];
  bots?: SeedBot[];
  teams?: SeedTeam[];
  channels?: SeedChannel[];
  /** Deep-merged onto Mattermost's defaults (`EnableUserAccessTokens` is false unless set). */
  config?: Record<string, Record<string, unknown>>;
}

/** A seeded login, as printed by the CLI at first start. */
export interface SeededLogin {
  username: string;
  password: string;
  roles: string;
}

/**
 * Thrown for an unreadable or invalid seed.
 *
 * @example
 * ```ts
 * try { await loadSeedFile('seed.json'); } catch (err) { if (err instanceof SeedError) console.error(err.message); }
 * ```
 */
export class SeedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeedError';
  }
}

/**
 * The default seed.
 *
 * @example
 * ```ts
 * const seed = defaultSeed();
 * await startMockServer({ seed: { ...seed, bots: [{ username: 'ci-bot', owner: 'sysadmin' }] } });
 * ```
 */
export function defaultSeed(): SeedInput {
  return {
    users: [
      { username: 'sysadmin', password: 'Sys@dmin-sample1', email: 'sysadmin@sample.mattermost.com', roles: 'system_admin system_user', first_name: 'Kenneth', last_name: 'Moreno' },
      { username: 'user-1', password: 'SampleUs@r-1', email: 'user-1@sample.mattermost.com', roles: 'system_user', first_name: 'Samuel', last_name: 'Tucker' },
    ],
    teams: [{ name: 'ad-1', display_name: 'Sample Team', type: 'O', members: [{ username: 'sysadmin', roles: 'team_user team_admin' }, 'user-1'] }],
    channels: [
      { team: 'ad-1', name: 'town-square', display_name: 'Town Square', type: 'O' },
      { team: 'ad-1', name: 'off-topic', display_name: 'Off-Topic', type: 'O' },
      { team: 'ad-1', name: 'private-1', display_name: 'Private 1', type: 'P', members: ['sysadmin'] },
    ],
    config: { ServiceSettings: { EnableUserAccessTokens: true } },
  };
}

const USERNAME = /^[a-z][a-z0-9.\-_]{2,21}$/;
const NAME = /^[a-z0-9][a-z0-9\-_]{0,63}$/;
const ROLES = /^[a-z0-9_]+( [a-z0-9_]+)*$/;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(where: string, what: string): never {
  throw new SeedError(`invalid seed: ${where}: ${what}`);
}

function optString(obj: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') fail(`${where}.${key}`, 'must be a string');
  return v;
}

function list(input: Record<string, unknown>, key: string): Record<string, unknown>[] {
  const v = input[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(key, 'must be an array');
  return v.map((item, i) => (isObj(item) ? item : fail(`${key}[${i}]`, 'must be an object')));
}

/**
 * Check an untrusted value (e.g. a parsed seed file) and return it as a {@link SeedInput}.
 *
 * @example
 * ```ts
 * const seed = validateSeed(JSON.parse(text)); // SeedError: invalid seed: users[0].username: …
 * ```
 */
export function validateSeed(input: unknown): SeedInput {
  if (!isObj(input)) fail('root', 'must be a JSON object');
  const usernames = new Set<string>();
  const users = list(input, 'users').map((u, i): SeedUser => {
    const where = `users[${i}]`;
    const username = optString(u, 'username', where);
    if (username === undefined || !USERNAME.test(username)) fail(`${where}.username`, 'must be 3-22 chars: a lowercase letter, then lowercase letters, digits, ".", "-", "_"');
    if (usernames.has(username)) fail(`${where}.username`, `duplicate username ${username}`);
    usernames.add(username);
    const password = optString(u, 'password', where);
    if (password === undefined || password.length < 5 || password.length > 72) fail(`${where}.password`, 'must be a string of 5 to 72 characters');
    const roles = optString(u, 'roles', where);
    if (roles !== undefined && (!ROLES.test(roles) || roles === 'system_admin')) fail(`${where}.roles`, 'must be space-separated role names (e.g. "system_admin system_user")');
    if (u.deactivated !== undefined && typeof u.deactivated !== 'boolean') fail(`${where}.deactivated`, 'must be a boolean');
    for (const key of ['email', 'first_name', 'last_name', 'nickname', 'position', 'locale']) optString(u, key, where);
    return { ...(u as unknown as SeedUser), username, password };
  });
  const bots = list(input, 'bots').map((b, i): SeedBot => {
    const where = `bots[${i}]`;
    const username = optString(b, 'username', where);
    if (username === undefined || !USERNAME.test(username)) fail(`${where}.username`, 'must be a valid username');
    if (usernames.has(username)) fail(`${where}.username`, `duplicate username ${username}`);
    usernames.add(username);
    const owner = optString(b, 'owner', where);
    if (owner === undefined || !users.some((u) => u.username === owner)) fail(`${where}.owner`, 'must be the username of a seeded user');
    optString(b, 'display_name', where);
    optString(b, 'description', where);
    return { ...(b as unknown as SeedBot), username, owner };
  });
  const teamNames = new Set<string>();
  const teams = list(input, 'teams').map((t, i): SeedTeam => {
    const where = `teams[${i}]`;
    const name = optString(t, 'name', where);
    if (name === undefined || !NAME.test(name)) fail(`${where}.name`, 'must be lowercase letters, digits, "-", "_" (1-64 chars)');
    if (teamNames.has(name)) fail(`${where}.name`, `duplicate team ${name}`);
    teamNames.add(name);
    const display = optString(t, 'display_name', where) ?? name;
    if (t.type !== undefined && t.type !== 'O' && t.type !== 'I') fail(`${where}.type`, 'must be "O" or "I"');
    const members = t.members === undefined ? [] : Array.isArray(t.members) ? t.members : fail(`${where}.members`, 'must be an array');
    for (const [j, m] of members.entries()) {
      const username = typeof m === 'string' ? m : isObj(m) ? m.username : undefined;
      if (typeof username !== 'string' || !usernames.has(username)) fail(`${where}.members[${j}]`, 'must name a seeded user or bot');
      if (isObj(m) && m.roles !== undefined && (typeof m.roles !== 'string' || !ROLES.test(m.roles))) fail(`${where}.members[${j}].roles`, 'must be space-separated role names');
    }
    return { name, display_name: display, type: (t.type as 'O' | 'I' | undefined) ?? 'O', members: members as SeedTeam['members'] };
  });
  const channelKeys = new Set<string>();
  const channels = list(input, 'channels').map((c, i): SeedChannel => {
    const where = `channels[${i}]`;
    const team = optString(c, 'team', where);
    if (team === undefined || !teamNames.has(team)) fail(`${where}.team`, 'must name a seeded team');
    const name = optString(c, 'name', where);
    if (name === undefined || !NAME.test(name)) fail(`${where}.name`, 'must be lowercase letters, digits, "-", "_" (1-64 chars)');
    if (channelKeys.has(`${team}:${name}`)) fail(`${where}.name`, `duplicate channel ${name} in team ${team}`);
    channelKeys.add(`${team}:${name}`);
    if (c.type !== undefined && c.type !== 'O' && c.type !== 'P') fail(`${where}.type`, 'must be "O" or "P"');
    const members = c.members === undefined ? undefined : Array.isArray(c.members) ? c.members : fail(`${where}.members`, 'must be an array');
    for (const [j, m] of (members ?? []).entries()) {
      if (typeof m !== 'string' || !usernames.has(m)) fail(`${where}.members[${j}]`, 'must name a seeded user or bot');
    }
    return { team, name, display_name: optString(c, 'display_name', where) ?? name, type: (c.type as 'O' | 'P' | undefined) ?? 'O', members: members as string[] | undefined };
  });
  if (input.config !== undefined) {
    try {
      configFrom(input.config);
    } catch {
      fail('config', 'must be an object of setting sections whose known settings keep their types');
    }
  }
  return { users, bots, teams, channels, config: input.config as SeedInput['config'] };
}

/**
 * Read and validate a seed JSON file.
 *
 * @example
 * ```ts
 * const seed = await loadSeedFile('./seed.json');
 * ```
 */
export async function loadSeedFile(file: string): Promise<SeedInput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new SeedError(`cannot read seed file ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SeedError(`seed file ${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return validateSeed(parsed);
}

/** Hashes of seeded passwords, memoised per process (the default seed is rebuilt by every test server). */
const hashCache = new Map<string, Promise<string>>();

function seedHash(username: string, password: string): Promise<string> {
  const key = `${username}\u0000${password}`;
  let hash = hashCache.get(key);
  if (hash === undefined) {
    hash = hashPassword(password);
    hashCache.set(key, hash);
  }
  return hash;
}

/** Default team-channel member notify props. */
const CHANNEL_NOTIFY = { desktop: 'default', email: 'default', mark_unread: 'all', push: 'default', ignore_channel_mentions: 'default' };

/**
 * Turn a (validated) seed into the database's initial data, hashing passwords.
 *
 * @example
 * ```ts
 * const { data, logins } = await buildSeed(defaultSeed());
 * const store = await openStore({ inMemory: true, initialData: () => data });
 * ```
 */
export async function buildSeed(input: SeedInput, now = Date.now()): Promise<{ data: MockData; logins: SeededLogin[] }> {
  const seed = validateSeed(input);
  const users: UserRecord[] = [];
  const byName = new Map<string, UserRecord>();
  for (const u of seed.users ?? []) {
    const record = newUserRecord({
      username: u.username,
      email: u.email ?? `${u.username}@sample.mattermost.com`,
      roles: u.roles ?? 'system_user',
      first_name: u.first_name ?? '',
      last_name: u.last_name ?? '',
      nickname: u.nickname ?? '',
      position: u.position ?? '',
      locale: u.locale ?? 'en',
      delete_at: u.deactivated ? now : 0,
      password_hash: await seedHash(u.username, u.password),
    }, now);
    users.push(record);
    byName.set(u.username, record);
  }
  const bots: BotRecord[] = [];
  for (const b of seed.bots ?? []) {
    const owner = byName.get(b.owner);
    if (!owner) fail('bots', `unknown owner ${b.owner}`);
    const record = newUserRecord({
      username: b.username,
      email: `${b.username}@localhost`,
      first_name: b.display_name ?? '',
      roles: 'system_user',
      is_bot: true,
      bot_description: b.description ?? '',
      last_password_update: 0,
    }, now);
    users.push(record);
    byName.set(b.username, record);
    bots.push({
      user_id: record.id, username: b.username, display_name: b.display_name ?? '', description: b.description ?? '',
      owner_id: owner.id, create_at: now, update_at: now, delete_at: 0,
    });
  }
  const teams: TeamRecord[] = [];
  const teamMembers: TeamMemberRecord[] = [];
  const teamByName = new Map<string, TeamRecord>();
  for (const t of seed.teams ?? []) {
    const record: TeamRecord = {
      id: newId(), create_at: now, update_at: now, delete_at: 0, display_name: t.display_name, name: t.name,
      description: '', email: '', type: t.type ?? 'O', allow_open_invite: (t.type ?? 'O') === 'O',
    };
    teams.push(record);
    teamByName.set(t.name, record);
    for (const m of t.members ?? []) {
      const username = typeof m === 'string' ? m : m.username;
      const roles = typeof m === 'string' ? 'team_user' : m.roles ?? 'team_user';
      const user = byName.get(username);
      if (user) teamMembers.push({ team_id: record.id, user_id: user.id, roles, delete_at: 0 });
    }
  }
  const channels: ChannelRecord[] = [];
  const channelMembers: ChannelMemberRecord[] = [];
  for (const c of seed.channels ?? []) {
    const team = teamByName.get(c.team);
    if (!team) fail('channels', `unknown team ${c.team}`);
    const memberIds = c.members !== undefined
      ? c.members.map((name) => byName.get(name)?.id).filter((id): id is string => id !== undefined)
      : c.type === 'P' ? [] : teamMembers.filter((m) => m.team_id === team.id).map((m) => m.user_id);
    const record: ChannelRecord = {
      id: newId(), create_at: now, update_at: now, delete_at: 0, team_id: team.id, type: c.type ?? 'O',
      display_name: c.display_name, name: c.name, header: '', purpose: '', last_post_at: 0, total_msg_count: 0,
      creator_id: memberIds[0] ?? '',
    };
    channels.push(record);
    for (const userId of memberIds) {
      channelMembers.push({
        channel_id: record.id, user_id: userId, roles: userId === record.creator_id && c.type === 'P' ? 'channel_user channel_admin' : 'channel_user',
        last_viewed_at: 0, msg_count: 0, mention_count: 0, notify_props: { ...CHANNEL_NOTIFY }, last_update_at: now,
      });
    }
  }
  const data: MockData = {
    version: 1,
    config: configFrom(seed.config),
    users, bots, tokens: [], sessions: [], teams, teamMembers, channels, channelMembers, posts: [],
    commands: [], incomingWebhooks: [], outgoingWebhooks: [],
  };
  const logins = (seed.users ?? []).map((u) => ({ username: u.username, password: u.password, roles: u.roles ?? 'system_user' }));
  return { data, logins };
}
