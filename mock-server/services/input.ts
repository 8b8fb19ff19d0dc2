/**
 * Small helpers the services share to decode and validate request bodies the way Mattermost's
 * model code does: a JSON object check, optional string fields (mistyped → 400
 * `invalid_body_param`), and rune counts (Go's `utf8.RuneCountInString`).
 *
 * @example
 * ```ts
 * if (!isObject(body)) throw invalidBodyParam('team');
 * const name = stringField(body, 'name', 'team'); // '' when absent or null
 * runes(name) > 64; // length in code points, not UTF-16 units
 * ```
 */
import { isValidId } from '../../middleware/util/ids.js';
import { invalidUrlParam } from '../errors.js';
import { decodeBody, goString, isPlainObject } from '../schemas/json.js';

/**
 * True for a plain JSON object (not null, not an array).
 *
 * @example
 * ```ts
 * isObject({}); // true
 * isObject([]); // false
 * ```
 */
export const isObject = isPlainObject;

/**
 * The length of a string in runes (Unicode code points), as Mattermost's limits count it.
 *
 * @example
 * ```ts
 * runes('héllo👍'); // 6
 * ```
 */
export const runes = (s: string): number => [...s].length;

/**
 * An optional string field of a body: '' when absent or null; any other non-string → 400
 * `invalid_body_param` naming `bodyName`.
 *
 * @example
 * ```ts
 * stringField({ message: 'hi' }, 'message', 'post'); // 'hi'
 * stringField({ message: 1 }, 'message', 'post');    // throws invalid_body_param (post)
 * ```
 */
export function stringField(body: Record<string, unknown>, key: string, bodyName: string): string {
  return decodeBody(goString, body[key], bodyName);
}

/**
 * Go's `me` substitution in `web.Handler.ServeHTTP` followed by `Context.RequireUserId` (and its
 * siblings): `me` stands for the caller when there is one; the result must be a 26-char id, else
 * 400 `invalid_url_param` naming `name`.
 *
 * @example
 * ```ts
 * requireId('me', 'user_id', caller.userId); // caller.userId
 * requireId('123', 'user_id', caller.userId); // throws invalid_url_param (user_id)
 * ```
 */
export function requireId(param: string, name: string, me?: string): string {
  const id = me !== undefined && param === 'me' ? me : param;
  if (!isValidId(id)) throw invalidUrlParam(name);
  return id;
}
