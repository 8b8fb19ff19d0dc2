/**
 * Views of frozen records, made once. The store's records are frozen and a commit replaces a
 * record rather than changing it, so a view built from one (the User JSON of a user record, say)
 * stays right for as long as that record object lives: it is kept in a `WeakMap` keyed by the
 * record, frozen, with its JSON text made the first time it is sent. A record that is not frozen
 * (one being built before its commit) gets a fresh view every time.
 *
 * @example
 * ```ts
 * const FULL = viewCache<UserRecord, UserJson>();
 * const view = memoView(FULL, record, buildFullView); // the same frozen object for the same record
 * sendJson(ctx, view);                               // JSON.stringify once per record, not per request
 * ```
 */

/** One kind of view (e.g. the full User JSON), by record. */
export type ViewCache<R extends object, V extends object> = WeakMap<R, V>;

/** A cache for one kind of view. */
export function viewCache<R extends object, V extends object>(): ViewCache<R, V> {
  return new WeakMap<R, V>();
}

/** The JSON text of memoized views, by view (only views {@link memoView} made are kept). */
const texts = new WeakMap<object, string>();
const views = new WeakSet<object>();

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * The view of `record` from `cache`, built by `build` (and frozen) the first time; a record that
 * is not frozen is built afresh and not kept.
 */
export function memoView<R extends object, V extends object>(cache: ViewCache<R, V>, record: R, build: (record: R) => V): V {
  if (!Object.isFrozen(record)) return build(record);
  let view = cache.get(record);
  if (view === undefined) {
    view = deepFreeze(build(record));
    cache.set(record, view);
    views.add(view);
  }
  return view;
}

/**
 * `JSON.stringify(value)`, kept for a view {@link memoView} made (frozen, deeply) so that sending
 * the same view again costs a `WeakMap` lookup; any other value is serialized every time.
 */
export function viewJson(value: unknown): string {
  if (value === null || typeof value !== 'object' || !views.has(value)) return JSON.stringify(value);
  let text = texts.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    texts.set(value, text);
  }
  return text;
}
