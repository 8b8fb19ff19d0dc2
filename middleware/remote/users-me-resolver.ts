/**
 * `usersMeResolver({ url })`: a {@link TokenResolver} with no cache that asks a Mattermost server
 * who a token belongs to, with `GET {url}/api/v4/users/me` and `Authorization: Bearer <token>`.
 * `remoteResolver()` puts the principal cache in front of it. How each answer is read:
 *
 * | upstream answer | result | logged |
 * | --- | --- | --- |
 * | `200`, JSON with a string `id` and `username` | the principal | no |
 * | `401` or `403`, JSON with a string `id` (a Mattermost error) | `AuthFailure('upstream_rejected')` | no |
 * | `5xx`, `429`, timeout, network error | `AppError` 503 `upstream_unavailable` | `warn` |
 * | anything else: `404`, a redirect, another status, a body that is not Mattermost's | `AppError` 503 `upstream_unavailable` | `error`: a configuration error |
 *
 * The last row is what a wrong `url` gives (e.g. one that already ends in `/api/v4`, so the probe
 * hits `/api/v4/api/v4/users/me` and a 404), or a proxy answering in Mattermost's place: refusing
 * every token as invalid would hide it, so it answers 503 and logs the URL (never the token).
 * Redirects are not followed, so the token is never sent anywhere but `url`.
 *
 * @example
 * ```ts
 * const upstream = usersMeResolver({ url: 'https://chat.example.com', logger });
 * const principal = await upstream.resolve(token, { source: 'header-bearer' });
 * ```
 */
import { AppError } from '../errors/app-error.js';
import { AuthFailure } from '../auth/auth-failure.js';
import { silentLogger, type Logger } from '../logger.js';
import { rolesOf } from '../permissions/permissions.js';
import type { Principal, TokenResolver } from '../types.js';

export interface UsersMeResolverOptions {
  /** Base URL of the Mattermost server, e.g. `https://chat.example.com` (no `/api/v4`). */
  url: string;
  /** Upstream request timeout. Default 5 000 ms. */
  timeoutMs?: number;
  logger?: Logger;
  /** Injected fetch (tests, proxies). Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

export interface UsersMeResolver extends TokenResolver {
  /** The URL asked: `{url}/api/v4/users/me`. */
  readonly meUrl: string;
  /** Upstream calls made so far. */
  readonly calls: number;
}

/** Printable ASCII, bounded: anything else cannot be a Mattermost token or an HTTP header value. */
const TOKEN_SHAPE = /^[\x21-\x7e]{1,256}$/;
/** Statuses with which Mattermost refuses a token. */
const REFUSED = new Set([401, 403]);
/** Statuses of an upstream that is there but cannot answer now. */
const isTransient = (status: number) => status >= 500 || status === 429;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

async function jsonOf(res: Response): Promise<unknown> {
  try {
    return await res.json();
  } catch {
    return undefined;
  }
}

/**
 * Create the uncached `/users/me` resolver.
 * @example
 * ```ts
 * const upstream = usersMeResolver({ url: 'http://127.0.0.1:8065' });
 * ```
 */
export function usersMeResolver(options: UsersMeResolverOptions): UsersMeResolver {
  const { url, timeoutMs = 5_000, logger = silentLogger, fetch: fetchImpl = globalThis.fetch } = options;
  const meUrl = `${url.replace(/\/+$/, '')}/api/v4/users/me`;
  let calls = 0;

  const unavailable = (detailed: string, cause?: unknown) => {
    logger.warn('remote resolver: upstream unavailable', { url: meUrl, detail: detailed });
    return new AppError('api.context.upstream_unavailable.app_error', { detailed, cause });
  };
  /** Not Mattermost's answer: the `url` (or something between) is wrong, not the token. */
  const misconfigured = (detailed: string) => {
    const hint = /\/api\/v4\/?$/.test(url) ? 'the url option ends with /api/v4: give the server\'s base URL' : 'check the url option (the server\'s base URL)';
    logger.error('remote resolver: upstream answer is not Mattermost\'s; every token is answered 503', { url: meUrl, detail: detailed, hint });
    return new AppError('api.context.upstream_unavailable.app_error', { detailed });
  };

  const ask = async (token: string): Promise<Principal> => {
    calls++;
    let res: Response;
    try {
      res = await fetchImpl(meUrl, {
        headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw unavailable(err instanceof Error ? `${err.name}: ${err.message}` : 'fetch failed', err);
    }
    const status = res.status;
    if (status !== 200 && !REFUSED.has(status)) {
      await res.body?.cancel().catch(() => undefined);
      if (isTransient(status)) throw unavailable(`upstream answered ${status}`);
      const location = res.headers.get('location');
      throw misconfigured(`upstream answered ${status}${location === null ? '' : ` redirecting to ${location}`}`);
    }
    const body = await jsonOf(res);
    if (!isObject(body) || typeof body.id !== 'string' || body.id === '') {
      throw misconfigured(`upstream answered ${status} without a Mattermost JSON body`);
    }
    if (status !== 200) throw new AuthFailure('upstream_rejected', { message: `upstream answered ${status} ${body.id}` });
    if (typeof body.username !== 'string') throw misconfigured('upstream answered 200 with a body that is not a user');
    return {
      userId: body.id,
      username: body.username,
      roles: rolesOf(typeof body.roles === 'string' ? body.roles : ''),
      sessionId: '',
      tokenId: undefined,
      isBot: body.is_bot === true,
      kind: 'user_access_token',
    };
  };

  return {
    meUrl,
    get calls() { return calls; },
    resolve(token) {
      if (!TOKEN_SHAPE.test(token)) throw new AuthFailure('unknown_token');
      return ask(token);
    },
  };
}
