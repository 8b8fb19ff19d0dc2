/**
 * A connection's bounded replay buffer: Mattermost's `deadQueue` (the last events written to the
 * socket, kept so a client reconnecting with `sequence_number` gets what it missed), here also
 * holding the events routed to the connection while it was disconnected (Mattermost queues those
 * in the connection's send channel). A ring of `capacity` entries; the oldest fall out.
 *
 * @example
 * ```ts
 * const buffer = new ResumeBuffer(128);
 * buffer.push(0, hello);
 * buffer.from(0); // [{ seq: 0, frame: hello }] — replay from the client's sequence_number
 * ```
 */
import type { PrecomputedEvent } from './frames.js';

/** One buffered event and the seq it was sent (or queued) with. */
export interface BufferedEvent {
  readonly seq: number;
  readonly frame: PrecomputedEvent;
}

export class ResumeBuffer {
  private readonly ring: (BufferedEvent | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array<BufferedEvent | undefined>(capacity);
  }

  /** Number of events held. */
  get size(): number {
    return this.count;
  }

  /** Append an event (the oldest is dropped when full). */
  push(seq: number, frame: PrecomputedEvent): void {
    if (this.capacity === 0) return;
    this.ring[this.next] = { seq, frame };
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Events with `seq >= from`, oldest first, or undefined when `from` is no longer (or never was) held. */
  from(from: number): BufferedEvent[] | undefined {
    const all = this.entries();
    const at = all.findIndex((e) => e.seq === from);
    return at < 0 ? undefined : all.slice(at);
  }

  /** Seq of the newest event, or undefined when empty. */
  get lastSeq(): number | undefined {
    return this.count === 0 ? undefined : this.ring[(this.next - 1 + this.capacity) % this.capacity]?.seq;
  }

  /** Drop everything. */
  clear(): void {
    this.ring.fill(undefined);
    this.next = 0;
    this.count = 0;
  }

  private entries(): BufferedEvent[] {
    const out: BufferedEvent[] = [];
    const start = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) {
      const e = this.ring[(start + i) % this.capacity];
      if (e !== undefined) out.push(e);
    }
    return out;
  }
}
