// @ts-check
/**
 * Finding users for the Users screen with Mattermost's own routes: `GET /users` (everyone),
 * `POST /users/search` (a term; inactive users included), and a term that is a token id finds the
 * token's owner (`GET /users/tokens/{id}`), as Mattermost's user search does. On a server without
 * the list and search routes, the search falls back to the exact username (`GET
 * /users/username/{name}`) and says so.
 */
import { ApiError, api, isMissingRoute } from './api.js';

/** @typedef {import('./model.js').User} User @typedef {import('./model.js').Token} Token */

const ID = /^[a-z0-9]{26}$/;

/**
 * Find users for a search term ('' = everyone).
 * @param {string} term
 * @returns {Promise<{ users: User[], note: string }>}
 */
export async function findUsers(term) {
  if (term === '') {
    try {
      return { users: await api('GET', '/users?page=0&per_page=200'), note: '' };
    } catch (err) {
      if (!isMissingRoute(err)) throw err;
      return { users: [], note: 'This server has no user list (GET /api/v4/users): search by exact username or token id.' };
    }
  }
  if (ID.test(term)) {
    try {
      /** @type {Token} */
      const token = await api('GET', `/users/tokens/${term}`);
      return { users: [await api('GET', `/users/${token.user_id}`)], note: `Owner of token ${term}.` };
    } catch (err) {
      if (!(err instanceof ApiError) || (err.status !== 404 && err.status !== 400)) throw err;
    }
  }
  try {
    return { users: await api('POST', '/users/search', { term, allow_inactive: true, limit: 100 }), note: '' };
  } catch (err) {
    if (!isMissingRoute(err)) throw err;
  }
  try {
    return { users: [await api('GET', `/users/username/${encodeURIComponent(term)}`)], note: 'Exact username match (this server has no POST /api/v4/users/search).' };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 400)) return { users: [], note: 'Exact username match (this server has no POST /api/v4/users/search).' };
    throw err;
  }
}
