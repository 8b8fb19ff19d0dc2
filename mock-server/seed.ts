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
import * as v from 'valibot';
import { newId } from '../middleware/util/ids.js';
import type {
  BotRecord, ChannelMemberRecord, ChannelRecord, MockData, TeamMemberRecord, TeamRecord, UserRecord,
} from './db/schema.js';
import { hashPassword, SCRYPT_N } from './passwords.js';
import { configFrom } from './services/config.js';
import { newUserRecord } from './services/user-record.js';
import { SeedSchema, type SeedChannel, type SeedInput, type SeedTeam } from './schemas/seed.js';
import { deepestIssue, issueMessage, issuePath } from './schemas/json.js';
import { buildSeedTokens, checkSeedTokens } from './seed-tokens.js';

export type { SeedBot, SeedChannel, SeedInput, SeedTeam, SeedToken, SeedUser } from './schemas/seed.js';

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

function fail(where: string, what: string): never {
  throw new SeedError(`invalid seed: ${where}: ${what}`);
}

/**
 * Check an untrusted value (e.g. a parsed seed file) and return it as a {@link SeedInput}: the
 * shape by {@link SeedSchema} (an unknown key fails at its path), then the references between
 * lists (unique names, owners and members that name a seeded user or team).
 *
 * @example
 * ```ts
 * const seed = validateSeed(JSON.parse(text)); // SeedError: invalid seed: users[0].role: unknown key
 * ```
 */
export function validateSeed(input: unknown): SeedInput {
  const result = v.safeParse(SeedSchema, input);
  if (!result.success) {
    const issue = deepestIssue(result.issues[0]);
    fail(issuePath(issue), issueMessage(issue));
  }
  const seed = result.output;
  const usernames = new Set<string>();
  const unique = (where: string, username: string) => {
    if (usernames.has(username)) fail(where, `duplicate username ${username}`);
    usernames.add(username);
  };
  const users = seed.users ?? [];
  users.forEach((u, i) => unique(`users[${i}].username`, u.username));
  const bots = seed.bots ?? [];
  bots.forEach((b, i) => {
    unique(`bots[${i}].username`, b.username);
    if (!users.some((u) => u.username === b.owner)) fail(`bots[${i}].owner`, 'must be the username of a seeded user');
  });
  const teamNames = new Set<string>();
  const teams = (seed.teams ?? []).map((t, i): SeedTeam => {
    if (teamNames.has(t.name)) fail(`teams[${i}].name`, `duplicate team ${t.name}`);
    teamNames.add(t.name);
    (t.members ?? []).forEach((m, j) => {
      if (!usernames.has(typeof m === 'string' ? m : m.username)) fail(`teams[${i}].members[${j}]`, 'must name a seeded user or bot');
    });
    return { ...t, display_name: t.display_name ?? t.name, type: t.type ?? 'O', members: t.members ?? [] };
  });
  const channelKeys = new Set<string>();
  const channels = (seed.channels ?? []).map((c, i): SeedChannel => {
    if (!teamNames.has(c.team)) fail(`channels[${i}].team`, 'must name a seeded team');
    if (channelKeys.has(`${c.team}:${c.name}`)) fail(`channels[${i}].name`, `duplicate channel ${c.name} in team ${c.team}`);
    channelKeys.add(`${c.team}:${c.name}`);
    (c.members ?? []).forEach((m, j) => {
      if (!usernames.has(m)) fail(`channels[${i}].members[${j}]`, 'must name a seeded user or bot');
    });
    return { ...c, display_name: c.display_name ?? c.name, type: c.type ?? 'O' };
  });
  const tokens = seed.tokens ?? [];
  checkSeedTokens(tokens, usernames, fail);
  return { users, bots, teams, channels, tokens, config: seed.config };
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

function seedHash(username: string, password: string, N: number): Promise<string> {
  const key = `${N}\u0000${username}\u0000${password}`;
  let hash = hashCache.get(key);
  if (hash === undefined) {
    hash = hashPassword(password, N);
    hashCache.set(key, hash);
  }
  return hash;
}

/** Default team-channel member notify props. */
const CHANNEL_NOTIFY = { desktop: 'default', email: 'default', mark_unread: 'all', push: 'default', ignore_channel_mentions: 'default' };

/**
 * Turn a (validated) seed into the database's initial data, hashing passwords at scrypt cost
 * `passwordCost` (N).
 *
 * @example
 * ```ts
 * const { data, logins } = await buildSeed(defaultSeed());
 * const store = await openStore({ inMemory: true, initialData: () => data });
 * ```
 */
export async function buildSeed(
  input: SeedInput, now = Date.now(), passwordCost = SCRYPT_N,
): Promise<{ data: MockData; logins: SeededLogin[] }> {
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
      password_hash: await seedHash(u.username, u.password, passwordCost),
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
      id: newId(), create_at: now, update_at: now, delete_at: 0, display_name: t.display_name ?? t.name, name: t.name,
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
      display_name: c.display_name ?? c.name, name: c.name, header: '', purpose: '', last_post_at: 0, total_msg_count: 0,
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
    users, bots, tokens: buildSeedTokens(seed.tokens ?? [], byName, now), sessions: [], teams, teamMembers, channels, channelMembers, posts: [],
    commands: [], incomingWebhooks: [], outgoingWebhooks: [],
  };
  const logins = (seed.users ?? []).map((u) => ({ username: u.username, password: u.password, roles: u.roles ?? 'system_user' }));
  return { data, logins };
}
