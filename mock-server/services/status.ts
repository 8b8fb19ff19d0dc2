/**
 * User statuses (Mattermost `api4/status.go` `getUserStatus`, `updateUserStatus` +
 * `app/status.go`): `online`, `away`, `dnd` or `offline`, set manually. A user with no status
 * row is `offline` (as `GetUserStatusesByIds` answers for ids it has no status for). Setting one
 * publishes `status_change` to that user (`BroadcastStatus`).
 *
 * @example
 * ```ts
 * await updateStatus(server, caller, caller.userId, parseStatus({ user_id: caller.userId, status: 'dnd' }));
 * getStatus(server, caller.userId).status; // 'dnd'
 * ```
 */
import { decodeBody, goInt, goString, goStruct } from '../schemas/json.js';
import { invalidBodyParam, invalidUrlParam, permissionError } from '../errors.js';
import { isValidId } from '../../middleware/util/ids.js';
import type { StatusRecord } from '../db/schema.js';
import { sessionHasPermissionToUser } from './access.js';
import type { Caller } from './channel-permissions.js';
import { commitThenEmit } from './commit.js';
import type { ServiceContext } from './context.js';

/** `model.Status` JSON. */
export interface StatusJson {
  user_id: string;
  status: StatusRecord['status'];
  manual: boolean;
  last_activity_at: number;
  dnd_end_time: number;
}

const STATUSES: ReadonlySet<string> = new Set(['online', 'away', 'dnd', 'offline']);

/** `GET /users/{id}/status`: the stored status, or `offline` (Mattermost answers offline for unknown ids too). */
export function getStatus(deps: ServiceContext, userId: string): StatusJson {
  if (!isValidId(userId)) throw invalidUrlParam('user_id');
  const row = deps.store.get('statuses', userId);
  return row === undefined ? { user_id: userId, status: 'offline', manual: false, last_activity_at: 0, dnd_end_time: 0 } : { ...row };
}

/** The fields of a `PUT /users/{id}/status` body. */
export interface StatusInput {
  user_id: string;
  status: string;
  dnd_end_time: number;
}

const STATUS_INPUT = goStruct({ user_id: goString, status: goString, dnd_end_time: goInt });

/** Decode a `model.Status` body: not an object or mistyped → 400 naming `status`. */
export function parseStatus(body: unknown): StatusInput {
  return decodeBody(STATUS_INPUT, body, 'status');
}

/**
 * `PUT /users/{id}/status`: the body's `user_id` must be the URL's (400 naming `user_id`);
 * `SessionHasPermissionToUser` (403 naming `edit_other_users`: yourself, or an admin); an unknown
 * status → 400 naming `status`. Stores it as a manual status and publishes `status_change`.
 */
export async function updateStatus(deps: ServiceContext, caller: Caller, userId: string, input: StatusInput): Promise<StatusJson> {
  const { store } = deps;
  if (input.user_id !== userId) throw invalidBodyParam('user_id');
  if (!sessionHasPermissionToUser(store, caller, userId)) throw permissionError(caller.userId, 'edit_other_users');
  if (!STATUSES.has(input.status)) throw invalidBodyParam('status');
  const record: StatusRecord = {
    user_id: userId, status: input.status as StatusRecord['status'], manual: true, last_activity_at: deps.now(),
    dnd_end_time: input.status === 'dnd' ? Math.max(0, input.dnd_end_time) : 0,
  };
  await commitThenEmit(deps, [{ op: 'put', collection: 'statuses', record }], {
    ws: [{ event: 'status_change', data: { status: record.status, user_id: userId }, broadcast: { user_id: userId } }],
  });
  return { ...record };
}
