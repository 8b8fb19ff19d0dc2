import { expect } from 'chai';
import { sha256Hex } from '../../../middleware/util/digest.js';
import { isValidId } from '../../../middleware/util/ids.js';
import { storeResolver } from '../../../middleware/auth/store-resolver.js';
import { AuthFailure } from '../../../middleware/auth/auth-failure.js';
import type { Principal, StoredToken, TokenStore } from '../../../middleware/types.js';
import { recordingLogger } from '../../support/koa-harness.js';
import { memoryTokenStore, type MemoryTokenStore } from '../../support/memory-token-store.js';

const ctx = { source: 'header-bearer' } as const;

function refusal(fn: () => unknown): AuthFailure {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(AuthFailure);
    return err as AuthFailure;
  }
  throw new Error('expected a refusal');
}

async function asyncRefusal(p: unknown): Promise<AuthFailure> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(AuthFailure);
    return err as AuthFailure;
  }
  throw new Error('expected a refusal');
}

describe('storeResolver()', () => {
  let store: MemoryTokenStore;
  let userId: string;
  let row: StoredToken;
  let secret: string;
  let clock: number;
  const now = () => clock;

  beforeEach(() => {
    clock = 1_700_000_000_000;
    store = memoryTokenStore();
    userId = store.addUser({ username: 'alice', roles: '  system_user   system_user_access_token ' }).id;
    ({ row, secret } = store.addToken(userId));
  });

  it('resolves synchronously with a sync store and builds the principal', () => {
    const result = storeResolver(store, { now }).resolve(secret, ctx);
    expect(result).not.to.be.instanceOf(Promise);
    const p = result as Principal;
    expect(p).to.include({ userId, username: 'alice', tokenId: row.id, isBot: false, kind: 'user_access_token', isOAuth: false, csrf: '' });
    expect(p.roles).to.deep.equal(['system_user', 'system_user_access_token']);
    expect(isValidId(p.sessionId)).to.equal(true);
    expect(p.expiresAt).to.equal(undefined);
    // the session id is stable per token and different between tokens
    expect((storeResolver(store).resolve(secret, ctx) as Principal).sessionId).to.equal(p.sessionId);
    const other = store.addToken(userId);
    expect((storeResolver(store).resolve(other.secret, ctx) as Principal).sessionId).not.to.equal(p.sessionId);
  });

  it('looks the token up by the SHA-256 hex of the secret only', () => {
    const seen: string[] = [];
    const spy: TokenStore = { ...store, findTokenByDigest: (d) => { seen.push(d); return store.findTokenByDigest(d); } };
    storeResolver(spy).resolve(secret, ctx);
    expect(seen).to.deep.equal([sha256Hex(secret)]);
    expect(seen[0]).to.match(/^[0-9a-f]{64}$/);
  });

  it('uses sessionIdForToken when the store provides it', () => {
    const withSessions: TokenStore = { ...store, sessionIdForToken: (t) => `session-of-${t.id}` };
    expect((storeResolver(withSessions).resolve(secret, ctx) as Principal).sessionId).to.equal(`session-of-${row.id}`);
  });

  it('refuses each failure with its reason, token id and user id', () => {
    const resolver = storeResolver(store, { now });
    expect(refusal(() => resolver.resolve('not-a-token', ctx))).to.include({ reason: 'unknown_token', tokenId: undefined });

    store.updateToken(row.id, { is_active: false });
    expect(refusal(() => resolver.resolve(secret, ctx))).to.include({ reason: 'token_disabled', tokenId: row.id, userId });
    store.updateToken(row.id, { is_active: true });

    store.updateToken(row.id, { expires_at: clock - 1 });
    expect(refusal(() => resolver.resolve(secret, ctx))).to.include({ reason: 'token_expired', tokenId: row.id });
    store.updateToken(row.id, { expires_at: clock });
    expect((resolver.resolve(secret, ctx) as Principal).expiresAt).to.equal(clock); // now > expires_at is the rule
    store.updateToken(row.id, { expires_at: 0 });

    store.updateUser(userId, { delete_at: clock });
    expect(refusal(() => resolver.resolve(secret, ctx))).to.include({ reason: 'user_deactivated', userId });
    store.updateUser(userId, { delete_at: 0 });

    store.featureEnabled = false;
    expect(refusal(() => resolver.resolve(secret, ctx)).reason).to.equal('feature_disabled');
    store.featureEnabled = true;

    store.users.delete(userId);
    expect(refusal(() => resolver.resolve(secret, ctx))).to.include({ reason: 'user_missing', tokenId: row.id, userId });
  });

  it('checks in Mattermost order: inactive > owner missing > feature off > expired > deactivated', () => {
    const resolver = storeResolver(store, { now });
    store.updateToken(row.id, { is_active: false, expires_at: clock - 1 });
    store.updateUser(userId, { delete_at: 1 });
    store.featureEnabled = false;
    expect(refusal(() => resolver.resolve(secret, ctx)).reason).to.equal('token_disabled');
    store.updateToken(row.id, { is_active: true });
    expect(refusal(() => resolver.resolve(secret, ctx)).reason).to.equal('feature_disabled');
    store.featureEnabled = true;
    expect(refusal(() => resolver.resolve(secret, ctx)).reason).to.equal('token_expired');
    store.updateToken(row.id, { expires_at: 0 });
    expect(refusal(() => resolver.resolve(secret, ctx)).reason).to.equal('user_deactivated');
    store.users.delete(userId);
    store.updateToken(row.id, { is_active: true });
    store.featureEnabled = false;
    expect(refusal(() => resolver.resolve(secret, ctx)).reason).to.equal('user_missing');
  });

  it('exempts bots from the feature flag but not from expiry or deactivation', () => {
    const bot = store.addUser({ is_bot: true, roles: 'system_user' });
    const t = store.addToken(bot.id, { expires_at: clock + 1000 });
    store.featureEnabled = false;
    const resolver = storeResolver(store, { now });
    expect(resolver.resolve(t.secret, ctx)).to.include({ isBot: true, userId: bot.id, expiresAt: clock + 1000 });
    clock += 1001;
    expect(refusal(() => resolver.resolve(t.secret, ctx)).reason).to.equal('token_expired');
  });

  it('does not ask the store about the feature flag for bots', () => {
    const bot = store.addUser({ is_bot: true });
    const t = store.addToken(bot.id);
    let asked = 0;
    const counting: TokenStore = { ...store, userAccessTokensEnabled: () => { asked++; return false; } };
    storeResolver(counting).resolve(t.secret, ctx);
    expect(asked).to.equal(0);
  });

  it('refuses a row whose digest does not match (a loose store) and warns', () => {
    const log = recordingLogger();
    const loose: TokenStore = { ...store, findTokenByDigest: () => row };
    expect(refusal(() => storeResolver(loose, { logger: log }).resolve('other-secret', ctx)).reason).to.equal('unknown_token');
    expect(log.lines[0]).to.deep.include({ level: 'warn' });
    expect(log.lines[0].fields).to.deep.equal({ token_id: row.id });
    expect(log.text()).not.to.include(secret);
  });

  it('works with an async store (same checks)', async () => {
    const s = memoryTokenStore({ async: true });
    const u = s.addUser({ roles: 'system_admin' });
    const t = s.addToken(u.id);
    const resolver = storeResolver(s);
    const p = await resolver.resolve(t.secret, ctx);
    expect(p).to.include({ userId: u.id, tokenId: t.row.id });
    expect(p.roles).to.deep.equal(['system_admin']);
    expect((await asyncRefusal(resolver.resolve('nope', ctx))).reason).to.equal('unknown_token');
    s.updateUser(u.id, { delete_at: 5 });
    expect((await asyncRefusal(resolver.resolve(t.secret, ctx))).reason).to.equal('user_deactivated');
    s.featureEnabled = false;
    expect((await asyncRefusal(resolver.resolve(t.secret, ctx))).reason).to.equal('feature_disabled');
  });

  it('propagates store failures as they are (not as refusals)', async () => {
    const broken: TokenStore = { ...store, findUserById: () => Promise.reject(new Error('disk on fire')) };
    let caught: unknown;
    try { await storeResolver(broken).resolve(secret, ctx); } catch (err) { caught = err; }
    expect(caught).to.be.instanceOf(Error).and.not.instanceOf(AuthFailure);
    expect((caught as Error).message).to.equal('disk on fire');
  });
});
