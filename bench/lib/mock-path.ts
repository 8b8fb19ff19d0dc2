/**
 * The mock's own PAT path under load (issue 15): the requests a load sends to a mock server
 * (`serve.ts` kind `mock`, in memory or on a file database), made over its REST API once it
 * listens. `GET /api/v4/users/me` with personal access tokens of `sysadmin`, and
 * `POST /api/v4/posts` into Town Square with the token of a bot holding `system_post_all`
 * (not a member of the channel: the permission is what lets it post).
 *
 * @example
 * ```ts
 * const me = await usersMeRequests(server.url, 100);   // 100 PATs, one GET /users/me each
 * const posts = await createPostRequests(server.url);  // one bot PAT, POST /posts bodies
 * await driver.run({ url: server.url, connections: 50, duration: 8, requests: me });
 * ```
 */
import { createPat, httpClient, login, type HttpClient } from './http.js';
import type { LoadRequest } from './load.js';

const ADMIN = { login: 'sysadmin', password: 'Sys@dmin-sample1' };

async function ok<T>(client: HttpClient, method: 'GET' | 'POST' | 'PUT', path: string, session: string, body?: unknown): Promise<T> {
  const res = await client.request(method, path, session, body);
  if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
  return JSON.parse(res.body) as T;
}

/** `count` PATs of sysadmin, one `GET /api/v4/users/me` per token. */
export async function usersMeRequests(url: string, count: number): Promise<LoadRequest[]> {
  const client = httpClient(url, 4);
  try {
    const admin = await login(client, ADMIN.login, ADMIN.password);
    const pats = await Promise.all(Array.from({ length: count }, (_, i) => createPat(client, admin, `bench me ${i}`)));
    return pats.map((p) => ({ path: '/api/v4/users/me', headers: { authorization: `Bearer ${p.token}` } }));
  } finally {
    client.close();
  }
}

/** A bot with `system_post_all` and a PAT; `count` distinct `POST /api/v4/posts` bodies for Town Square. */
export async function createPostRequests(url: string, count = 100): Promise<LoadRequest[]> {
  const client = httpClient(url, 1);
  try {
    const admin = await login(client, ADMIN.login, ADMIN.password);
    await ok(client, 'PUT', '/api/v4/config/patch', admin, { ServiceSettings: { EnableBotAccountCreation: true } });
    const bot = await ok<{ user_id: string }>(client, 'POST', '/api/v4/bots', admin, { username: 'bench-poster', display_name: 'Bench poster' });
    await ok(client, 'PUT', `/api/v4/users/${bot.user_id}/roles`, admin, { roles: 'system_user system_user_access_token system_post_all' });
    const pat = await ok<{ token: string }>(client, 'POST', `/api/v4/users/${bot.user_id}/tokens`, admin, { description: 'bench poster' });
    const team = await ok<{ id: string }>(client, 'GET', '/api/v4/teams/name/ad-1', admin);
    const channel = await ok<{ id: string }>(client, 'GET', `/api/v4/teams/${team.id}/channels/name/town-square`, admin);
    return Array.from({ length: count }, (_, i) => ({
      method: 'POST' as const,
      path: '/api/v4/posts',
      headers: { authorization: `Bearer ${pat.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel_id: channel.id, message: `bench post ${i}` }),
    }));
  } finally {
    client.close();
  }
}
