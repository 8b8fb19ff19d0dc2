/**
 * Statuses and preferences with the official Client4 over real HTTP: get/update status (self or
 * admin), statuses by ids, get/save/delete preferences, their WebSocket events, and failures.
 */
import { expect } from 'chai';
import { expectFailure, expectForbidden, eventsNamed, raw, startClientMock, type ClientMock } from './support/client4.js';

describe('mock server: statuses and preferences (Client4 over HTTP)', () => {
  let t: ClientMock;
  before(async () => { t = await startClientMock(); });
  after(async () => { await t.close(); });

  it('getStatus is offline until set; updateStatus sets it (manual) and publishes status_change to the user', async () => {
    expect(await t.user.getStatus(t.otherId)).to.deep.equal({ user_id: t.otherId, status: 'offline', manual: false, last_activity_at: 0, dnd_end_time: 0 });
    t.events.length = 0;
    const set = await t.user.updateStatus({ user_id: t.userId, status: 'dnd' } as never);
    expect(set).to.include({ user_id: t.userId, status: 'dnd', manual: true });
    expect(set.last_activity_at).to.be.greaterThan(0);
    expect(eventsNamed(t.events, 'status_change').map((e) => [e.data, e.broadcast])).to.deep.equal([[{ status: 'dnd', user_id: t.userId }, { user_id: t.userId }]]);
    expect((await t.other.getStatus(t.userId)).status).to.equal('dnd');
    expect((await t.admin.updateStatus({ user_id: t.userId, status: 'away' } as never)).status).to.equal('away');
    const statuses = await t.user.getStatusesByIds([t.userId, t.otherId]);
    expect(statuses.map((s) => [s.user_id, s.status])).to.deep.equal([[t.userId, 'away'], [t.otherId, 'offline']]);
  });

  it('updateStatus: 403 for someone else, 400 for an unknown status or a user_id that is not the URL\'s', async () => {
    await expectForbidden(t.user.updateStatus({ user_id: t.otherId, status: 'online' } as never), 'edit_other_users');
    await expectFailure(t.user.updateStatus({ user_id: t.userId, status: 'sleeping' } as never), 400, 'api.context.invalid_body_param.app_error');
    const mismatch = await raw(t.url, 'PUT', `/users/${t.userId}/status`, t.user.getToken(), JSON.stringify({ user_id: t.otherId, status: 'online' }));
    expect([mismatch.status, mismatch.body.message]).to.deep.equal([400, 'Invalid or missing user_id in request body.']);
    await expectFailure(t.user.getStatus('short'), 400, 'api.context.invalid_url_param.app_error');
  });

  it('savePreferences / getMyPreferences / deletePreferences round-trip with preferences_changed / preferences_deleted', async () => {
    const prefs = [
      { user_id: t.userId, category: 'display_settings', name: 'use_military_time', value: 'true' },
      { user_id: t.userId, category: 'direct_channel_show', name: t.otherId, value: 'true' },
    ];
    t.events.length = 0;
    expect(await t.user.savePreferences(t.userId, prefs)).to.deep.equal({ status: 'OK' });
    const [changed] = eventsNamed(t.events, 'preferences_changed');
    expect(changed.broadcast).to.deep.equal({ user_id: t.userId });
    expect(JSON.parse(changed.data.preferences as string)).to.deep.equal(prefs);
    expect(await t.user.getMyPreferences()).to.have.deep.members(prefs);
    await t.user.savePreferences(t.userId, [{ ...prefs[0], value: 'false' }]);
    expect((await t.user.getMyPreferences() as unknown as typeof prefs).find((p) => p.name === 'use_military_time')?.value).to.equal('false');
    expect(await t.user.deletePreferences(t.userId, [prefs[1]])).to.deep.equal({ status: 'OK' });
    expect(eventsNamed(t.events, 'preferences_deleted')).to.have.lengthOf(1);
    expect((await t.user.getMyPreferences() as unknown as typeof prefs).map((p) => p.name)).to.deep.equal(['use_military_time']);
    // an admin reads anyone's
    const theirs = await raw(t.url, 'GET', `/users/${t.userId}/preferences`, t.admin.getToken());
    expect(theirs.status).to.equal(200);
  });

  it('preferences: 403 for someone else or a row of another user, 400 for invalid rows or bodies', async () => {
    const row = { user_id: t.userId, category: 'c', name: 'n', value: 'v' };
    await expectForbidden(t.user.savePreferences(t.otherId, [{ ...row, user_id: t.otherId }]), 'edit_other_users');
    const others = await raw(t.url, 'GET', `/users/${t.otherId}/preferences`, t.user.getToken());
    expect(others.status).to.equal(403);
    await expectFailure(t.user.savePreferences(t.userId, [{ ...row, user_id: t.otherId }]), 403, 'api.preference.update_preferences.set.app_error');
    await expectFailure(t.user.deletePreferences(t.userId, [{ ...row, user_id: t.otherId }]), 403, 'api.preference.delete_preferences.delete.app_error');
    await expectFailure(t.user.savePreferences(t.userId, [{ ...row, category: '' }]), 400, 'model.preference.is_valid.category.app_error');
    await expectFailure(t.user.savePreferences(t.userId, [{ ...row, name: 'n'.repeat(33) }]), 400, 'model.preference.is_valid.name.app_error');
    await expectFailure(t.user.savePreferences(t.userId, [{ ...row, value: 'v'.repeat(2001) }]), 400, 'model.preference.is_valid.value.app_error');
    t.events.length = 0;
    expect(await t.user.savePreferences(t.userId, [])).to.deep.equal({ status: 'OK' });
    expect(t.events).to.deep.equal([]);
    // the permission is checked before the body is read
    await expectForbidden(t.user.savePreferences(t.otherId, 'not an array' as never), 'edit_other_users');
    const notArray = await raw(t.url, 'PUT', '/users/me/preferences', t.user.getToken(), '{"category":"c"}');
    expect([notArray.status, notArray.body.message]).to.deep.equal([400, 'Invalid or missing preferences in request body.']);
  });

  it('permanently deleting a user drops their status, preferences and reactions (has_reactions follows)', async () => {
    const [goneId] = t.moreIds;
    const gone = t.client();
    await gone.login('user-3', 'SampleUs@r-3');
    await gone.updateStatus({ user_id: goneId, status: 'away' } as never);
    await gone.savePreferences(goneId, [{ user_id: goneId, category: 'display_settings', name: 'colorize_usernames', value: 'true' }]);
    const post = await t.user.createPost({ channel_id: t.mock.seeded.channels['off-topic'].id, message: 'react' } as never);
    await gone.addReaction(goneId, post.id, 'wave');
    expect((await t.user.getPost(post.id) as unknown as { has_reactions?: boolean }).has_reactions).to.equal(true);
    await t.admin.patchConfig({ ServiceSettings: { EnableAPIUserDeletion: true } } as never);
    try {
      const res = await raw(t.url, 'DELETE', `/users/${goneId}?permanent=true`, t.admin.getToken());
      expect(res.status).to.equal(200);
    } finally {
      await t.admin.patchConfig({ ServiceSettings: { EnableAPIUserDeletion: false } } as never);
    }
    expect((await t.user.getStatus(goneId)).status).to.equal('offline');
    expect(t.mock.store.findMany('preferences', 'user_id', goneId)).to.deep.equal([]);
    expect(await t.user.getReactionsForPost(post.id)).to.deep.equal([]);
    expect((await t.user.getPost(post.id) as unknown as { has_reactions?: boolean }).has_reactions).to.equal(undefined);
  });
});
