/**
 * What every service of the mock receives: a Koa-free context. Routes (HTTP), the WebSocket hub
 * and the integrations (slash commands, webhooks) are thin adapters that call the same services
 * with it, so a rule lives in one service whatever the transport.
 *
 * - `hooks` carries the token/user/config lifecycle events (the middleware's hook bus: caches
 *   evict on it, signed events are sent from it).
 * - `publish` carries Mattermost's WebSocket events (`posted`, `reaction_added`, …), as the Go
 *   server's `App.Publish(*model.WebSocketEvent)` does; the hub decides who receives each one.
 *
 * Both are called after the change is committed, never before.
 */
import type { HookBus } from '../../middleware/hooks/hook-bus.js';
import type { Logger } from '../../middleware/logger.js';
import type { Store } from '../db/schema.js';

/** Who receives a WebSocket event (`model.WebsocketBroadcast`). Empty: every connection. */
export interface WebSocketBroadcast {
  /** Only this user's connections. */
  readonly user_id?: string;
  /** Only connections of the channel's members. */
  readonly channel_id?: string;
  /** Only connections of the team's members. */
  readonly team_id?: string;
  /** Users left out. */
  readonly omit_users?: Readonly<Record<string, true>>;
  /** Only this connection (a reply-like event for one socket). */
  readonly connection_id?: string;
  /** Every connection but this one. */
  readonly omit_connection_id?: string;
  /** Only connections whose roles lack `manage_system` (the sanitized copy of a user). */
  readonly contains_sanitized_data?: boolean;
  /** Only connections whose roles grant `manage_system` (the admin copy of a user). */
  readonly contains_sensitive_data?: boolean;
}

/** A WebSocket event before it is sent (`model.WebSocketEvent` without `seq`). */
export interface WebSocketEvent {
  readonly event: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly broadcast: WebSocketBroadcast;
}

export interface ServiceContext {
  readonly store: Store;
  readonly hooks: HookBus;
  readonly logger: Logger;
  /** Current time in ms (overridable in tests). */
  now(): number;
  /** Hand a WebSocket event to the hub (a no-op while no hub is attached). */
  publish(event: WebSocketEvent): void;
}
