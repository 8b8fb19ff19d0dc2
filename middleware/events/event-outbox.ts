/**
 * The event sender's outbox: an ordered log of the events still owed to some subscriber, one
 * cursor per subscriber (the last `seq` it acknowledged), kept through a pluggable
 * {@link OutboxStorage} so that it survives restarts (the mock keeps it in its database; the
 * default keeps it in memory). Rules, all about never letting a flood push out a revocation:
 *
 * - Every event gets the next `seq` (increasing, never reused: `nextSeq` is stored too).
 * - Bulk kinds, which one user can cause at will ({@link BULK_EVENTS}: logouts, token creations),
 *   are coalesced per user: a new one replaces that user's pending one (with `coalesced` + 1),
 *   unless that one is a subscriber's next delivery (it may be on the wire already).
 *   Each bulk kind is also bounded (`bulkLimit` pending users per kind); past it the oldest is
 *   dropped. A bulk kind never pushes out anything of another kind.
 * - Every other kind (revocations, deactivations, role and config changes) is never coalesced
 *   and never dropped for a bulk kind. Only the hard bound `maxEntries` (memory) can drop the
 *   oldest entry, with an error log.
 * - A dropped entry a subscriber had not acknowledged marks that subscriber `lostThrough` =
 *   the entry's seq: its next delivery names it in `prev`, the receiver sees a gap and drops its
 *   caches. Nothing is ever lost silently.
 * - An entry is deleted once every subscriber acknowledged it. Acknowledgements are written in
 *   batches (one write in flight): after a crash a few events may be delivered again, which the
 *   receiver recognizes by `seq`.
 *
 * @example
 * ```ts
 * import { createOutbox, memoryOutboxStorage } from 'mattermost-pat/events';
 * const outbox = createOutbox({ storage: memoryOutboxStorage(), targets: [url] });
 * outbox.append('token.revoked', { tokenId, userId }, meta);
 * const entry = outbox.next(url); // { seq: 1, event: 'token.revoked', … }
 * outbox.ack(url, entry!.seq);
 * ```
 */
import type { HookEventMeta, HookEventName, HookEvents } from '../hooks/hook-bus.js';
import { newId } from '../util/ids.js';
import { silentLogger, type Logger } from '../logger.js';

/** One event owed to subscribers. */
export interface OutboxEntry {
  seq: number;
  event: HookEventName;
  payload: HookEvents[HookEventName];
  eventId: string;
  emittedAt: number;
  /** How many events this entry stands for (1 unless coalesced). */
  coalesced: number;
}

/** A subscriber's position: everything up to `acked` reached it. */
export interface OutboxCursor {
  target: string;
  acked: number;
  /** Highest seq dropped before this subscriber acknowledged it (0 = none): its next `prev`. */
  lostThrough: number;
}

/** What a storage holds. */
export interface OutboxState {
  /** Stable id of this source (created on first open). */
  sourceId: string;
  /** The seq the next event gets. */
  nextSeq: number;
  entries: OutboxEntry[];
  cursors: OutboxCursor[];
}

/** One write: applied in order (puts, then deletes), atomically when the storage can. */
export interface OutboxWrite {
  put?: readonly OutboxEntry[];
  delete?: readonly number[];
  cursors?: readonly OutboxCursor[];
  deleteCursors?: readonly string[];
  /** Set with every append, so a seq is never reused after a restart. */
  meta?: { sourceId: string; nextSeq: number };
}

/**
 * Where the outbox lives. `load()` is called once; `write()` may return a promise (durable when
 * it resolves); a failed write is logged and the in-memory outbox carries on.
 */
export interface OutboxStorage {
  load(): OutboxState | undefined;
  write(change: OutboxWrite): void | Promise<void>;
}

/** Kinds one user can cause in bulk: coalesced per user and bounded per kind. */
export const BULK_EVENTS: ReadonlySet<HookEventName> = new Set<HookEventName>(['session.revoked', 'token.created']);

export interface OutboxOptions {
  storage: OutboxStorage;
  /** Subscribers (webhook URLs). Cursors of other URLs are deleted; a new URL starts at the current end. */
  targets: readonly string[];
  /** Pending users per bulk kind. Default 10 000. */
  bulkLimit?: number;
  /** Hard bound of the whole log. Default 100 000. */
  maxEntries?: number;
  logger?: Logger;
}

export interface Outbox {
  readonly sourceId: string;
  /** Add an event; returns its entry. */
  append<E extends HookEventName>(event: E, payload: HookEvents[E], meta: HookEventMeta): OutboxEntry;
  /** The first entry `target` has not acknowledged, or undefined. */
  next(target: string): OutboxEntry | undefined;
  /** The `prev` claim for `target`'s next delivery. */
  prev(target: string): number;
  /** `target` acknowledged everything up to `seq`. */
  ack(target: string, seq: number): void;
  /** Entries not yet acknowledged by `target`. */
  pendingFor(target: string): number;
  /** Entries in the log. */
  readonly size: number;
  /** Entries dropped by a bound (never coalescing) since start. */
  readonly dropped: number;
  /** Events merged into a pending one since start. */
  readonly coalesced: number;
  /** Resolves when every write issued so far has settled. */
  settled(): Promise<void>;
  /** Resolves when every event appended so far is stored (durable when the storage is). */
  appended(): Promise<void>;
}

/** An outbox kept in memory only (the default: it survives nothing but a slow receiver). */
export function memoryOutboxStorage(): OutboxStorage {
  return { load: () => undefined, write: () => undefined };
}

/** Coalescing key of a bulk event: kind and user. */
const bulkKey = (event: HookEventName, payload: HookEvents[HookEventName]): string | undefined =>
  (BULK_EVENTS.has(event) && 'userId' in payload && typeof payload.userId === 'string' ? `${event}\0${payload.userId}` : undefined);

/**
 * Open an outbox on `storage`.
 *
 * @example
 * ```ts
 * const outbox = createOutbox({ storage: memoryOutboxStorage(), targets: ['http://10.0.0.2/mattermost-pat/events'] });
 * ```
 */
export function createOutbox(options: OutboxOptions): Outbox {
  const { storage, targets, bulkLimit = 10_000, maxEntries = 100_000, logger = silentLogger } = options;
  const loaded = storage.load();
  const sourceId = loaded?.sourceId ?? newId();
  let nextSeq = Math.max(1, loaded?.nextSeq ?? 1);
  /** Entries by seq; insertion order is seq order (a coalesced event is a new, later entry). */
  const entries = new Map<number, OutboxEntry>();
  /** Seqs in ascending order, with deleted ones left in place until compaction (binary search). */
  let order: number[] = [];
  const byKey = new Map<string, number>();
  const bulkByKind = new Map<HookEventName, Map<number, OutboxEntry>>();
  const cursors = new Map<string, OutboxCursor>();
  let dropped = 0;
  let coalesced = 0;
  let writes: Promise<void> = Promise.resolve();
  let appends: Promise<void> = Promise.resolve();

  /** Issue a write; returns a promise that settles (never rejects: failures are logged) with it. */
  const write = (change: OutboxWrite): Promise<void> | undefined => {
    let result: void | Promise<void>;
    try {
      result = storage.write(change);
    } catch (err) {
      logger.error('event outbox: write failed', { error: err instanceof Error ? err.message : String(err) });
      return undefined;
    }
    if (result === undefined) return undefined;
    const settled = result.catch((err: unknown) => {
      logger.error('event outbox: write failed', { error: err instanceof Error ? err.message : String(err) });
    });
    writes = Promise.all([writes, settled]).then(() => undefined);
    return settled;
  };

  // Acknowledgements are written one batch at a time: a lost one only means a redelivery, which
  // the receiver recognizes by seq, so they need not cost one durable write each.
  let ackedCursors = new Map<string, OutboxCursor>();
  let ackedDeletes: number[] = [];
  let ackWriting = false;
  const writeAcks = () => {
    if (ackWriting || ackedCursors.size === 0) return;
    const change: OutboxWrite = { cursors: [...ackedCursors.values()].map((c) => ({ ...c })), delete: ackedDeletes };
    ackedCursors = new Map();
    ackedDeletes = [];
    const pending = write(change);
    if (pending === undefined) return;
    ackWriting = true;
    void pending.then(() => { ackWriting = false; writeAcks(); });
  };

  const index = (entry: OutboxEntry) => {
    entries.set(entry.seq, entry);
    order.push(entry.seq);
    const key = bulkKey(entry.event, entry.payload);
    if (key === undefined) return;
    byKey.set(key, entry.seq);
    let kind = bulkByKind.get(entry.event);
    if (!kind) bulkByKind.set(entry.event, (kind = new Map()));
    kind.set(entry.seq, entry);
  };

  const unindex = (seq: number) => {
    const entry = entries.get(seq);
    if (!entry) return;
    entries.delete(seq);
    const key = bulkKey(entry.event, entry.payload);
    if (key !== undefined) {
      if (byKey.get(key) === seq) byKey.delete(key);
      bulkByKind.get(entry.event)?.delete(seq);
    }
    // Deleted seqs stay in `order` until they are the majority: O(1) amortized per delete.
    if (order.length > 64 && entries.size * 2 < order.length) order = order.filter((s) => entries.has(s));
  };

  for (const entry of loaded?.entries ?? []) {
    if (entry.seq >= nextSeq) nextSeq = entry.seq + 1;
  }
  for (const entry of [...(loaded?.entries ?? [])].sort((a, b) => a.seq - b.seq)) index(entry);
  const known = new Map((loaded?.cursors ?? []).map((c) => [c.target, c]));
  const staleCursors = [...known.keys()].filter((t) => !targets.includes(t));
  const newCursors: OutboxCursor[] = [];
  for (const target of targets) {
    const cursor = known.get(target) ?? { target, acked: nextSeq - 1, lostThrough: 0 };
    if (!known.has(target)) newCursors.push(cursor);
    cursors.set(target, { ...cursor });
  }

  const minAcked = () => {
    let min = nextSeq - 1;
    for (const c of cursors.values()) min = Math.min(min, c.acked);
    return min;
  };

  /** Delete every entry all subscribers acknowledged; returns the deleted seqs. */
  const compact = (): number[] => {
    const floor = minAcked();
    const gone: number[] = [];
    for (const seq of entries.keys()) {
      if (seq > floor) break;
      gone.push(seq);
    }
    for (const seq of gone) unindex(seq);
    return gone;
  };

  /** Drop an entry to respect a bound: subscribers behind it will see a gap. */
  const drop = (entry: OutboxEntry, why: string, changed: Map<string, OutboxCursor>) => {
    unindex(entry.seq);
    dropped++;
    for (const c of cursors.values()) {
      if (c.acked < entry.seq && c.lostThrough < entry.seq) { c.lostThrough = entry.seq; changed.set(c.target, c); }
    }
    logger[why === 'maxEntries' ? 'error' : 'warn']('event outbox full, oldest event dropped; subscribers behind it will reset their caches', {
      event: entry.event, eventId: entry.eventId, seq: entry.seq, bound: why,
    });
  };

  // Persist the set-up: the source id on first open, new and removed subscribers.
  const removed = compact();
  if (loaded === undefined || newCursors.length > 0 || staleCursors.length > 0 || removed.length > 0) {
    write({ meta: { sourceId, nextSeq }, cursors: newCursors, deleteCursors: staleCursors, delete: removed });
  }

  const firstAfter = (acked: number): number => {
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (order[mid] <= acked) lo = mid + 1; else hi = mid;
    }
    return lo;
  };

  const nextFor = (cursor: OutboxCursor): OutboxEntry | undefined => {
    for (let i = firstAfter(cursor.acked); i < order.length; i++) {
      const entry = entries.get(order[i]);
      if (entry) return entry;
    }
    return undefined;
  };
  const headOfSomeCursor = (seq: number) => {
    for (const c of cursors.values()) if (nextFor(c)?.seq === seq) return true;
    return false;
  };

  return {
    sourceId,
    append(event, payload, meta) {
      const changed = new Map<string, OutboxCursor>();
      const deletes: number[] = [];
      const key = bulkKey(event, payload);
      let count = 1;
      const previous = key === undefined ? undefined : byKey.get(key);
      // Never into an entry that is some subscriber's next one: it may be on the wire already.
      if (previous !== undefined && !headOfSomeCursor(previous)) {
        const old = entries.get(previous) as OutboxEntry;
        count = old.coalesced + 1;
        unindex(previous);
        deletes.push(previous);
        coalesced++;
      }
      const entry: OutboxEntry = { seq: nextSeq++, event, payload, eventId: meta.eventId, emittedAt: meta.emittedAt, coalesced: count };
      index(entry);
      const kind = key === undefined ? undefined : bulkByKind.get(event);
      if (kind !== undefined && kind.size > bulkLimit) {
        const oldest = kind.values().next().value as OutboxEntry;
        drop(oldest, 'bulkLimit', changed);
        deletes.push(oldest.seq);
      }
      if (entries.size > maxEntries) {
        const oldest = entries.values().next().value as OutboxEntry;
        drop(oldest, 'maxEntries', changed);
        deletes.push(oldest.seq);
      }
      // With no subscriber behind, nothing is owed: the entry is gone as soon as it is written.
      const compacted = compact();
      const kept = entries.has(entry.seq);
      const stored = write({
        meta: { sourceId, nextSeq },
        ...(kept ? { put: [entry] } : {}),
        delete: [...deletes, ...compacted.filter((s) => s !== entry.seq)],
        cursors: [...changed.values()].map((c) => ({ ...c })),
      });
      if (stored !== undefined) appends = Promise.all([appends, stored]).then(() => undefined);
      return entry;
    },
    next(target) {
      const cursor = cursors.get(target);
      return cursor && nextFor(cursor);
    },
    prev(target) {
      const cursor = cursors.get(target);
      if (!cursor) return 0;
      return cursor.lostThrough > cursor.acked ? cursor.lostThrough : cursor.acked;
    },
    ack(target, seq) {
      const cursor = cursors.get(target);
      if (!cursor || seq <= cursor.acked && cursor.lostThrough <= cursor.acked) return;
      cursor.acked = Math.max(cursor.acked, seq);
      if (cursor.lostThrough <= cursor.acked) cursor.lostThrough = 0;
      ackedCursors.set(target, cursor);
      ackedDeletes.push(...compact());
      writeAcks();
    },
    pendingFor(target) {
      const cursor = cursors.get(target);
      if (!cursor) return 0;
      let n = 0;
      for (let i = firstAfter(cursor.acked); i < order.length; i++) if (entries.has(order[i])) n++;
      return n;
    },
    get size() { return entries.size; },
    get dropped() { return dropped; },
    get coalesced() { return coalesced; },
    async settled() {
      do await writes; while (ackWriting || ackedCursors.size > 0);
    },
    appended: () => appends,
  };
}
