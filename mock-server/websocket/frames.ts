/**
 * WebSocket frames exactly as Mattermost writes and reads them (`model/websocket_message.go`,
 * `model/websocket_request.go`):
 *
 * - a broadcast event is precomputed once (`PrecomputeJSON`) and each connection appends its own
 *   `seq`: `{"event": "posted", "data": {…}, "broadcast": {…}, "seq": 7}` (Go's hand-written
 *   `precomputedJSONBuf`, with a space after each colon);
 * - `hello` and replies go through `json.Encoder`: compact, with a trailing newline;
 * - `data` keys are sorted (Go marshals a `map[string]any` in key order); `broadcast` keeps the
 *   `WebsocketBroadcast` field order, `contains_*` only when true.
 *
 * A request is decoded like Go's typed decode into `WebSocketRequest`: a frame that is not a JSON
 * object, or whose `seq` / `action` / `data` has the wrong type, is a decode error (the server
 * closes the socket).
 *
 * @example
 * ```ts
 * const pre = precomputeEvent(event);
 * socket.send(eventFrame(pre, 3)); // {"event": "posted", …, "seq": 3}
 * const req = parseRequest('{"seq":1,"action":"ping"}'); // { seq: 1, action: 'ping', data: {} }
 * ```
 */
import type { AppErrorBody } from '../../middleware/errors/app-error.js';
import type { WebSocketBroadcast, WebSocketEvent } from '../services/context.js';

/** An event serialised once for every connection: the frame around its `seq`. */
export interface PrecomputedEvent {
  readonly event: WebSocketEvent;
  /** `{"event": …, "data": …, "broadcast": …, "seq": ` */
  readonly prefix: string;
  /** `}` (precomputed) or `}\n` (`json.Encoder`). */
  readonly suffix: string;
}

/** A client request (`model.WebSocketRequest`). */
export interface WebSocketRequest {
  readonly seq: number;
  readonly action: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** A reply (`model.WebSocketResponse`). */
export interface WebSocketReply {
  readonly status: 'OK' | 'FAIL';
  readonly seq_reply?: number;
  readonly data?: Readonly<Record<string, unknown>>;
  readonly error?: AppErrorBody;
}

function sortedData(data: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(data).sort()) out[key] = data[key];
  return out;
}

/** `WebsocketBroadcast` as Go marshals it. */
export function broadcastJson(b: WebSocketBroadcast): Record<string, unknown> {
  const out: Record<string, unknown> = {
    omit_users: b.omit_users !== undefined && Object.keys(b.omit_users).length > 0 ? b.omit_users : null,
    user_id: b.user_id ?? '',
    channel_id: b.channel_id ?? '',
    team_id: b.team_id ?? '',
    connection_id: b.connection_id ?? '',
    omit_connection_id: b.omit_connection_id ?? '',
  };
  if (b.contains_sanitized_data === true) out.contains_sanitized_data = true;
  if (b.contains_sensitive_data === true) out.contains_sensitive_data = true;
  return out;
}

/** Serialise an event once (`PrecomputeJSON`). */
export function precomputeEvent(event: WebSocketEvent): PrecomputedEvent {
  const prefix = `{"event": ${JSON.stringify(event.event)}, "data": ${JSON.stringify(sortedData(event.data))}, "broadcast": ${JSON.stringify(broadcastJson(event.broadcast))}, "seq": `;
  return { event, prefix, suffix: '}' };
}

/** An event written through `json.Encoder` (`hello`): compact, with a trailing newline. */
export function encodeEvent(event: WebSocketEvent): PrecomputedEvent {
  const prefix = `{"event":${JSON.stringify(event.event)},"data":${JSON.stringify(sortedData(event.data))},"broadcast":${JSON.stringify(broadcastJson(event.broadcast))},"seq":`;
  return { event, prefix, suffix: '}\n' };
}

/** The frame of a serialised event for one connection. */
export function eventFrame(pre: PrecomputedEvent, seq: number): string {
  return `${pre.prefix}${seq}${pre.suffix}`;
}

/** A reply frame: compact, trailing newline, `seq_reply`/`data`/`error` omitted when empty. */
export function replyFrame(reply: WebSocketReply): string {
  const out: Record<string, unknown> = { status: reply.status };
  if (reply.seq_reply !== undefined && reply.seq_reply !== 0) out.seq_reply = reply.seq_reply;
  if (reply.data !== undefined && Object.keys(reply.data).length > 0) out.data = sortedData(reply.data);
  if (reply.error !== undefined) out.error = reply.error;
  return `${JSON.stringify(out)}\n`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Decode a text frame into a request, or undefined when Go's decoder would fail (not JSON, not an
 * object, `seq` not an integer, `action` not a string, `data` neither an object nor null).
 */
export function parseRequest(text: string): WebSocketRequest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  const { seq = 0, action = '', data = null } = value;
  if (seq !== null && (typeof seq !== 'number' || !Number.isSafeInteger(seq))) return undefined;
  if (action !== null && typeof action !== 'string') return undefined;
  if (data !== null && !isObject(data)) return undefined;
  return { seq: seq ?? 0, action: action ?? '', data: data ?? {} };
}
