import { expect } from 'chai';
import Koa from 'koa';
import { errorBoundary } from '../../../middleware/errors/error-boundary.js';
import {
  PERMISSIONS, ROLE_PERMISSIONS, hasPermission, isPermission, missingPermission, permissionsOf, requirePermission, rolesOf,
  type Permission,
} from '../../../middleware/permissions/permissions.js';
import { newId } from '../../../middleware/util/ids.js';
import type { Principal } from '../../../middleware/types.js';
import { listen, type Harness } from '../../support/koa-harness.js';

describe('permissions', () => {
  it('system_admin has every permission defined', () => {
    const admin = permissionsOf('system_admin');
    for (const p of PERMISSIONS) expect(admin.has(p), p).to.equal(true);
    expect(admin.size).to.equal(new Set(PERMISSIONS).size);
  });

  it('system_user has no token permissions and no system-level create_post', () => {
    for (const p of ['create_user_access_token', 'read_user_access_token', 'revoke_user_access_token', 'create_post', 'manage_system'] as const) {
      expect(hasPermission('system_user', p), p).to.equal(false);
    }
    for (const p of ['list_public_teams', 'join_public_teams', 'create_direct_channel', 'create_group_channel', 'view_members', 'create_team'] as const) {
      expect(hasPermission('system_user', p), p).to.equal(true);
    }
  });

  it('system_user_access_token grants exactly the three token permissions', () => {
    expect([...permissionsOf('system_user_access_token')].sort()).to.deep.equal(
      ['create_user_access_token', 'read_user_access_token', 'revoke_user_access_token']);
  });

  it('post-all roles', () => {
    expect([...permissionsOf('system_post_all')].sort()).to.deep.equal(['create_post', 'use_channel_mentions']);
    expect([...permissionsOf('system_post_all_public')].sort()).to.deep.equal(['create_post_public', 'use_channel_mentions']);
    expect([...permissionsOf('team_post_all')].sort()).to.deep.equal(['create_post', 'use_channel_mentions']);
    expect([...permissionsOf('team_post_all_public')].sort()).to.deep.equal(['create_post_public', 'use_channel_mentions']);
  });

  it('system_user_manager manages teams/channels but cannot edit other users or the system', () => {
    expect(hasPermission('system_user_manager', 'manage_team')).to.equal(true);
    expect(hasPermission('system_user_manager', 'sysconsole_write_user_management_teams')).to.equal(true);
    expect(hasPermission('system_user_manager', 'edit_other_users')).to.equal(false);
    expect(hasPermission('system_user_manager', 'manage_system')).to.equal(false);
    expect(hasPermission('system_user_manager', 'create_user_access_token')).to.equal(false);
  });

  it('team and channel roles', () => {
    expect(hasPermission('team_user', 'create_public_channel')).to.equal(true);
    expect(hasPermission('team_user', 'manage_team')).to.equal(false);
    expect(hasPermission('team_user team_admin', 'manage_team')).to.equal(true);
    expect(hasPermission('channel_user', 'create_post')).to.equal(true);
    expect(hasPermission('channel_user', 'manage_channel_roles')).to.equal(false);
    expect(hasPermission('channel_user channel_admin', 'manage_channel_roles')).to.equal(true);
  });

  it('every role lists only known permissions', () => {
    for (const [role, perms] of Object.entries(ROLE_PERMISSIONS)) {
      for (const p of perms) expect(isPermission(p), `${role}: ${p}`).to.equal(true);
    }
  });

  it('parses role strings like strings.Fields (any whitespace, repeated, leading, trailing)', () => {
    expect(rolesOf('  system_user\tsystem_user_access_token\n ')).to.deep.equal(['system_user', 'system_user_access_token']);
    expect(rolesOf('')).to.deep.equal([]);
    expect(rolesOf('a b')).to.equal(rolesOf('a b')); // memoized
    expect(hasPermission(' system_user   system_user_access_token ', 'create_user_access_token')).to.equal(true);
    expect(hasPermission('system_usersystem_user_access_token', 'create_user_access_token')).to.equal(false);
  });

  it('unknown roles grant nothing; the union of known ones still applies', () => {
    expect(permissionsOf('made_up_role').size).to.equal(0);
    expect(hasPermission('made_up_role system_post_all', 'create_post')).to.equal(true);
  });

  it('accepts a principal, a roles array or a string, and memoizes the sets', () => {
    const roles = ['system_user', 'system_user_access_token'];
    const principal = { roles };
    expect(hasPermission(principal, 'read_user_access_token')).to.equal(true);
    expect(hasPermission(roles, 'manage_system')).to.equal(false);
    expect(permissionsOf(roles)).to.equal(permissionsOf(roles));
    expect(permissionsOf(roles)).to.equal(permissionsOf('system_user system_user_access_token'));
    expect(missingPermission('system_user', ['view_members', 'create_user_access_token', 'manage_system'])).to.equal('create_user_access_token');
    expect(missingPermission('system_admin', ['manage_system'])).to.equal(undefined);
  });
});

describe('requirePermission()', () => {
  let h: Harness;
  afterEach(async () => { await h.close(); });

  async function app(principal: Principal | undefined, ...perms: Permission[]) {
    const koa = new Koa();
    koa.use(errorBoundary({ developerMode: true }));
    koa.use((ctx, next) => { ctx.state.auth = principal; return next(); });
    koa.use(requirePermission(...perms));
    koa.use((ctx) => { ctx.body = { ok: true }; });
    h = await listen(koa);
  }

  const principal = (roles: string): Principal => ({
    userId: newId(), username: 'u', roles: rolesOf(roles), sessionId: newId(), isBot: false, kind: 'user_access_token',
  });

  it('passes when every permission is granted', async () => {
    await app(principal('system_user system_user_access_token'), 'create_user_access_token', 'read_user_access_token');
    await h.http.get('/').expect(200, { ok: true });
  });

  it('answers 403 naming the first missing permission', async () => {
    const p = principal('system_user system_user_access_token');
    await app(p, 'read_user_access_token', 'manage_system', 'edit_other_users');
    const res = await h.http.get('/').expect(403);
    expect(res.headers['content-type']).to.equal('application/json');
    expect(res.body).to.include({
      id: 'api.context.permissions.app_error',
      message: 'You do not have the appropriate permissions.',
      detailed_error: `userId=${p.userId}, permission=manage_system`,
      status_code: 403,
    });
    expect(res.headers['www-authenticate']).to.equal('Bearer error="insufficient_scope", scope="manage_system"');
  });

  it('answers 401 when nobody is authenticated', async () => {
    await app(undefined, 'create_post');
    const res = await h.http.get('/').expect(401);
    expect(res.body.id).to.equal('api.context.session_expired.app_error');
    expect(res.headers['www-authenticate']).to.equal('Bearer realm="mattermost"');
  });

  it('rejects unknown permission names at setup', () => {
    h = { url: '', http: undefined as never, close: async () => {} };
    expect(() => requirePermission('fly' as Permission)).to.throw(TypeError, /unknown permission "fly"/);
  });
});
