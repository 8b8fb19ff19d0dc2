/**
 * The one place that orders a service's change: commit the mutations (durable once this resolves),
 * then emit the hook events (caches evict, signed events go out), then publish the WebSocket
 * events, then log. Only then does the service return and the route answer. Emitting before the
 * commit could evict a cache that the next request refills from the old state; answering before
 * emitting would let a client act on a revoked token that a cache still honours.
 *
 * @example
 * ```ts
 * await commitThenEmit(server, [{ op: 'delete', collection: 'tokens', key: token.id }], {
 *   hooks: [['token.revoked', { tokenId: token.id, userId: token.user_id }]],
 *   log: [['personal access token revoked', { token_id: token.id, by: caller.userId }]],
 * });
 * ```
 */
import type { HookEventName, HookEvents } from '../../middleware/hooks/hook-bus.js';
import type { Mutation } from '../db/schema.js';
import type { ServiceContext, WebSocketEvent } from './context.js';

/** One info line: message and fields. */
export type LogLine = readonly [string, Record<string, unknown>];

/** One hook-bus event with its payload, typed together. */
export type HookEvent = { [E in HookEventName]: readonly [E, HookEvents[E]] }[HookEventName];

/** What follows a commit. Every list may be empty. */
export interface Effects {
  /** Hook-bus events, emitted in order. */
  readonly hooks?: readonly HookEvent[];
  /**
   * WebSocket events, published in order (Mattermost's `App.Publish`); a function when the events
   * are built from the committed state (it runs after the commit and the hooks).
   */
  readonly ws?: readonly WebSocketEvent[] | (() => readonly WebSocketEvent[]);
  /** Info lines, `[message, fields]` (never a secret). */
  readonly log?: readonly LogLine[];
}

/** The parts of a {@link ServiceContext} a commit uses (`publish`/`logger` may be absent in narrow deps). */
export type CommitContext = Pick<ServiceContext, 'store'> & Partial<Pick<ServiceContext, 'hooks' | 'publish' | 'logger'>>;

/**
 * Commit `mutations` (skipped when empty), then emit, publish and log `effects`.
 *
 * @example
 * ```ts
 * await commitThenEmit(server, mutations, { hooks: [['user.deactivated', { userId }]] });
 * ```
 */
export async function commitThenEmit(ctx: CommitContext, mutations: readonly Mutation[], effects: Effects = {}): Promise<void> {
  if (mutations.length > 0) await ctx.store.commit(mutations);
  for (const [event, payload] of effects.hooks ?? []) emitHook(ctx, event, payload);
  const ws = typeof effects.ws === 'function' ? effects.ws() : effects.ws ?? [];
  for (const event of ws) ctx.publish?.(event);
  for (const [message, fields] of effects.log ?? []) ctx.logger?.info(message, fields);
}

function emitHook<E extends HookEventName>(ctx: CommitContext, event: E, payload: HookEvents[E]): void {
  ctx.hooks?.emit(event, payload);
}
