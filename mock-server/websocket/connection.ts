/**
 * One WebSocket connection (Mattermost's `WebConn`): its connection id, its principal (the
 * session the token resolved to), its per-connection event `seq`, its replay buffer, and the
 * bounded sending. The socket may be absent: a disconnected connection is kept (for a bounded
 * time) so that a client reconnecting with `connection_id` + `sequence_number` resumes it.
 *
 * @example
 * ```ts
 * const conn = new WebConn({ id: newId(), resumeBufferSize: 128, maxBufferedBytes: 1 << 20 });
 * conn.attach(socket);
 * conn.sendEvent(precomputeEvent(event)); // seq 0, 1, 2… and buffered for resume
 * ```
 */
import type { WebSocket } from 'ws';
import type { Principal, TokenSource } from '../../middleware/types.js';
import { eventFrame, replyFrame, type PrecomputedEvent, type WebSocketReply } from './frames.js';
import { ResumeBuffer } from './resume-buffer.js';

/** Close codes the mock uses (Mattermost mostly drops the TCP connection; see docs/websocket.md). */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  unsupported: 1003,
  invalidPayload: 1007,
  policy: 1008,
  tooBig: 1009,
} as const;

export interface WebConnOptions {
  readonly id: string;
  readonly resumeBufferSize: number;
  /** `ws.bufferedAmount` beyond this drops the connection (a slow reader). */
  readonly maxBufferedBytes: number;
}

/** What happened to a frame handed to {@link WebConn.write}. */
export type WriteResult = 'sent' | 'no-socket' | 'overflow';

export class WebConn {
  /** Connection id (`hello.connection_id`); a failed resume makes a new one. */
  id: string;
  /** The session's user, '' before authentication (kept after a revocation, as `WebConn.UserId`). */
  userId = '';
  /** The token the connection authenticated with; '' when unauthenticated or revoked. */
  token = '';
  source: TokenSource = 'header-bearer';
  principal: Principal | undefined;
  /** Bumped whenever the session changes hands (authenticated, revoked): a late re-validation of an older one is ignored. */
  generation = 0;
  /** A hook said the principal may be stale: re-resolve before the next event or action. */
  stale = false;
  /** A re-resolution in flight (async resolvers); events wait in {@link pending}. */
  revalidating: Promise<void> | undefined;
  readonly pending: PrecomputedEvent[] = [];
  /** Seq of the next event. */
  nextSeq = 0;
  readonly buffer: ResumeBuffer;
  socket: WebSocket | undefined;
  /** `now()` when the socket went away (dead connections are reaped after a TTL). */
  deadSince = 0;
  /** Wall-clock ms of the last frame or pong from the client (keepalive). */
  lastHeard = Date.now();
  /** Frames received and not yet handled (they are handled one at a time, in order). */
  inflight = 0;
  chain: Promise<void> = Promise.resolve();
  authTimer: NodeJS.Timeout | undefined;
  /** Dropped for good (slow reader, revoked with closeRevokedSockets, server closing): never resumed. */
  dropped = false;
  private readonly maxBufferedBytes: number;

  constructor(options: WebConnOptions) {
    this.id = options.id;
    this.buffer = new ResumeBuffer(options.resumeBufferSize);
    this.maxBufferedBytes = options.maxBufferedBytes;
  }

  /** True while a socket is attached and open. */
  get live(): boolean {
    return this.socket !== undefined && this.socket.readyState === this.socket.OPEN;
  }

  attach(socket: WebSocket): void {
    this.socket = socket;
    this.deadSince = 0;
    this.lastHeard = Date.now();
  }

  /** Give the event the next seq, keep it for resume, and write it when a socket is attached. */
  sendEvent(frame: PrecomputedEvent): WriteResult {
    const seq = this.nextSeq++;
    this.buffer.push(seq, frame);
    return this.write(eventFrame(frame, seq));
  }

  /** Write a reply (replies have no seq and are not replayed). */
  sendReply(reply: WebSocketReply): WriteResult {
    return this.write(replyFrame(reply));
  }

  /**
   * Write a frame, unless the socket already holds more than `maxBufferedBytes` unsent: then the
   * reader is too slow and the caller drops the connection (Mattermost closes a connection whose
   * 256-message send queue is full).
   */
  write(text: string): WriteResult {
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== socket.OPEN) return 'no-socket';
    if (socket.bufferedAmount > this.maxBufferedBytes) return 'overflow';
    socket.send(text);
    return 'sent';
  }

  /** Stop the auth timer. */
  clearAuthTimer(): void {
    if (this.authTimer !== undefined) clearTimeout(this.authTimer);
    this.authTimer = undefined;
  }
}
