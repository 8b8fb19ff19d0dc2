/**
 * Ed25519 keys for signed events: generate a pair, publish the public half as a JWKS, and serve
 * it from a Koa app so receivers can verify with `eventReceiver({ verify: { jwksUrl } })`.
 *
 * @example
 * ```ts
 * import { generateEventKeys, jwksHandler, createEventSender } from 'mattermost-pat/events';
 * const keys = await generateEventKeys();
 * app.use(jwksHandler([keys], { path: '/.well-known/jwks.json' }));
 * createEventSender({ hooks, targets, signing: { alg: 'EdDSA', ...keys } });
 * ```
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose';
import type { Middleware } from 'koa';

/** An event-signing key pair. */
export interface EventKeys {
  readonly privateKey: CryptoKey;
  /** Public JWK with `kid`, `alg: 'EdDSA'` and `use: 'sig'`. */
  readonly publicJwk: JWK;
  /** RFC 7638 thumbprint of the public key. */
  readonly kid: string;
}

/**
 * Generate an Ed25519 key pair; `kid` is the RFC 7638 thumbprint of the public key.
 *
 * @example
 * ```ts
 * const { privateKey, publicJwk, kid } = await generateEventKeys();
 * ```
 */
export async function generateEventKeys(): Promise<EventKeys> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { privateKey, publicJwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' }, kid };
}

/** A key, or something that holds one (`EventKeys`). */
export type PublicKeySource = JWK | { readonly publicJwk: JWK };

/**
 * A JWKS holding only the public members of the given keys (private `d` is never published).
 *
 * @example
 * ```ts
 * publicJwks([keys]); // { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '…', kid: '…', alg: 'EdDSA', use: 'sig' }] }
 * ```
 */
export function publicJwks(keys: readonly PublicKeySource[]): JSONWebKeySet {
  return {
    keys: keys.map((k) => {
      const jwk = 'publicJwk' in k ? k.publicJwk : k;
      const { kty, crv, x, kid, alg, use } = jwk;
      if (kty !== 'OKP' || typeof x !== 'string') throw new TypeError('publicJwks: expected an OKP public key');
      return { kty, crv, x, kid, alg: alg ?? 'EdDSA', use: use ?? 'sig' };
    }),
  };
}

export interface JwksHandlerOptions {
  /** Answer only GET/HEAD on this path (otherwise `next()`); omit when mounted on a router route. */
  path?: string;
}

/**
 * Koa middleware serving `{ keys: [...] }` (public keys only) as `application/json`.
 *
 * @example
 * ```ts
 * app.use(jwksHandler([keys], { path: '/.well-known/jwks.json' }));
 * // or: router.get('/.well-known/jwks.json', jwksHandler([keys]));
 * ```
 */
export function jwksHandler(keys: readonly PublicKeySource[], options: JwksHandlerOptions = {}): Middleware {
  const { path } = options;
  const body = JSON.stringify(publicJwks(keys));
  return async function serveJwks(ctx, next) {
    if (path !== undefined && (ctx.path !== path || (ctx.method !== 'GET' && ctx.method !== 'HEAD'))) return next();
    ctx.set('Content-Type', 'application/json');
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = body;
  };
}
