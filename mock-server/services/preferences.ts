/**
 * User preferences (Mattermost `api4/preference.go` `getPreferences`, `updatePreferences`,
 * `deletePreferences` + `model.Preference.IsValid`): `{user_id, category, name, value}` rows, one
 * per user + category + name. Only the user (or an admin, `SessionHasPermissionToUser`) reads and
 * writes them; changes publish `preferences_changed` / `preferences_deleted` to the user.
 *
 * @example
 * ```ts
 * await savePreferences(server, caller, caller.userId, parsePreferences([{ user_id, category: 'display_settings', name: 'use_military_time', value: 'true' }]));
 * getPreferences(server, caller, caller.userId);
 * ```
 */
import * as v from 'valibot';
import { decodeBody, goString, goStruct } from '../schemas/json.js';
import { AppError, permissionError } from '../errors.js';
import { isValidId } from '../../middleware/util/ids.js';
import { PRIMARY_KEY, type Mutation, type PreferenceRecord } from '../db/schema.js';
import { sessionHasPermissionToUser } from './access.js';
import type { Caller } from './channel-permissions.js';
import { commitThenEmit } from './commit.js';
import type { ServiceContext } from './context.js';
import { runes } from './input.js';

function requireUser(deps: ServiceContext, caller: Caller, userId: string): void {
  if (!sessionHasPermissionToUser(deps.store, caller, userId)) throw permissionError(caller.userId, 'edit_other_users');
}

/** `GET /users/{id}/preferences`: `SessionHasPermissionToUser` (403 naming `edit_other_users`). */
export function getPreferences(deps: ServiceContext, caller: Caller, userId: string): PreferenceRecord[] {
  requireUser(deps, caller, userId);
  return deps.store.findMany('preferences', 'user_id', userId).map((p) => ({ ...p }));
}

const PREFERENCES = v.array(goStruct({ user_id: goString, category: goString, name: goString, value: goString }));

/** Decode a `model.Preferences` body (the typed decode): an array of objects with string fields, else 400 naming `preferences`. */
export function parsePreferences(body: unknown): PreferenceRecord[] {
  return decodeBody(PREFERENCES, body, 'preferences');
}

/** `model.Preference.IsValid`. */
function validate(p: PreferenceRecord): void {
  if (!isValidId(p.user_id)) throw new AppError('model.preference.is_valid.id.app_error');
  if (p.category === '' || runes(p.category) > 32) throw new AppError('model.preference.is_valid.category.app_error');
  if (p.name === '' || runes(p.name) > 32) throw new AppError('model.preference.is_valid.name.app_error');
  if (runes(p.value) > 2000) throw new AppError('model.preference.is_valid.value.app_error');
}

/**
 * `PUT /users/{id}/preferences`: `SessionHasPermissionToUser` (403) before the body is decoded
 * (not an array of preferences → 400 naming `preferences`); every row's `user_id` must be the
 * URL's (403 `api.preference.update_preferences.set.app_error`); `IsValid` (400). Upserts; an
 * empty list changes nothing and publishes nothing.
 */
export async function savePreferences(deps: ServiceContext, caller: Caller, userId: string, body: unknown): Promise<void> {
  requireUser(deps, caller, userId);
  const prefs = parsePreferences(body);
  for (const p of prefs) if (p.user_id !== userId) throw new AppError('api.preference.update_preferences.set.app_error');
  prefs.forEach(validate);
  const mutations: Mutation[] = prefs.map((record) => ({ op: 'put', collection: 'preferences', record: { ...record } }));
  if (mutations.length === 0) return;
  await commitThenEmit(deps, mutations, { ws: [{ event: 'preferences_changed', data: { preferences: JSON.stringify(prefs) }, broadcast: { user_id: userId } }] });
}

/** `POST /users/{id}/preferences/delete`: the checks of {@link savePreferences} (403 `api.preference.delete_preferences.delete.app_error`); missing rows are ignored. */
export async function deletePreferences(deps: ServiceContext, caller: Caller, userId: string, body: unknown): Promise<void> {
  requireUser(deps, caller, userId);
  const prefs = parsePreferences(body);
  for (const p of prefs) if (p.user_id !== userId) throw new AppError('api.preference.delete_preferences.delete.app_error');
  const mutations: Mutation[] = prefs
    .map((p) => PRIMARY_KEY.preferences(p))
    .filter((key) => deps.store.get('preferences', key) !== undefined)
    .map((key) => ({ op: 'delete', collection: 'preferences', key }));
  if (mutations.length === 0) return;
  await commitThenEmit(deps, mutations, { ws: [{ event: 'preferences_deleted', data: { preferences: JSON.stringify(prefs) }, broadcast: { user_id: userId } }] });
}
