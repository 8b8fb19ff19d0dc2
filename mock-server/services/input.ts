/**
 * Small helpers the services share to validate input the way Mattermost's model code does: a
 * JSON object check, rune counts (Go's `utf8.RuneCountInString`) and `me`-or-an-id URL params.
 * Request bodies are decoded by valibot schemas through `decodeBody` (schemas/json.ts).
 *
 * @example
 * ```ts
 * if (!isObject(body)) throw invalidBodyParam('team');
 * runes(name) > 64; // length in code points, not UTF-16 units
 * ```
 */
import { isValidId } from '../../middleware/util/ids.js';
import { invalidUrlParam } from '../errors.js';
import { isPlainObject } from '../schemas/json.js';

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
