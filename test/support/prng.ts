/**
 * Small seeded PRNG (mulberry32) for tests that vary a moment or a choice: different values,
 * but the same way on every run.
 *
 * @example
 * ```ts
 * const random = prng(42);
 * const delayMs = Math.floor(random() * 50); // the same sequence on every run
 * ```
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
