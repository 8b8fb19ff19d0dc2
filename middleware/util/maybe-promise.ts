/**
 * Internal: chain values that may or may not be promises without adding a microtask when they are
 * not (the sync fast path of `storeResolver()` and `authenticate()`).
 */

export type MaybePromise<T> = T | Promise<T>;

/** True for promises and other thenables. */
export function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return value !== null && (typeof value === 'object' || typeof value === 'function')
    && typeof (value as { then?: unknown }).then === 'function';
}

/** `f(value)` now when `value` is plain, `value.then(f)` when it is a promise. */
export function chain<T, R>(value: T | PromiseLike<T>, f: (v: T) => MaybePromise<R>): MaybePromise<R> {
  if (isPromiseLike<T>(value)) return Promise.resolve(value).then(f);
  return f(value);
}
