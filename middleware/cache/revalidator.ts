/**
 * The principal cache's background scheduler for refresh-ahead revalidation: items due at a time
 * (a binary min-heap on `dueAt`), started when due with at most `concurrency` running, on one
 * timer armed for the earliest due time. It knows nothing about principals: the cache says what a
 * check is, whether an item is still live, and re-schedules after each check. Never on a request's
 * path: only the timer (or `runDue()`) starts checks.
 *
 * The timer comes from `setTimer` (default: `setTimeout`, unref'd so it never keeps a process
 * alive) and is cancelled by `close()`; with an injected clock and timer, tests move time instead
 * of sleeping.
 *
 * @example
 * ```ts
 * const scheduler = createRevalidator({ now, setTimer: unrefTimer, concurrency: 4, isLive, check, live: () => map.size });
 * scheduler.schedule(entry, now() + 30_000);
 * ```
 */
import { isPromiseLike, type MaybePromise } from '../util/maybe-promise.js';

/** Run `run` after `delayMs`; returns the function that cancels it. */
export type SetTimer = (run: () => void, delayMs: number) => () => void;

/** `setTimeout`, unref'd: a pending re-check never keeps the process alive. */
export const unrefTimer: SetTimer = (run, delayMs) => {
  const timer = setTimeout(run, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
};

/** Something the scheduler can queue. */
export interface Schedulable {
  dueAt: number;
}

export interface RevalidatorOptions<T extends Schedulable> {
  now: () => number;
  setTimer: SetTimer;
  /** Checks running at once, at most. */
  concurrency: number;
  /** Whether a queued item still matters (it may have been evicted since). */
  isLive(item: T): boolean;
  /** Run the check; it must not throw or reject (it handles its own failures). */
  check(item: T): MaybePromise<void>;
  /** Live items the owner holds (to compact the queue of dead ones). */
  live(): number;
}

export interface Revalidator<T extends Schedulable> {
  /** Queue `item` for `dueAt` (ms, on the injected clock). */
  schedule(item: T, dueAt: number): void;
  /** Start what is due now; resolves once nothing due is left and nothing runs. */
  runDue(): Promise<void>;
  /** Checks running now. */
  readonly running: number;
  /** Cancel the timer and drop the queue; running checks finish, nothing new starts. */
  close(): void;
}

/** `setTimeout`'s largest delay. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * Create a scheduler.
 * @example
 * ```ts
 * const r = createRevalidator({ now: () => clock, setTimer, concurrency: 2, isLive: () => true, check, live: () => 1 });
 * ```
 */
export function createRevalidator<T extends Schedulable>(options: RevalidatorOptions<T>): Revalidator<T> {
  const { now, setTimer, concurrency, isLive, check, live } = options;
  const heap: T[] = [];
  let running = 0;
  let closed = false;
  let cancelTimer: (() => void) | undefined;
  let armedFor = Infinity;
  let idle: Array<() => void> = [];

  const up = (i: number) => {
    const item = heap[i] as T;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as T).dueAt <= item.dueAt) break;
      heap[i] = heap[parent] as T;
      i = parent;
    }
    heap[i] = item;
  };
  const down = (i: number) => {
    const item = heap[i] as T;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= heap.length) break;
      if (child + 1 < heap.length && (heap[child + 1] as T).dueAt < (heap[child] as T).dueAt) child++;
      if ((heap[child] as T).dueAt >= item.dueAt) break;
      heap[i] = heap[child] as T;
      i = child;
    }
    heap[i] = item;
  };
  const pop = (): T => {
    const top = heap[0] as T;
    const last = heap.pop() as T;
    if (heap.length > 0) { heap[0] = last; down(0); }
    return top;
  };
  /** Evicted entries stay queued until due; rebuild when they outnumber the live ones. */
  const compact = () => {
    if (heap.length <= 2 * live() + 1024) return;
    const kept = heap.filter(isLive);
    heap.length = 0;
    heap.push(...kept);
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
  };

  const arm = () => {
    if (closed || heap.length === 0 || running >= concurrency) return; // a finishing check pumps
    const next = (heap[0] as T).dueAt;
    if (next >= armedFor) return;
    cancelTimer?.();
    armedFor = next;
    cancelTimer = setTimer(() => {
      cancelTimer = undefined;
      armedFor = Infinity;
      pump();
    }, Math.min(MAX_DELAY, Math.max(0, next - now())));
  };

  const finished = () => {
    running--;
    pump();
  };

  function pump(): void {
    const t = now();
    while (!closed && running < concurrency && heap.length > 0 && (heap[0] as T).dueAt <= t) {
      const item = pop();
      if (!isLive(item)) continue;
      running++;
      const result = check(item);
      if (isPromiseLike(result)) result.then(finished, finished);
      else running--;
    }
    arm();
    if (running === 0 && (closed || heap.length === 0 || (heap[0] as T).dueAt > t)) {
      for (const resolve of idle.splice(0)) resolve();
    }
  }

  return {
    schedule(item, dueAt) {
      if (closed) return;
      item.dueAt = dueAt;
      heap.push(item);
      up(heap.length - 1);
      compact();
      arm();
    },
    runDue() {
      const done = new Promise<void>((resolve) => { idle.push(resolve); });
      pump();
      return done;
    },
    get running() { return running; },
    close() {
      closed = true;
      cancelTimer?.();
      cancelTimer = undefined;
      heap.length = 0;
      const waiting = idle;
      idle = [];
      for (const resolve of waiting) resolve();
    },
  };
}
