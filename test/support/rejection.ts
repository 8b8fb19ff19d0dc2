/**
 * The reason a promise rejects with; fails the test when it resolves instead.
 *
 * @example
 * ```ts
 * const err = await rejection(openStore({ file }));
 * expect(err).to.be.instanceOf(StoreCorruptError);
 * ```
 */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => { throw new Error('expected a rejection'); }, (err: unknown) => err);
}
