/**
 * The mock server's clock: the caller's `now` (default `Date.now`) plus an offset that only moves
 * forward, so an expiry test can jump past a token's `expires_at` without sleeping. Every part of
 * the mock (services, resolver, session cache, logs, rate limit) reads this one clock, so a jump
 * is seen everywhere at once.
 *
 * @example
 * ```ts
 * const clock = createMockClock(Date.now);
 * clock.advance(60 * 60_000); // an hour later, for every check that reads clock.now()
 * ```
 */

/** A clock whose time can be moved forward. */
export interface MockClock {
  /** Current time in ms since the epoch: the base clock plus {@link MockClock.offsetMs}. */
  now(): number;
  /** Milliseconds added to the base clock so far. */
  readonly offsetMs: number;
  /** Move the clock forward by `ms` (a whole number ≥ 0); returns the new time. */
  advance(ms: number): number;
  /** Drop the offset (back to the base clock). */
  reset(): void;
}

/**
 * Wrap a base clock.
 *
 * @example
 * ```ts
 * const clock = createMockClock(() => 1_000);
 * clock.advance(500); clock.now(); // 1500
 * ```
 */
export function createMockClock(base: () => number = Date.now): MockClock {
  let offset = 0;
  return {
    now: () => base() + offset,
    get offsetMs() { return offset; },
    advance(ms) {
      if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`clock.advance: ms must be a whole number >= 0, got ${String(ms)}`);
      offset += ms;
      return base() + offset;
    },
    reset() { offset = 0; },
  };
}
