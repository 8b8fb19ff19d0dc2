/**
 * The Koa apps the benchmark measures. Every app answers `GET /` with a small JSON body naming the
 * caller (`{"user":"…"}`), so the apps differ only in how they authenticate:
 *
 * | kind | authentication |
 * | --- | --- |
 * | `bare` | none (the baseline every ratio is against); with `heldTokens`, beside a store no request reads |
 * | `map` | raw `Map.get(secret)` (insecure: secrets in memory; the floor of any token check) |
 * | `sha-map` | SHA-256 of the secret per request, then `Map.get(digest)` |
 * | `jose` | `jwtVerify()` of an HS256 JWT (jose) |
 * | `koa-jwt` | koa-jwt (jsonwebtoken) HS256 |
 * | `passport` | koa-passport + passport-http-bearer, verify = SHA-256 + Map |
 * | `middleware` | `authenticate()` + `cachedResolver(storeResolver(store))`, `tokens` in a sync store (docs/middleware.md's) |
 * | `remote` | `authenticate()` + `remoteResolver()` against `upstream` (the mock server) |
 * | `receiver` | `remote` plus `eventReceiver()` (HS256 `secret`): the second app of the revocation run |
 *
 * @example
 * ```ts
 * const target = await buildTarget({ kind: 'middleware', tokens: 1_000_000 });
 * http.createServer(target.app.callback()).listen(0, '127.0.0.1');
 * ```
 */
import Koa from 'koa';
import { jwtVerify } from 'jose';
import koaJwt from 'koa-jwt';
import passport from 'koa-passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { authenticate } from '../../middleware/auth/authenticate.js';
import { sha256Hex } from '../../middleware/util/digest.js';
import { errorBoundary } from '../../middleware/errors/error-boundary.js';
import { eventReceiver } from '../../middleware/events/event-receiver.js';
import { createHookBus } from '../../middleware/hooks/hook-bus.js';
import { remoteResolver } from '../../middleware/remote/remote-resolver.js';
import { cachedResolver } from '../../middleware/cache/session-cache.js';
import { storeResolver } from '../../middleware/auth/store-resolver.js';
import { compactTokenStore, JWT_SECRET, secretOf, syncTokenStore, usernameOf } from '../lib/fixtures.js';

export type TargetKind = 'bare' | 'map' | 'sha-map' | 'jose' | 'koa-jwt' | 'passport' | 'middleware' | 'remote' | 'receiver';

export interface TargetOptions {
  kind: TargetKind;
  /** Tokens in the store (`middleware`, `map`, `sha-map`, `passport`). Default 1000. */
  tokens?: number;
  /** `middleware`: one object per token in Maps (`objects`, default: {@link syncTokenStore}) or packed typed arrays (`compact`). */
  store?: 'objects' | 'compact';
  /**
   * `bare`: hold {@link syncTokenStore}`(heldTokens)` in memory, unread: the heap an app
   * with a big in-process store carries whether or not it authenticates (bench `bare-1M`).
   */
  heldTokens?: number;
  /** `middleware`: the cache's `maxEntries` (default: the cache's own default, 100 000). */
  maxEntries?: number;
  /**
   * `middleware`: requests for exactly this URL skip `authenticate()` and answer as `bare` does, so
   * one process serves both (bench/paired.ts compares the two in the same heap and JIT state).
   */
  bareUrl?: string;
  /** Mattermost (mock) base URL (`remote`, `receiver`). */
  upstream?: string;
  /** HS256 secret of the signed events (`receiver`). */
  eventSecret?: string;
}

export interface Target {
  readonly app: Koa;
  /** Counters worth reporting (cache size, upstream calls). */
  stats(): Record<string, number>;
}

/** `Authorization: Bearer <token>` → token, else undefined (the comparison points' extraction). */
function bearerToken(ctx: Koa.Context): string | undefined {
  const header = ctx.headers.authorization;
  return header !== undefined && header.startsWith('Bearer ') ? header.slice(7) : undefined;
}

function unauthorized(ctx: Koa.Context): void {
  ctx.status = 401;
  ctx.set('WWW-Authenticate', 'Bearer realm="bench", error="invalid_token"');
  ctx.body = { id: 'unauthorized' };
}

interface Named { readonly username: string }

/** Principals by raw secret (`map`) or by digest (`sha-map`, `passport`). */
function principals(n: number, key: (secret: string) => string): Map<string, Named> {
  const map = new Map<string, Named>();
  for (let i = 0; i < n; i++) map.set(key(secretOf(i)), { username: usernameOf(i % 10_000) });
  return map;
}

function reply(app: Koa, name: (ctx: Koa.Context) => string): void {
  app.use(function handler(ctx) {
    ctx.body = { user: name(ctx) };
  });
}

const authUsername = (ctx: Koa.Context) => ctx.state.auth?.username ?? '';

/** Build the app of one benchmark target. */
export async function buildTarget(options: TargetOptions): Promise<Target> {
  const { kind, tokens = 1000, upstream, eventSecret, store: storeKind = 'objects', maxEntries, bareUrl, heldTokens } = options;
  const app = new Koa();
  app.silent = true;
  let stats = (): Record<string, number> => ({});

  switch (kind) {
    case 'bare': {
      reply(app, () => 'anonymous');
      if (heldTokens === undefined) break;
      const held = syncTokenStore(heldTokens);
      stats = () => ({ heldTokens: held.size });
      break;
    }
    case 'map':
    case 'sha-map': {
      const hashed = kind === 'sha-map';
      const map = principals(tokens, hashed ? sha256Hex : (s) => s);
      app.use(function lookup(ctx, next) {
        const token = bearerToken(ctx);
        const found = token === undefined ? undefined : map.get(hashed ? sha256Hex(token) : token);
        if (found === undefined) return unauthorized(ctx);
        ctx.state.user = found;
        return next();
      });
      reply(app, (ctx) => (ctx.state.user as Named).username);
      break;
    }
    case 'jose': {
      const key = new TextEncoder().encode(JWT_SECRET);
      app.use(async function joseVerify(ctx, next) {
        const token = bearerToken(ctx);
        if (token === undefined) return unauthorized(ctx);
        try {
          const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
          ctx.state.user = { username: String(payload.username) };
        } catch {
          return unauthorized(ctx);
        }
        return next();
      });
      reply(app, (ctx) => (ctx.state.user as Named).username);
      break;
    }
    case 'koa-jwt':
      app.use(koaJwt({ secret: JWT_SECRET, algorithms: ['HS256'] }));
      reply(app, (ctx) => String((ctx.state.user as { username?: unknown }).username));
      break;
    case 'passport': {
      const map = principals(tokens, sha256Hex);
      passport.use(new BearerStrategy((token, done) => {
        const found = map.get(sha256Hex(token));
        done(null, found ?? false);
      }));
      app.use(passport.initialize());
      app.use(passport.authenticate('bearer', { session: false }));
      reply(app, (ctx) => (ctx.state.user as Named).username);
      break;
    }
    case 'middleware': {
      const store = storeKind === 'compact' ? compactTokenStore(tokens) : syncTokenStore(tokens);
      const { size } = store;
      const hooks = createHookBus();
      const resolver = cachedResolver(storeResolver(store), { hooks, ...(maxEntries === undefined ? {} : { maxEntries }) });
      const auth = authenticate({ resolver });
      if (bareUrl === undefined) {
        app.use(auth);
        reply(app, authUsername);
      } else {
        app.use(function pairedAuth(ctx, next) { return ctx.url === bareUrl ? next() : auth(ctx, next); });
        reply(app, (ctx) => (ctx.url === bareUrl ? 'anonymous' : authUsername(ctx)));
      }
      stats = () => ({ cached: resolver.size, storeTokens: size });
      break;
    }
    case 'remote':
    case 'receiver': {
      if (upstream === undefined) throw new TypeError(`${kind}: options.upstream is required`);
      const hooks = createHookBus();
      const resolver = remoteResolver({ url: upstream, hooks });
      if (kind === 'receiver') {
        if (eventSecret === undefined) throw new TypeError('receiver: options.eventSecret is required');
        app.use(errorBoundary());
        app.use(eventReceiver({ hooks, verify: { secret: eventSecret } }));
      }
      app.use(authenticate({ resolver }));
      reply(app, authUsername);
      stats = () => ({ cached: resolver.size, upstreamCalls: resolver.upstreamCalls });
      break;
    }
    default: {
      const never: never = kind;
      throw new TypeError(`unknown target ${String(never)}`);
    }
  }
  return { app, stats };
}
