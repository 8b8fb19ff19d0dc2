/**
 * Observers of new posts, per store: what Mattermost's `handlePostEvents` does after a post is
 * saved (here: outgoing webhooks). `createPost` calls {@link notifyPostCreated} once the post is
 * committed; an observer runs synchronously, must not throw (a throw is swallowed so a post never
 * fails because of an observer), and starts any slow work (HTTP calls) in the background.
 * Observers are keyed by store, so several mock servers in one process never see each other's posts.
 *
 * @example
 * ```ts
 * const stop = observePosts(server.store, (post) => { if (post.message.startsWith('deploy')) notify(post); });
 * stop(); // no more calls
 * ```
 */
import type { PostRecord, Store } from '../db/schema.js';

/** Called with every post committed to the store it observes. */
export type PostObserver = (post: PostRecord) => void;

const observers = new WeakMap<Store, Set<PostObserver>>();

/**
 * Observe the posts created in `store`; returns the function that stops it.
 *
 * @example
 * ```ts
 * const stop = observePosts(store, (post) => seen.push(post.id));
 * ```
 */
export function observePosts(store: Store, observer: PostObserver): () => void {
  let set = observers.get(store);
  if (set === undefined) {
    set = new Set();
    observers.set(store, set);
  }
  set.add(observer);
  return () => { observers.get(store)?.delete(observer); };
}

/**
 * Tell the observers of `store` about a committed post.
 *
 * @example
 * ```ts
 * await store.commit(postMutations(store, channel, post));
 * notifyPostCreated(store, post);
 * ```
 */
export function notifyPostCreated(store: Store, post: PostRecord): void {
  const set = observers.get(store);
  if (set === undefined) return;
  for (const observer of set) {
    try {
      observer(post);
    } catch {
      // An observer's failure is its own (it logs); the post stays created.
    }
  }
}
