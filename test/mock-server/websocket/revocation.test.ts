/**
 * Revocation on open sockets through the hook bus, as `ShouldSendEvent` re-validates the session:
 * a socket whose PAT is revoked, disabled or rotated, whose login session is revoked, whose user
 * is deactivated, or whose PATs are switched off in the config, receives no further event and
 * gets `not_authenticated` for its actions, while it stays open. Role changes re-resolve the
 * principal (an admin demoted gets the sanitized copies from then on). With
 * `closeRevokedSockets: true` such sockets are closed at once instead.
 *
 * Each "no event" is proven with barriers: another socket receives the later event, then a ping
 * on the revoked socket is answered (frames are ordered per socket).
 */
import { expect } from 'chai';
import { RawClient, client, openAuthed, startWsMock, type WsMock } from './support/ws.js';

describe('websocket: revocation', () => {
  let m: WsMock;
  const sockets: RawClient[] = [];
  const track = (c: RawClient) => { sockets.push(c); return c; };
  afterEach(async () => {
    for (const c of sockets.splice(0)) c.close();
    await m.mock.close();
  });

  const townSquare = () => m.mock.seeded.channels['town-square']?.id ?? '';

  /** Post, wait for it on `witness`, then prove `revoked` got nothing since `mark`. */
  async function expectCutOff(revoked: RawClient, witness: RawClient, mark: number): Promise<void> {
    const post = await m.admin.createPost({ channel_id: townSquare(), message: `after ${mark}` } as never);
    await witness.next((f) => f.event === 'posted' && JSON.parse(f.data?.post as string).id === post.id, 'the witness post');
    const reply = await revoked.barrier();
    expect(reply.status).to.equal('FAIL');
    expect(reply.error?.id).to.equal('api.web_socket_router.not_authenticated.app_error');
    expect(revoked.eventsSince(mark)).to.deep.equal([]);
    expect(revoked.socket.readyState).to.equal(revoked.socket.OPEN);
  }

  describe('default: the socket stays open and unauthenticated', () => {
    let witness: RawClient;
    beforeEach(async () => {
      m = await startWsMock();
      witness = track((await openAuthed(m, m.adminToken)).client);
    });

    for (const [name, revoke] of [
      ['revoked', (w: WsMock) => w.user.revokeUserAccessToken(w.pat.id)],
      ['disabled', (w: WsMock) => w.user.disableUserAccessToken(w.pat.id)],
      ['switched off in the config (EnableUserAccessTokens: false)', (w: WsMock) => w.admin.patchConfig({ ServiceSettings: { EnableUserAccessTokens: false } } as never)],
      ['owned by a deactivated user', (w: WsMock) => w.admin.updateUserActive(w.userId, false)],
      ['rotated ([NEW] /users/tokens/rotate: the old secret is dead)', async (w: WsMock) => {
        const res = await fetch(`${w.mock.url}/api/v4/users/tokens/rotate`, { method: 'POST', headers: { Authorization: `Bearer ${w.userToken}` }, body: JSON.stringify({ token_id: w.pat.id }) });
        expect(res.status).to.equal(200);
      }],
    ] as const) {
      it(`a PAT ${name}`, async () => {
        const c = track((await openAuthed(m, m.pat.token)).client);
        await m.admin.createPost({ channel_id: townSquare(), message: 'before' } as never);
        await c.event('posted');
        await revoke(m);
        await expectCutOff(c, witness, c.frames.length);
      });
    }

    it('a disabled PAT enabled again does not revive the socket (its session token was cleared)', async () => {
      const c = track((await openAuthed(m, m.pat.token)).client);
      await m.user.disableUserAccessToken(m.pat.id);
      const mark = c.frames.length;
      await c.barrier(); // re-validates: the session is gone
      await m.user.enableUserAccessToken(m.pat.id);
      await expectCutOff(c, witness, mark + 1);
    });

    it('a login session revoked (logout, sessions/revoke)', async () => {
      const other = client(m.mock.url);
      await other.login(m.mock.seeded.user1.username, m.mock.seeded.user1.password);
      const c = track((await openAuthed(m, other.getToken())).client);
      await other.logout();
      await expectCutOff(c, witness, c.frames.length);
    });

    it('the revoked socket can authenticate again with a challenge: hello again, same connection id, seq going on', async () => {
      const { client: c, hello } = await openAuthed(m, m.pat.token);
      track(c);
      await m.user.revokeUserAccessToken(m.pat.id);
      await expectCutOff(c, witness, c.frames.length);
      const seq = c.send('authentication_challenge', { token: m.userToken });
      const again = await c.event('hello');
      expect(again.data?.connection_id).to.equal(hello.data?.connection_id);
      expect(again.seq).to.equal(1);
      expect((await c.reply(seq)).status).to.equal('OK');
      await m.admin.createPost({ channel_id: townSquare(), message: 'welcome back' } as never);
      expect((await c.event('posted')).seq).to.equal(2);
    });

    it('a role change re-resolves the principal: a demoted admin gets the sanitized user copies from then on', async () => {
      await m.admin.updateUserRoles(m.userId, 'system_user system_admin system_user_access_token');
      const promoted = track((await openAuthed(m, m.pat.token)).client);
      await m.admin.patchUser({ id: m.adminId, nickname: 'as-admin' } as never);
      const asAdmin = await promoted.event('user_updated');
      expect(asAdmin.broadcast?.contains_sensitive_data).to.equal(true);
      await m.admin.updateUserRoles(m.userId, 'system_user system_user_access_token');
      await m.admin.patchUser({ id: m.adminId, nickname: 'as-user' } as never);
      const asUser = await promoted.next((f) => f.event === 'user_updated' && (f.data?.user as { nickname: string }).nickname === 'as-user');
      expect(asUser.broadcast?.contains_sanitized_data).to.equal(true);
      await promoted.barrier();
      expect(promoted.frames.filter((f) => f.event === 'user_updated' && (f.data?.user as { nickname: string }).nickname === 'as-user')).to.have.lengthOf(1);
    });

    it('cache.reset (a possible gap in the events) re-validates: a token revoked behind the hub\'s back is cut off', async () => {
      const c = track((await openAuthed(m, m.pat.token)).client);
      // the token row goes without any hook (as if its event were lost), then the fail-safe reset
      const token = m.mock.store.get('tokens', m.pat.id);
      if (token === undefined) throw new Error('token missing');
      await m.mock.store.commit([{ op: 'put', collection: 'tokens', record: { ...token, is_active: false } }]);
      m.mock.hooks.emit('cache.reset', { reason: 'gap', userId: m.userId });
      await expectCutOff(c, witness, c.frames.length);
    });

    it('revoking one PAT leaves the user\'s other sockets served', async () => {
      const second = await m.user.createUserAccessToken(m.userId, 'second');
      const revoked = track((await openAuthed(m, m.pat.token)).client);
      const kept = track((await openAuthed(m, second.token ?? '')).client);
      await m.user.revokeUserAccessToken(m.pat.id);
      await expectCutOff(revoked, kept, revoked.frames.length);
    });
  });

  describe('closeRevokedSockets: true', () => {
    beforeEach(async () => { m = await startWsMock({ websocket: { closeRevokedSockets: true } }); });

    it('closes the socket of a revoked PAT at once (1008), and it is not resumable', async () => {
      const c = track((await openAuthed(m, m.pat.token)).client);
      const kept = track((await openAuthed(m, m.userToken)).client);
      await m.user.revokeUserAccessToken(m.pat.id);
      const { code, reason } = await c.closed;
      expect(code).to.equal(1008);
      expect(reason).to.equal('session revoked');
      expect(m.mock.websocket.stats()).to.deep.equal({ open: 1, authenticated: 1, resumable: 0 });
      expect((await kept.barrier()).status).to.equal('OK');
    });

    it('closes the sockets of a deactivated user', async () => {
      const c = track((await openAuthed(m, m.pat.token)).client);
      await m.admin.updateUserActive(m.userId, false);
      expect((await c.closed).code).to.equal(1008);
    });
  });
});
