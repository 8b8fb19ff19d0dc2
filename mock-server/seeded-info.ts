/**
 * What a started mock server reports about its seed: the seeded logins with their ids, teams,
 * channels and bots, read from the database (so ids are right after a restart on an existing file).
 *
 * @example
 * ```ts
 * const { sysadmin, user1, team, channels } = seededInfo(store, defaultSeed());
 * channels['town-square'].id;
 * ```
 */
import { rolesOf } from '../middleware/permissions/permissions.js';
import type { Store } from './db/schema.js';
import type { SeedInput } from './seed.js';

export interface SeededUser {
  id: string;
  username: string;
  /** As given in the seed (the database holds only its scrypt hash). */
  password: string;
  roles: string;
}

export interface SeededTeam { id: string; name: string; display_name: string }
export interface SeededChannel { id: string; name: string; display_name: string; type: string; team_id: string }
export interface SeededBot { id: string; username: string; owner_id: string }

export interface SeededInfo {
  /** The first seeded system admin (default seed: `sysadmin`). */
  sysadmin: SeededUser;
  /** The first seeded non-admin user (default seed: `user-1`). */
  user1: SeededUser;
  /** Every seeded user found in the database, by username. */
  users: Record<string, SeededUser>;
  bots: Record<string, SeededBot>;
  /** The first seeded team. */
  team: SeededTeam | undefined;
  teams: Record<string, SeededTeam>;
  /** Channels of the seeded teams, by name (first team wins on a clash). */
  channels: Record<string, SeededChannel>;
}

const NOBODY: SeededUser = { id: '', username: '', password: '', roles: '' };

/**
 * Read the seeded records back from the store.
 *
 * @example
 * ```ts
 * const info = seededInfo(store, defaultSeed());
 * info.user1.id; // id of user-1 in this database
 * ```
 */
export function seededInfo(store: Store, seed: SeedInput): SeededInfo {
  const users: Record<string, SeededUser> = {};
  for (const u of seed.users ?? []) {
    const row = store.findOne('users', 'username', u.username.toLowerCase());
    if (row !== undefined) users[u.username] = { id: row.id, username: row.username, password: u.password, roles: row.roles };
  }
  const list = Object.values(users);
  const isAdmin = (u: SeededUser) => rolesOf(u.roles).includes('system_admin');
  const sysadmin = list.find(isAdmin) ?? list[0] ?? NOBODY;
  const user1 = list.find((u) => !isAdmin(u)) ?? sysadmin;
  const bots: Record<string, SeededBot> = {};
  for (const b of seed.bots ?? []) {
    const row = store.findOne('users', 'username', b.username.toLowerCase());
    const bot = row === undefined ? undefined : store.get('bots', row.id);
    if (row !== undefined && bot !== undefined) bots[b.username] = { id: row.id, username: row.username, owner_id: bot.owner_id };
  }
  const teams: Record<string, SeededTeam> = {};
  const channels: Record<string, SeededChannel> = {};
  for (const t of seed.teams ?? []) {
    const row = store.findOne('teams', 'name', t.name);
    if (row === undefined) continue;
    teams[t.name] = { id: row.id, name: row.name, display_name: row.display_name };
    for (const c of store.findMany('channels', 'team_id', row.id)) {
      channels[c.name] ??= { id: c.id, name: c.name, display_name: c.display_name, type: c.type, team_id: c.team_id };
    }
  }
  const first = seed.teams?.[0];
  return { sysadmin, user1, users, bots, team: first === undefined ? undefined : teams[first.name], teams, channels };
}
