/**
 * The official Mattermost REST client (`@mattermost/client`'s Client4) set up for a Node program,
 * plus two helpers the examples share: the HTTP status of a call, and a one-line description of a
 * failed one (never containing a token).
 *
 * @example
 * ```ts
 * import { attempt, connect } from './lib/client.js';
 * const bot = connect('http://127.0.0.1:8065', process.env.MM_TOKEN);
 * const me = await attempt(() => bot.getMe()); // { ok: true, value } or { ok: false, status: 401, id }
 * ```
 */
// @mattermost/client is CommonJS without statically detectable named exports: take the default.
import mattermostClient from '@mattermost/client';
import type { Client4 as Client4Type } from '@mattermost/client';
import type { UserAccessToken } from '@mattermost/types/users';

export const { Client4, ClientError } = mattermostClient;
export type Client = Client4Type;

/** A Client4 for `url`, authenticated with `token` (a personal access token or session token). */
export function connect(url: string, token?: string): Client {
  const client = new Client4();
  client.setUrl(url.replace(/\/+$/, ''));
  client.setIncludeCookies(false); // a server-side program has no cookie jar
  if (token !== undefined) client.setToken(token);
  return client;
}

/** Log in with a username and password (what an admin does once); the client keeps the session token. */
export async function login(url: string, username: string, password: string): Promise<Client> {
  const client = connect(url);
  await client.login(username, password);
  return client;
}

/** What a call gave: its value, or the status and error id the server answered. */
export type Attempt<T> = { ok: true; value: T } | { ok: false; status: number; id: string };

/**
 * Run a Client4 call and capture a refusal instead of throwing. Errors that are not an answer from
 * the server (connection refused, DNS…) are rethrown.
 */
export async function attempt<T>(call: () => Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (err) {
    if (err instanceof ClientError && typeof err.status_code === 'number') {
      return { ok: false, status: err.status_code, id: err.server_error_id ?? '' };
    }
    throw err;
  }
}

/** `200`-style summary of an attempt for printing: `ok` or `403 api.context.permissions.app_error`. */
export function outcome(result: Attempt<unknown>): string {
  return result.ok ? 'ok' : `${result.status} ${result.id}`;
}

/** One line about an error: `403 api.context.permissions.app_error: message` or the message. */
export function describeError(err: unknown): string {
  if (err instanceof ClientError) return `${err.status_code ?? '?'} ${err.server_error_id ?? ''}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** The secret of a just-created token (only the create answer carries it). */
export function secretOf(token: UserAccessToken): string {
  if (typeof token.token !== 'string' || token.token === '') throw new Error(`the server returned token ${token.id} without its secret`);
  return token.token;
}
