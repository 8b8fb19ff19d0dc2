/**
 * Token extraction, exactly as Mattermost's `ParseAuthTokenFromRequest` does it. First match wins:
 *
 * 1. cookie `MMAUTHTOKEN` (even when an `Authorization` header is also sent; a present but empty
 *    cookie means "no token", the header is not consulted);
 * 2. `Authorization` longer than 6 chars whose first 6 chars upper-cased are `BEARER`: the token is
 *    everything from index 7 (the 7th char, normally a space, is skipped unchecked);
 * 3. `Authorization` longer than 5 chars whose first 5 chars lower-cased are `token`: from index 6;
 * 4. query parameter `access_token`.
 *
 * Any other scheme (`Basic …`) is no token. The result is capped at 50 characters.
 *
 * @example
 * ```ts
 * import { extractToken } from 'mattermost-pat';
 * app.use((ctx, next) => {
 *   const found = extractToken(ctx); // { token: 'xyz…', source: 'header-bearer' } | undefined
 *   return next();
 * });
 * ```
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { TokenSource } from '../types.js';

/** Name of Mattermost's session cookie. */
export const SESSION_COOKIE = 'MMAUTHTOKEN';

/** Mattermost truncates every extracted token to this many characters. */
export const MAX_TOKEN_LENGTH = 50;

/** A token found in a request and where it was found. */
export interface ExtractedToken {
  readonly token: string;
  readonly source: TokenSource;
}

/** The parts of a Koa context extraction reads (any Koa or @koa/router context fits). */
export interface TokenCarrier {
  readonly headers: IncomingHttpHeaders;
  readonly querystring: string;
  readonly query: Record<string, string | string[] | undefined>;
}

const cap = (token: string) => (token.length > MAX_TOKEN_LENGTH ? token.slice(0, MAX_TOKEN_LENGTH) : token);

function validCookieByte(code: number): boolean {
  return code >= 0x20 && code < 0x7f && code !== 0x22 && code !== 0x3b && code !== 0x5c;
}

/** Go's `parseCookieValue` (quotes stripped, invalid bytes reject the cookie). */
function parseCookieValue(raw: string): string | undefined {
  let value = raw;
  if (value.length > 1 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  for (let i = 0; i < value.length; i++) {
    if (!validCookieByte(value.charCodeAt(i))) return undefined;
  }
  return value;
}

/**
 * The value of cookie `name` as Go's `r.Cookie(name)` reads it, or undefined when absent.
 * @example
 * ```ts
 * readCookie(ctx.headers.cookie, 'MMCSRF');
 * ```
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined || !header.includes(name)) return undefined;
  for (const part of header.split(';')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    const key = (eq < 0 ? trimmed : trimmed.slice(0, eq)).trim();
    if (key !== name) continue;
    const value = parseCookieValue(eq < 0 ? '' : trimmed.slice(eq + 1));
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * Where and what the request's token is, following Mattermost's rules; undefined when none.
 * @example
 * ```ts
 * const found = extractToken(ctx);
 * if (found?.source === 'query') ctx.throw(400);
 * ```
 */
export function extractToken(ctx: TokenCarrier): ExtractedToken | undefined {
  const { headers } = ctx;
  const cookie = readCookie(headers.cookie, SESSION_COOKIE);
  if (cookie !== undefined) return cookie === '' ? undefined : { token: cap(cookie), source: 'cookie' };

  const auth = headers.authorization;
  if (auth !== undefined) {
    // The usual spelling first: the same answer as the case-insensitive test below, without the
    // two strings it allocates on every request.
    if (auth.startsWith('Bearer ')) {
      const token = auth.slice(7);
      return token === '' ? undefined : { token: cap(token), source: 'header-bearer' };
    }
    if (auth.length > 6 && auth.slice(0, 6).toUpperCase() === 'BEARER') {
      const token = auth.slice(7);
      return token === '' ? undefined : { token: cap(token), source: 'header-bearer' };
    }
    if (auth.length > 5 && auth.slice(0, 5).toLowerCase() === 'token') {
      const token = auth.slice(6);
      return token === '' ? undefined : { token: cap(token), source: 'header-token' };
    }
  }

  if (ctx.querystring !== '' && ctx.querystring.includes('access_token')) {
    const raw = ctx.query.access_token;
    const token = Array.isArray(raw) ? raw[0] : raw;
    if (token !== undefined && token !== '') return { token: cap(token), source: 'query' };
  }
  return undefined;
}
