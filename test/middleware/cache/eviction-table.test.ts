import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { EVICTIONS, type EvictionTarget } from '../../../middleware/cache/eviction-table.js';
import { createPrincipalCache } from '../../../middleware/cache/principal-cache.js';
import { createHookBus, type HookEventName, type HookEvents } from '../../../middleware/hooks/hook-bus.js';
import { AuthFailure } from '../../../middleware/auth/auth-failure.js';
import type { Principal, TokenResolver } from '../../../middleware/types.js';

const ctx = { source: 'header-bearer' } as const;
const WORDS: Record<string, EvictionTarget> = {
  nothing: 'nothing', 'the token': 'token', 'the user': 'user', 'the session': 'session', everything: 'everything',
  'everything, or the user it names': 'userOrEverything',
};

/** Two tokens (two sessions) of one user, one token of another, one refused token. */
const principals: Record<string, Principal> = {
  t1: { userId: 'u1', username: 'one', roles: [], sessionId: 's1', tokenId: 'id1', isBot: false, kind: 'user_access_token' },
  t2: { userId: 'u1', username: 'one', roles: [], sessionId: 's2', tokenId: 'id2', isBot: false, kind: 'user_access_token' },
  t3: { userId: 'u2', username: 'two', roles: [], sessionId: 's3', tokenId: 'id3', isBot: false, kind: 'user_access_token' },
};
/** Each event about token t1 / session s1 / user u1. */
const payloads: { [E in HookEventName]: HookEvents[E] } = {
  'token.created': { tokenId: 'id9', userId: 'u1' },
  'token.revoked': { tokenId: 'id1', userId: 'u1' },
  'token.disabled': { tokenId: 'id1', userId: 'u1' },
  'token.enabled': { tokenId: 'id1', userId: 'u1' },
  'token.rotated': { tokenId: 'id1', userId: 'u1' },
  'user.deactivated': { userId: 'u1' },
  'user.activated': { userId: 'u1' },
  'user.roles_changed': { userId: 'u1', roles: 'system_user' },
  'session.revoked': { userId: 'u1', sessionId: 's1' },
  'config.changed': { keys: [] },
  'cache.reset': { reason: 'coalesced', userId: 'u1' },
};
const EXPECTED_EVICTED: Record<EvictionTarget, string[]> = {
  nothing: [], token: ['t1'], user: ['t1', 't2'], session: ['t1'], everything: ['t1', 't2', 't3'], userOrEverything: ['t1', 't2'],
};

describe('eviction table', () => {
  it('the JSDoc table says what EVICTIONS holds, row for row', () => {
    const source = readFileSync(new URL('../../../middleware/cache/eviction-table.ts', import.meta.url), 'utf8');
    const rows = [...source.matchAll(/^ \* \| `([a-z_.]+)` \| ([a-z ,]+) \| (yes|no) \|$/gm)];
    const documented = Object.fromEntries(rows.map(([, event, target, forgets]) => [event, { evicts: WORDS[target as string], forgetsRefusals: forgets === 'yes' }]));
    expect(documented).to.deep.equal(EVICTIONS);
  });

  for (const [event, rule] of Object.entries(EVICTIONS) as Array<[HookEventName, { evicts: EvictionTarget; forgetsRefusals: boolean }]>) {
    it(`${event}: evicts ${rule.evicts}${rule.forgetsRefusals ? ' and forgets refusals' : ''}, and nothing else`, () => {
      const hooks = createHookBus();
      const calls: string[] = [];
      const inner: TokenResolver = {
        resolve(token) {
          calls.push(token);
          const p = principals[token];
          if (p === undefined) throw new AuthFailure('unknown_token');
          return { ...p };
        },
      };
      const cache = createPrincipalCache(inner, { hooks, negativeTtlMs: 60_000 });
      for (const token of ['t1', 't2', 't3']) cache.resolve(token, ctx);
      expect(() => cache.resolve('refused', ctx)).to.throw(AuthFailure);
      calls.length = 0;

      hooks.emit(event, payloads[event] as never);
      for (const token of ['t1', 't2', 't3']) cache.resolve(token, ctx);
      expect(() => cache.resolve('refused', ctx)).to.throw(AuthFailure);
      const refusalForgotten = rule.forgetsRefusals || rule.evicts === 'everything';
      expect(calls).to.deep.equal([...EXPECTED_EVICTED[rule.evicts], ...(refusalForgotten ? ['refused'] : [])]);
      cache.close();
    });
  }

  it('cache.reset without a userId clears everything', () => {
    const hooks = createHookBus();
    const cache = createPrincipalCache({ resolve: (token) => ({ ...principals[token] as Principal }) }, { hooks });
    for (const token of ['t1', 't2', 't3']) cache.resolve(token, ctx);
    hooks.emit('cache.reset', { reason: 'gap' });
    expect(cache.size).to.equal(0);
    cache.close();
  });
});
