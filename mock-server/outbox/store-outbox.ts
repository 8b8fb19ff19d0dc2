/**
 * The event sender's outbox kept in the mock's database (collections `outbox`, `outboxCursors`,
 * `outboxMeta`), so it is journaled and snapshotted like every other record and survives a
 * restart or a crash: undelivered revocations are delivered by the next start.
 *
 * @example
 * ```ts
 * import { storeOutboxStorage } from './outbox/store-outbox.js';
 * createEventSender({ hooks, targets, signing, outbox: storeOutboxStorage(store) });
 * ```
 */
import { createHash } from 'node:crypto';
import type { OutboxCursor, OutboxEntry, OutboxState, OutboxStorage, OutboxWrite } from '../../middleware/events/event-outbox.js';
import type { HookEventName, HookEvents } from '../../middleware/hooks/hook-bus.js';
import type { Mutation, OutboxCursorRecord, OutboxRecord, Store } from '../db/schema.js';

const META_ID = 'source';

const cursorId = (target: string) => createHash('sha256').update(target).digest('hex');

const toRecord = (e: OutboxEntry): OutboxRecord => ({
  seq: e.seq, event: e.event, payload: { ...e.payload }, event_id: e.eventId, emitted_at: e.emittedAt, coalesced: e.coalesced,
});

const fromRecord = (r: OutboxRecord): OutboxEntry => ({
  seq: r.seq, event: r.event as HookEventName, payload: r.payload as unknown as HookEvents[HookEventName],
  eventId: r.event_id, emittedAt: r.emitted_at, coalesced: r.coalesced,
});

const cursorRecord = (c: OutboxCursor): OutboxCursorRecord => ({ id: cursorId(c.target), target: c.target, acked: c.acked, lost_through: c.lostThrough });

/**
 * An {@link OutboxStorage} on the mock's store: every outbox write is one atomic commit.
 *
 * @example
 * ```ts
 * const storage = storeOutboxStorage(store);
 * storage.load(); // undefined on a database that never had an outbox
 * ```
 */
export function storeOutboxStorage(store: Store): OutboxStorage {
  return {
    load(): OutboxState | undefined {
      const meta = store.get('outboxMeta', META_ID);
      if (meta === undefined) return undefined;
      return {
        sourceId: meta.source_id,
        nextSeq: meta.next_seq,
        entries: [...store.all('outbox')].map(fromRecord),
        cursors: [...store.all('outboxCursors')].map((r) => ({ target: r.target, acked: r.acked, lostThrough: r.lost_through })),
      };
    },
    write(change: OutboxWrite): Promise<void> {
      const mutations: Mutation[] = [];
      for (const e of change.put ?? []) mutations.push({ op: 'put', collection: 'outbox', record: toRecord(e) });
      for (const seq of change.delete ?? []) {
        if (store.get('outbox', String(seq)) !== undefined) mutations.push({ op: 'delete', collection: 'outbox', key: String(seq) });
      }
      for (const c of change.cursors ?? []) mutations.push({ op: 'put', collection: 'outboxCursors', record: cursorRecord(c) });
      for (const target of change.deleteCursors ?? []) mutations.push({ op: 'delete', collection: 'outboxCursors', key: cursorId(target) });
      if (change.meta) {
        mutations.push({ op: 'put', collection: 'outboxMeta', record: { id: META_ID, source_id: change.meta.sourceId, next_seq: change.meta.nextSeq } });
      }
      return mutations.length === 0 ? Promise.resolve() : store.commit(mutations);
    },
  };
}
