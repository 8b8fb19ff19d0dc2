/**
 * The official Client4 against a mock over real HTTP, for the REST calls bots make: an in-memory
 * mock (developer mode, so a 403 names its permission) listening on port 0, logged-in clients for
 * sysadmin, user-1 and user-2, more team members for group channels, and a record of every
 * WebSocket event the services publish (`server.publish`), so a test can assert the event of a
 * change without a socket.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import mattermostClient from '@mattermost/client';
import type { Client4 as Client4Type } from '@mattermost/client';
import { expect } from 'chai';
import { defaultSeed, type MockApp } from '../../../mock-server/index.js';
import { createMockApp } from '../../support/fast-seed-mock.js';
import type { WebSocketEvent } from '../../../mock-server/services/context.js';

const { Client4 } = mattermostClient;
export type Client = Client4Type;

export interface ClientMock {
  mock: MockApp;
  url: string;
  admin: Client;
  user: Client;
  /** user-2: a second plain team member. */
  other: Client;
  adminId: string;
  userId: string;
  otherId: string;
  /** Ids of user-3 and user-4 (team members, never logged in). */
  moreIds: [string, string];
  teamId: string;
  /** Ids of the seeded channels of team ad-1: town-square and off-topic (public), private-1 (sysadmin its only member). */
  townSquareId: string;
  offTopicId: string;
  privateId: string;
  /** Every WebSocket event published since start (or the last `events.length = 0`). */
  events: WebSocketEvent[];
  /** A fresh client with this token. */
  client(token?: string): Client;
  close(): Promise<void>;
}

/** Start the mock (extra users user-2…user-4 in team ad-1) and log in three clients. */
export async function startClientMock(options: { now?: () => number } = {}): Promise<ClientMock> {
  const seed = defaultSeed();
  const extra = ['user-2', 'user-3', 'user-4'].map((username, i) => ({ username, password: `SampleUs@r-${i + 2}`, first_name: ['Ada', 'Bo', 'Cy'][i], last_name: 'Extra' }));
  const team = seed.teams?.[0];
  const mock = await createMockApp({
    inMemory: true,
    developerMode: true,
    ...options,
    seed: {
      ...seed,
      users: [...(seed.users ?? []), ...extra],
      teams: team === undefined ? [] : [{ ...team, members: [...(team.members ?? []), ...extra.map((u) => u.username)] }],
    },
  });
  const events: WebSocketEvent[] = [];
  const server = mock.server as unknown as { publish(event: WebSocketEvent): void };
  const publish = server.publish.bind(server);
  server.publish = (event) => { events.push(event); publish(event); };
  const http: Server = createServer(mock.app.callback());
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const client = (token?: string): Client => {
    const c = new Client4();
    c.setUrl(url);
    c.setIncludeCookies(false);
    if (token !== undefined) c.setToken(token);
    return c;
  };
  const login = async (username: string, password: string): Promise<Client> => {
    const c = client();
    await c.login(username, password);
    return c;
  };
  const { sysadmin, user1, users } = mock.seeded;
  return {
    mock, url, events, client,
    admin: await login(sysadmin.username, sysadmin.password),
    user: await login(user1.username, user1.password),
    other: await login('user-2', 'SampleUs@r-2'),
    adminId: sysadmin.id,
    userId: user1.id,
    otherId: users['user-2'].id,
    moreIds: [users['user-3'].id, users['user-4'].id],
    teamId: mock.seeded.team?.id ?? '',
    townSquareId: mock.seeded.channels['town-square'].id,
    offTopicId: mock.seeded.channels['off-topic'].id,
    privateId: mock.seeded.channels['private-1'].id,
    async close() {
      await new Promise<void>((resolve) => { http.close(() => resolve()); http.closeAllConnections(); });
      await mock.close();
    },
  };
}

/** What a failed Client4 call answered. */
export interface Failure { status: number | undefined; id: string | undefined; detailed: string | undefined }

/** The status, error id and detailed error a Client4 call fails with (an assertion error when it succeeds). */
export async function failure(call: Promise<unknown>): Promise<Failure> {
  try {
    await call;
  } catch (err) {
    const e = err as { status_code?: number; server_error_id?: string; detailed_error?: string };
    return { status: e.status_code, id: e.server_error_id, detailed: e.detailed_error };
  }
  throw new Error('expected the call to fail');
}

/** Assert a failure's status and id. */
export async function expectFailure(call: Promise<unknown>, status: number, id: string): Promise<Failure> {
  const f = await failure(call);
  expect({ status: f.status, id: f.id }, f.detailed).to.deep.equal({ status, id });
  return f;
}

/** Assert a 403 naming `permission` (developer mode renders `permission=<id>` in detailed_error). */
export async function expectForbidden(call: Promise<unknown>, permission: string): Promise<void> {
  const f = await expectFailure(call, 403, 'api.context.permissions.app_error');
  expect(f.detailed).to.match(new RegExp(`permission=${permission}(,|$)`));
}

/** A raw request (for bodies Client4 never sends): status and parsed JSON body. */
export async function raw(url: string, method: string, path: string, token: string, body?: string, contentType = 'application/json'): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/api/v4${path}`, {
    method, headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': contentType }) }, body,
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : JSON.parse(text) as Record<string, unknown> };
}

/** The events named `event` recorded so far. */
export function eventsNamed(events: readonly WebSocketEvent[], event: string): WebSocketEvent[] {
  return events.filter((e) => e.event === event);
}

/** A valid id that names nothing. */
export const UNKNOWN_ID = 'aaaaaaaaaaaaaaaaaaaaaaaaaa';
