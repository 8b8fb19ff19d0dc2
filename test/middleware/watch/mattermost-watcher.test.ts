/**
 * mattermostWatcher against the mock's WebSocket API over real sockets: the events a real
 * Mattermost sends an admin become hook events, the cache in front of `/users/me` refuses a
 * deactivated user's PAT at once (no signed events), and the fail-safe switch follows the
 * connection: degraded until hello, on every cut, recovered by a resume or a fresh hello.
 */
import { expect } from 'chai';
import { createHookBus, type HookBus, type HookEventName } from '../../../middleware/index.js';
import { remoteResolver } from '../../../middleware/remote/index.js';
import { mattermostWatcher, type MattermostWatcher } from '../../../middleware/watch/index.js';
import { AuthFailure } from '../../../middleware/auth/auth-failure.js';
import { startWsMock, type WsMock } from '../../mock-server/websocket/support/ws.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';

interface Seen { event: HookEventName; payload: Record<string, unknown> }

function record(hooks: HookBus): Seen[] {
  const seen: Seen[] = [];
  hooks.onAny((event, payload) => { seen.push({ event, payload: payload as unknown as Record<string, unknown> }); });
  return seen;
}

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A cache stand-in recording the fail-safe calls. */
function switchLog() {
  const calls: string[] = [];
  return { calls, degrade: (r: string) => { calls.push(`degrade:${r}`); }, recover: (r?: string) => { calls.push(`recover:${r ?? ''}`); } };
}

describe('mattermostWatcher (against the mock websocket)', () => {
  let m: WsMock;
  let adminPat: string;
  let watcher: MattermostWatcher | undefined;
  let proxy: TcpProxy | undefined;

  beforeEach(async () => {
    m = await startWsMock({ websocket: { resumeBufferSize: 4 } });
    const created = await m.admin.createUserAccessToken(m.adminId, 'watcher');
    adminPat = created.token ?? '';
  });
  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
    await proxy?.close();
    proxy = undefined;
    await m.mock.close();
  });

  it('turns a deactivation into user.deactivated, and the cache refuses that PAT on the next request', async () => {
    const hooks = createHookBus();
    const seen = record(hooks);
    const cache = remoteResolver({ url: m.mock.url, hooks, ttlMs: 300_000 });
    watcher = mattermostWatcher({ url: m.mock.url, token: adminPat, hooks, cache });
    await watcher.whenLive();
    expect(cache.degraded).to.equal(false);

    const principal = await cache.resolve(m.pat.token, { source: 'header-bearer' });
    expect(principal.userId).to.equal(m.userId);
    expect(cache.size).to.equal(1);

    await m.admin.updateUserActive(m.userId, false);
    await waitUntil(() => seen.some((s) => s.event === 'user.deactivated'), 'user.deactivated');
    expect(seen.find((s) => s.event === 'user.deactivated')?.payload).to.deep.equal({ userId: m.userId });
    expect(cache.size).to.equal(0);
    let refused: unknown;
    try { await cache.resolve(m.pat.token, { source: 'header-bearer' }); } catch (err) { refused = err; }
    expect(refused).to.be.instanceOf(AuthFailure);

    await m.admin.updateUserActive(m.userId, true);
    await waitUntil(() => seen.some((s) => s.event === 'user.activated'), 'user.activated');
    expect(seen.find((s) => s.event === 'user.activated')?.payload).to.deep.equal({ userId: m.userId });
    // The refusal cached while deactivated is forgotten: the token works again.
    expect((await cache.resolve(m.pat.token, { source: 'header-bearer' })).userId).to.equal(m.userId);
    cache.close();
  });

  it('user_role_updated (sent to the user itself) becomes user.roles_changed', async () => {
    const hooks = createHookBus();
    const seen = record(hooks);
    watcher = mattermostWatcher({ url: m.mock.url, token: adminPat, hooks });
    await watcher.whenLive();
    const roles = 'system_user system_admin system_user_access_token';
    await m.admin.updateUserRoles(m.adminId, roles);
    await waitUntil(() => seen.some((s) => s.event === 'user.roles_changed'), 'user.roles_changed');
    expect(seen.find((s) => s.event === 'user.roles_changed')?.payload).to.deep.equal({ userId: m.adminId, roles });
  });

  it('EnableUserAccessTokens turned off emits config.changed (every cached PAT dropped)', async () => {
    const hooks = createHookBus();
    const seen = record(hooks);
    const cache = remoteResolver({ url: m.mock.url, hooks });
    // A login session keeps receiving events once PATs are off (a PAT's socket does not).
    watcher = mattermostWatcher({ url: m.mock.url, token: m.adminToken, hooks, cache });
    await watcher.whenLive();
    await cache.resolve(m.pat.token, { source: 'header-bearer' });
    expect(cache.size).to.equal(1);
    await m.admin.patchConfig({ ServiceSettings: { EnableUserAccessTokens: false } } as never);
    await waitUntil(() => seen.some((s) => s.event === 'config.changed'), 'config.changed');
    expect(cache.size).to.equal(0);
    cache.close();
  });

  it("a watcher whose own PAT dies gets no more events: its unanswered ping degrades the cache", async () => {
    const hooks = createHookBus();
    const cache = remoteResolver({ url: m.mock.url, hooks });
    watcher = mattermostWatcher({ url: m.mock.url, token: adminPat, hooks, cache, pingIntervalMs: 100, minDelayMs: 50, maxDelayMs: 100 });
    await watcher.whenLive();
    expect(cache.degraded).to.equal(false);
    await m.admin.patchConfig({ ServiceSettings: { EnableUserAccessTokens: false } } as never);
    await waitUntil(() => cache.degraded, 'the cache to degrade');
    await waitUntil(() => watcher?.state !== 'live', 'the watcher to leave live');
    // PATs back on: the watcher reconnects with its PAT and the cache recovers.
    await m.admin.patchConfig({ ServiceSettings: { EnableUserAccessTokens: true } } as never);
    await waitUntil(() => !cache.degraded, 'the cache to recover');
    cache.close();
  });

  it('degrades until hello and on a cut; a resume replays the missed event and recovers', async () => {
    proxy = await startTcpProxy(m.mock.url);
    const hooks = createHookBus();
    const seen = record(hooks);
    const cache = switchLog();
    watcher = mattermostWatcher({ url: proxy.url, token: adminPat, hooks, cache, minDelayMs: 200, maxDelayMs: 200 });
    await watcher.whenLive();
    expect(cache.calls).to.deep.equal(['degrade:websocket', 'recover:websocket']);
    const firstId = watcher.connectionId;
    expect(firstId).to.be.a('string').with.lengthOf(26);

    proxy.cut();
    await waitUntil(() => watcher?.state === 'connecting', 'the watcher to notice the cut');
    expect(cache.calls.at(-1)).to.equal('degrade:websocket');
    // Happens while the watcher is away: the mock buffers it for the dead connection.
    await m.admin.updateUserActive(m.userId, false);
    await watcher.whenLive();
    await waitUntil(() => seen.some((s) => s.event === 'user.deactivated'), 'the replayed user.deactivated');
    expect(watcher.connectionId).to.equal(firstId);
    expect(watcher.stats.resumed).to.equal(1);
    expect(watcher.stats.resumeFailed).to.equal(0);
    expect(cache.calls).to.deep.equal(['degrade:websocket', 'recover:websocket', 'degrade:websocket', 'recover:websocket']);
  });

  it('a failed resume (more missed than the server kept) gets a new hello: still degraded, then recovered', async () => {
    proxy = await startTcpProxy(m.mock.url);
    const hooks = createHookBus();
    const cache = switchLog();
    watcher = mattermostWatcher({ url: proxy.url, token: adminPat, hooks, cache, minDelayMs: 300, maxDelayMs: 300 });
    await watcher.whenLive();
    const firstId = watcher.connectionId;
    proxy.cut();
    await waitUntil(() => watcher?.state === 'connecting', 'the watcher to notice the cut');
    // Ten events for a buffer of four: the resume cannot be served.
    for (let i = 0; i < 5; i++) {
      await m.admin.updateUserActive(m.userId, false);
      await m.admin.updateUserActive(m.userId, true);
    }
    await waitUntil(() => watcher?.state === 'live', 'live again');
    expect(watcher.connectionId).to.be.a('string').and.not.equal(firstId);
    expect(watcher.stats.resumeFailed).to.equal(1);
    expect(cache.calls.slice(-2)).to.deep.equal(['degrade:websocket', 'recover:websocket']);
    expect(cache.calls.filter((c) => c.startsWith('recover'))).to.have.lengthOf(2);
  });

  it('a token the server refuses never goes live: the cache stays degraded and it keeps retrying', async () => {
    const hooks = createHookBus();
    const cache = switchLog();
    watcher = mattermostWatcher({ url: m.mock.url, token: 'x'.repeat(26), hooks, cache, authTimeoutMs: 300, minDelayMs: 50, maxDelayMs: 50 });
    await waitUntil(() => (watcher?.stats.connects ?? 0) >= 2, 'two attempts');
    expect(watcher.state).to.not.equal('live');
    expect(cache.calls).to.deep.equal(['degrade:websocket']);
  });
});
