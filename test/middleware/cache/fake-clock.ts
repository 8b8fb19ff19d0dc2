/**
 * A clock and a timer for the principal cache's `now` and `setTimer` options: time moves only
 * when a test says so, and timers fire in order as it passes them, so no test sleeps for a TTL or
 * a revalidation interval.
 */
import type { SetTimer } from '../../../middleware/cache/principal-cache.js';

export interface FakeClock {
  /** The `now` option. */
  now: () => number;
  /** The `setTimer` option. */
  setTimer: SetTimer;
  /** Move time forward by `ms`, firing every timer due on the way (in due order, at its due time). */
  advance(ms: number): void;
  /** Move time forward without firing anything (a timer that has not run yet). */
  skip(ms: number): void;
  /** Timers armed and neither fired nor cancelled. */
  readonly armed: number;
}

interface Timer { at: number; run: () => void; live: boolean }

export function fakeClock(start = 1_000_000): FakeClock {
  let t = start;
  let timers: Timer[] = [];
  const clock: FakeClock = {
    now: () => t,
    setTimer(run, delayMs) {
      const timer = { at: t + delayMs, run, live: true };
      timers.push(timer);
      return () => { timer.live = false; };
    },
    advance(ms) {
      const end = t + ms;
      for (;;) {
        timers = timers.filter((x) => x.live);
        const next = timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
        if (next === undefined) break;
        t = Math.max(t, next.at);
        next.live = false;
        next.run();
      }
      t = end;
    },
    skip(ms) { t += ms; },
    get armed() { return timers.filter((x) => x.live).length; },
  };
  return clock;
}
