/** An `OutboxStorage` that applies every write to a plain state, as a database would, and can be reopened. */
import type { OutboxState, OutboxStorage, OutboxWrite } from '../../../../middleware/events/event-outbox.js';

export interface RecordingStorage extends OutboxStorage {
  state(): OutboxState | undefined;
  readonly writes: OutboxWrite[];
}

export function recordingStorage(): RecordingStorage {
  let state: OutboxState | undefined;
  const writes: OutboxWrite[] = [];
  return {
    writes,
    state: () => state && structuredClone(state),
    load: () => state && structuredClone(state),
    write(change) {
      writes.push(structuredClone(change));
      state ??= { sourceId: '', nextSeq: 1, entries: [], cursors: [] };
      if (change.meta) { state.sourceId = change.meta.sourceId; state.nextSeq = change.meta.nextSeq; }
      state.entries.push(...(change.put ?? []));
      const gone = new Set(change.delete ?? []);
      state.entries = state.entries.filter((e) => !gone.has(e.seq));
      for (const c of change.cursors ?? []) state.cursors = [...state.cursors.filter((x) => x.target !== c.target), c];
      state.cursors = state.cursors.filter((c) => !(change.deleteCursors ?? []).includes(c.target));
    },
  };
}
