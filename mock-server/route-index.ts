/**
 * An index over a `@koa/router` router's layers, so that matching a request tests a handful of
 * route regexps instead of every one (`Router.match` tries all ~130 of the API's layers, in order,
 * on every request: 12 % of the CPU of `GET /api/v4/users/me`).
 *
 * The index only narrows the candidates; the answer is still the router's own: every candidate is
 * tested with its layer's regexp, in registration order, and the result is built exactly as
 * `Router.match` builds it. A layer is indexed when its path is a plain string of static segments
 * (`users`, `tokens`) and whole-segment parameters (`:user_id`) and its options are the defaults
 * (`end`, not `strict`, not `sensitive`): such a layer's regexp matches only a path of the same
 * number of non-empty segments (a trailing slash allowed), whose static segments equal its own,
 * ignoring ASCII case. Every other layer (router middleware, regexps, wildcards, optional parts,
 * custom options) is a candidate for every path. The candidates of a path are remembered (a
 * bounded map), since most requests repeat a few paths.
 *
 * @example
 * ```ts
 * const router = new Router({ prefix: '/api/v4' });
 * for (const register of routes) register(router, server);
 * indexRoutes(router); // after the last route is registered
 * app.use(router.routes());
 * ```
 */
import type Router from '@koa/router';
import type Koa from 'koa';

type Layer = Router['stack'][number];
type MatchResult = ReturnType<Router['match']>;

/** A trie node: the indexed layers whose path ends here, and the branches below. */
interface TrieNode {
  readonly statics: Map<string, TrieNode>;
  param: TrieNode | undefined;
  readonly ends: number[];
}

interface RouteIndex {
  /** The stack the index was built from (rebuilt when the router's stack changes size). */
  readonly size: number;
  readonly root: TrieNode;
  /** Layers that are candidates for every path, by stack position. */
  readonly always: readonly number[];
  /** Candidates (stack positions, ascending) by request path. */
  readonly seen: Map<string, readonly number[]>;
}

/** Paths whose candidates are remembered; beyond, the map starts over (ids in paths vary). */
const SEEN_PATHS = 4096;

const STATIC_SEGMENT = /^[A-Za-z0-9_.~-]+$/;
const PARAM_SEGMENT = /^:[A-Za-z_$][A-Za-z0-9_$]*$/;

const node = (): TrieNode => ({ statics: new Map(), param: undefined, ends: [] });

/** The segments of an indexable layer's path (`':'` for a parameter), or undefined. */
function shapeOf(layer: Layer): string[] | undefined {
  const { path, opts } = layer;
  if (typeof path !== 'string' || layer.methods.length === 0) return undefined;
  const o = opts as { end?: boolean; strict?: boolean; sensitive?: boolean; trailing?: boolean; pathAsRegExp?: boolean };
  if (o.pathAsRegExp === true || o.end === false || o.strict === true || o.sensitive === true || o.trailing === false) return undefined;
  if (!path.startsWith('/')) return undefined;
  const segments = path.slice(1).split('/');
  const shape: string[] = [];
  for (const segment of segments) {
    if (PARAM_SEGMENT.test(segment)) shape.push(':');
    else if (STATIC_SEGMENT.test(segment)) shape.push(segment.toLowerCase());
    else return undefined;
  }
  return shape;
}

function build(stack: readonly Layer[]): RouteIndex {
  const root = node();
  const always: number[] = [];
  stack.forEach((layer, position) => {
    const shape = shapeOf(layer);
    if (shape === undefined) {
      always.push(position);
      return;
    }
    let at = root;
    for (const segment of shape) {
      if (segment === ':') {
        at.param ??= node();
        at = at.param;
      } else {
        let next = at.statics.get(segment);
        if (next === undefined) {
          next = node();
          at.statics.set(segment, next);
        }
        at = next;
      }
    }
    at.ends.push(position);
  });
  return { size: stack.length, root, always, seen: new Map() };
}

/** Stack positions of the layers that may match `path`, ascending. */
function candidates(index: RouteIndex, path: string): readonly number[] {
  const known = index.seen.get(path);
  if (known !== undefined) return known;
  const found = [...index.always];
  if (path.startsWith('/')) {
    // One trailing slash is optional in every indexed layer's regexp.
    const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    let nodes: TrieNode[] = [index.root];
    for (const segment of trimmed.slice(1).split('/')) {
      const key = segment.toLowerCase();
      const next: TrieNode[] = [];
      for (const at of nodes) {
        const s = at.statics.get(key);
        if (s !== undefined) next.push(s);
        if (at.param !== undefined && segment !== '') next.push(at.param);
      }
      nodes = next;
      if (nodes.length === 0) break;
    }
    for (const at of nodes) found.push(...at.ends);
    found.sort((a, b) => a - b);
  } else {
    // Not a path the trie can walk: every layer is a candidate.
    found.length = 0;
    for (let i = 0; i < index.size; i++) found.push(i);
  }
  if (index.seen.size >= SEEN_PATHS) index.seen.clear();
  index.seen.set(path, found);
  return found;
}

/**
 * Replace `router.match` with the indexed match (same results, in the same order). Call it after
 * the routes are registered; a router whose stack changes size afterwards is re-indexed.
 */
export function indexRoutes(router: Router): void {
  let index = build(router.stack);
  const match = (path: string, method: string): MatchResult => {
    const { stack } = router;
    if (stack.length !== index.size) index = build(stack);
    // As Router.match: every layer whose regexp matches the path, in order; those of the method
    // (or without methods: router middleware) run; a route matched when one with methods did.
    const result: MatchResult = { path: [], pathAndMethod: [], route: false };
    const normalizedMethod = method.toUpperCase();
    for (const position of candidates(index, path)) {
      const layer = stack[position];
      if (layer === undefined || !layer.match(path)) continue;
      result.path.push(layer);
      const isMiddleware = layer.methods.length === 0;
      if (isMiddleware || layer.methods.includes(normalizedMethod)) {
        result.pathAndMethod.push(layer);
        if (!isMiddleware) result.route = true;
      }
    }
    return result;
  };
  Object.assign(router, { match });
}

/** What `@koa/router` writes on the context while dispatching (`ctx.params` is what handlers read). */
interface RouterContextFields {
  matched?: Layer[];
  router?: Router;
  routeMatched?: boolean;
  captures?: string[];
  params?: Record<string, string>;
  routerPath?: string | RegExp;
  routerName?: string;
  _matchedRoute?: string | RegExp;
  _matchedRouteName?: string;
  newRouterPath?: string;
}

/**
 * `router.routes()` over the index: {@link indexRoutes} plus a dispatch that does per request
 * what the router's own does for a matched route (the same context fields, the matched layers'
 * middleware in order) without building and composing a new middleware chain each time: each
 * layer's middleware is run in place. A request no route matches (404, 405 paths) and a router
 * with a `host` option go through the router's own middleware, unchanged.
 *
 * @example
 * ```ts
 * app.use(indexedRoutes(router)); // instead of app.use(router.routes())
 * ```
 */
export function indexedRoutes(router: Router): Koa.Middleware {
  indexRoutes(router);
  const own = router.routes() as unknown as Koa.Middleware;
  if ((router.opts as { host?: unknown }).host !== undefined) return own;
  const routerPath = (router.opts as { routerPath?: string }).routerPath;
  return function indexedDispatch(ctx, next) {
    const c = ctx as unknown as Koa.Context & RouterContextFields;
    const path = routerPath || c.newRouterPath || c.path || (c.routerPath as string | undefined) || '';
    const found = router.match(path, c.method);
    if (!found.route) return own(ctx, next);
    if (c.matched) c.matched.push(...found.path);
    else c.matched = found.path;
    c.router = router;
    c.routeMatched = true;
    const layers = found.pathAndMethod;
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i];
      if (layer !== undefined && layer.methods.length > 0) {
        c._matchedRoute = layer.path;
        if (layer.name) c._matchedRouteName = layer.name;
        break;
      }
    }
    return runLayers(layers, 0, path, c, next);
  };
}

/** The router's per-layer step (params, captures, route name and path), then the layer's middleware, then the next layer. */
function runLayers(layers: readonly Layer[], at: number, path: string, ctx: Koa.Context & RouterContextFields, next: Koa.Next): Promise<void> {
  const layer = layers[at];
  if (layer === undefined) return next();
  try {
    const captures = layer.captures(path);
    ctx.captures = captures;
    const params = layer.params(path, captures, ctx.params);
    (ctx.request as { params?: Record<string, string> }).params = params;
    ctx.params = params;
    ctx.routerPath = layer.path;
    ctx.routerName = layer.name || undefined;
    ctx._matchedRoute = layer.path;
    if (layer.name) ctx._matchedRouteName = layer.name;
  } catch (err) {
    return Promise.reject(err);
  }
  return runMiddleware(layer.stack as unknown as readonly Koa.Middleware[], 0, ctx, () => runLayers(layers, at + 1, path, ctx, next));
}

/** koa-compose over a fixed array: a throw becomes a rejection. */
function runMiddleware(stack: readonly Koa.Middleware[], i: number, ctx: Koa.Context, next: Koa.Next): Promise<void> {
  const fn = stack[i];
  if (fn === undefined) return next();
  try {
    return Promise.resolve(fn(ctx, () => runMiddleware(stack, i + 1, ctx, next)));
  } catch (err) {
    return Promise.reject(err);
  }
}
