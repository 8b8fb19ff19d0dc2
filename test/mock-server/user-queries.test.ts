/**
 * User lookups bots make, with the official Client4 over real HTTP: by email, by ids, by
 * usernames, pages with filters, search and autocomplete, with the profile view (no notify
 * props, no password fields), permission failures and bad input.
 */
import { expect } from 'chai';
import { expectFailure, expectForbidden, raw, startClientMock, UNKNOWN_ID, type ClientMock } from './support/client4.js';

describe('mock server: user lookups (Client4 over HTTP)', () => {
  let t: ClientMock;
  before(async () => { t = await startClientMock(); });
  after(async () => { await t.close(); });

  const names = (users: Array<{ username: string }>) => users.map((u) => u.username);

  it('getUserByEmail (profile view, ShowEmailAddress) and getUserByUsername: found (case-insensitive); 403, 404 and 400 ids', async () => {
    const found = await t.user.getUserByEmail('User-2@sample.mattermost.com');
    expect(found.id).to.equal(t.otherId);
    expect(found).to.not.have.any.keys('notify_props', 'password', 'last_password_update');
    await expectFailure(t.user.getUserByEmail('nobody@sample.mattermost.com'), 404, 'app.user.missing_account.const');
    await t.admin.patchConfig({ PrivacySettings: { ShowEmailAddress: false } } as never);
    try {
      await expectFailure(t.user.getUserByEmail('user-2@sample.mattermost.com'), 403, 'api.user.get_user_by_email.permissions.app_error');
      expect((await t.admin.getUserByEmail('user-2@sample.mattermost.com')).id).to.equal(t.otherId);
      expect(await t.user.searchUsers('user-2@', {})).to.deep.equal([]); // and search no longer matches emails
    } finally {
      await t.admin.patchConfig({ PrivacySettings: { ShowEmailAddress: true } } as never);
    }
    await expectFailure(t.user.getUserByEmail('not-an-email'), 400, 'api.context.invalid_url_param.app_error');
    expect((await t.user.getUserByUsername('user-2')).id).to.equal(t.otherId);
  });

  it('getProfilesByIds / getProfilesByUsernames: the ones that exist, profile view, `since`; 400 for bad bodies', async () => {
    const byIds = await t.user.getProfilesByIds([t.otherId, t.adminId, UNKNOWN_ID]);
    expect(names(byIds)).to.have.members(['user-2', 'sysadmin']);
    for (const u of byIds) expect(u).to.not.have.any.keys('password', 'notify_props', 'last_password_update', 'mfa_secret');
    expect(await t.user.getProfilesByIds([t.otherId], { since: Date.now() + 60_000 })).to.deep.equal([]);
    await expectFailure(t.user.getProfilesByIds([]), 400, 'api.context.invalid_body_param.app_error');
    expect(await t.user.getProfilesByIds(['bad'])).to.deep.equal([]); // ids are looked up, not validated
    const notArray = await raw(t.url, 'POST', '/users/ids', t.user.getToken(), '{"ids":[]}');
    expect([notArray.status, notArray.body.message]).to.deep.equal([400, 'Invalid or missing user_ids in request body.']);
    const badSince = await raw(t.url, 'POST', '/users/ids?since=yesterday', t.user.getToken(), JSON.stringify([t.userId]));
    expect([badSince.status, badSince.body.message]).to.deep.equal([400, 'Invalid or missing since in request body.']);
    expect(names(await t.user.getProfilesByUsernames(['user-2', 'SYSADMIN', 'ghost']))).to.have.members(['user-2', 'sysadmin']);
    await expectFailure(t.user.getProfilesByUsernames([]), 400, 'api.context.invalid_body_param.app_error');
  });

  it('getProfiles: paged by username, in_team / not_in_channel / in_channel / active / inactive / role / sort filters', async () => {
    const all = await t.user.getProfiles(0, 200);
    expect(names(all)).to.deep.equal(['sysadmin', 'user-1', 'user-2', 'user-3', 'user-4']);
    expect(names(await t.user.getProfiles(1, 2))).to.deep.equal(['user-2', 'user-3']);
    expect(names(await t.user.getProfiles(0, 200, { in_team: t.teamId }))).to.have.lengthOf(5);
    expect(names(await t.admin.getProfiles(0, 200, { in_channel: t.privateId }))).to.deep.equal(['sysadmin']);
    expect(names(await t.admin.getProfiles(0, 200, { in_team: t.teamId, not_in_channel: t.privateId }))).to.deep.equal(['user-1', 'user-2', 'user-3', 'user-4']);
    expect(names(await t.user.getProfiles(0, 200, { role: 'system_admin' }))).to.deep.equal(['sysadmin']);
    await t.admin.updateUserActive(t.moreIds[1], false);
    expect(names(await t.user.getProfiles(0, 200, { inactive: true }))).to.deep.equal(['user-4']);
    expect(names(await t.user.getProfiles(0, 200, { active: true }))).to.not.include('user-4');
    await t.admin.updateUserActive(t.moreIds[1], true);
    await expectForbidden(t.user.getProfiles(0, 60, { in_channel: t.privateId }), 'read_channel');
    await expectForbidden(t.user.getProfiles(0, 60, { in_team: UNKNOWN_ID }), 'view_team');
    await expectForbidden(t.user.getProfiles(0, 60, { without_team: true }), 'list_users_without_team');
    await expectFailure(t.user.getProfiles(0, 60, { sort: 'bogus' }), 400, 'api.context.invalid_url_param.app_error');
    await expectFailure(t.user.getProfiles(0, 60, { in_channel: t.offTopicId, sort: 'create_at' }), 400, 'api.context.invalid_url_param.app_error');
    await expectFailure(t.user.getProfiles(0, 60, { not_in_channel: t.offTopicId }), 400, 'api.context.invalid_url_param.app_error');
    await expectForbidden(t.user.getProfiles(0, 60, { in_team: 'short' }), 'view_team');
    await expectFailure(t.user.getProfiles(0, 60, { role: 'no_such_role' }), 400, 'api.context.invalid_body_param.app_error');
    await expectFailure(t.user.getProfiles(0, 60, { sort: 'status' }), 400, 'api.context.invalid_url_param.app_error');
    expect(names(await t.user.getProfiles(0, 200, { in_team: t.teamId, sort: 'create_at' }))).to.have.lengthOf(5);
    await expectFailure(t.user.getProfiles(0, 60, { active: true, inactive: true }), 400, 'api.context.invalid_url_param.app_error');
  });

  it('searchUsers: prefix of username, names or nickname, scoped by team/channel; 400 for no term or a bad body', async () => {
    expect(names(await t.user.searchUsers('user-', {}))).to.deep.equal(['user-1', 'user-2', 'user-3', 'user-4']);
    expect(names(await t.user.searchUsers('ada', {}))).to.deep.equal(['user-2']);
    expect(names(await t.user.searchUsers('@sam', { team_id: t.teamId }))).to.deep.equal(['user-1']);
    expect(names(await t.user.searchUsers('user', { in_channel_id: t.offTopicId, limit: 2 }))).to.deep.equal(['user-1', 'user-2']);
    expect(names(await t.admin.searchUsers('user', { team_id: t.teamId, not_in_channel_id: t.privateId }))).to.have.lengthOf(4);
    await expectForbidden(t.user.searchUsers('user', { in_channel_id: t.privateId }), 'read_channel');
    await expectFailure(t.user.searchUsers('', {}), 400, 'api.context.invalid_body_param.app_error');
    const tooMany = await expectFailure(t.user.searchUsers('x', { limit: 5000 }), 400, 'api.context.invalid_body_param.app_error');
    expect(tooMany.detailed).to.equal('');
    const bad = await raw(t.url, 'POST', '/users/search', t.user.getToken(), '"term"');
    expect([bad.status, bad.body.message]).to.deep.equal([400, 'Invalid or missing props in request body.']);
    const noTeam = await raw(t.url, 'POST', '/users/search', t.user.getToken(), JSON.stringify({ term: 'u', not_in_channel_id: t.offTopicId }));
    expect([noTeam.status, noTeam.body.message]).to.deep.equal([400, 'Invalid or missing team_id in request body.']);
    expect(names(await t.user.searchUsers('user-1@sample', {}))).to.deep.equal(['user-1']); // ShowEmailAddress is on by default
  });

  it('autocompleteUsers: 200 (not /users/:user_id\'s 400); channel members plus out_of_channel team members; limit', async () => {
    const inChannel = await t.admin.autocompleteUsers('user', t.teamId, t.privateId);
    expect(names(inChannel.users)).to.deep.equal([]);
    expect(names(inChannel.out_of_channel ?? [])).to.deep.equal(['user-1', 'user-2', 'user-3', 'user-4']);
    const team = await t.user.autocompleteUsers('sys', t.teamId, '');
    expect(names(team.users)).to.deep.equal(['sysadmin']);
    expect(team).to.not.have.property('out_of_channel');
    expect(names((await t.user.autocompleteUsers('user', t.teamId, t.offTopicId, { limit: 1 })).users)).to.deep.equal(['user-1']);
    await expectFailure(t.user.autocompleteUsers('user', '', t.offTopicId), 400, 'api.user.autocomplete_users.missing_team_id.app_error');
    expect(names((await t.user.autocompleteUsers('user-1@', '', '')).users)).to.deep.equal([]); // never on emails
    expect(names((await t.user.autocompleteUsers('', '', '')).users)).to.have.lengthOf(5);
    await expectForbidden(t.user.autocompleteUsers('a', t.teamId, t.privateId), 'read_channel');
    await expectForbidden(t.user.autocompleteUsers('a', UNKNOWN_ID, ''), 'view_team');
  });
});
