/**
 * The WebSocket API's error registry: the ids only it answers (Mattermost's `websocket_router.go`,
 * `wsapi/*.go`, `api4/websocket.go`), with their status and English message, and the AppError
 * JSON a WebSocket reply carries (`detailed_error` always blanked, as `returnWebSocketError` does).
 *
 * @example
 * ```ts
 * webSocketError('api.web_socket_router.not_authenticated.app_error');
 * // { id, message: 'Connection is not authenticated. …', detailed_error: '', status_code: 401 }
 * ```
 */
import { renderMessage, type AppErrorBody } from '../../middleware/errors/app-error.js';

/** Every error id of the WebSocket API, with Mattermost's status and English message. */
export const WEBSOCKET_ERRORS = {
  'api.web_socket_router.no_action.app_error': { status: 400, message: 'No websocket action.' },
  'api.web_socket_router.bad_seq.app_error': { status: 400, message: 'Invalid sequence for WebSocket message.' },
  'api.web_socket_router.not_authenticated.app_error': { status: 401, message: 'Connection is not authenticated. Please log in and try again.' },
  'api.web_socket_router.bad_action.app_error': { status: 500, message: 'Unknown WebSocket action.' },
  'api.websocket_handler.invalid_param.app_error': { status: 400, message: 'Invalid {{.Name}} parameter.' },
  'api.web_socket.connect.upgrade.app_error': { status: 400, message: 'Failed to upgrade websocket connection.' },
} as const satisfies Record<string, { readonly status: number; readonly message: string }>;

export type WebSocketErrorId = keyof typeof WEBSOCKET_ERRORS;

/**
 * The AppError JSON of a WebSocket error reply (`model.NewWebSocketError`).
 *
 * @example
 * ```ts
 * webSocketError('api.websocket_handler.invalid_param.app_error', { Name: 'channel_id' }).message; // 'Invalid channel_id parameter.'
 * ```
 */
export function webSocketError(id: WebSocketErrorId, params: Record<string, string> = {}): AppErrorBody {
  const def = WEBSOCKET_ERRORS[id];
  return { id, message: renderMessage(def.message, params), detailed_error: '', status_code: def.status };
}
