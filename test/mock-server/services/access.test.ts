/**
 * `SessionHasPermissionToUser` as app/authorization.go writes it, through the one copy the
 * services share (services/access.ts; channel-permissions.ts had a second copy that disagreed on
 * an unknown target).
 */
import { expect } from 'chai';
import { newId } from '../../../middleware/util/ids.js';
import type { MockApp } from '../../../mock-server/index.js';
import { createMockApp } from '../../support/fast-seed-mock.js';
import { sessionHasPermissionToUser, sessionHasPermissionToUserOrBot } from '../../../mock-server/services/access.js';
import { requireId } from '../../../mock-server/services/input.js';
import { AppError } from '../../../mock-server/errors.js';
import type { Principal } from '../../../middleware/types.js';

describe('services/access: SessionHasPermissionToUser', () => {
  let mock: MockApp;
  const principal = (userId: string, roles: string[]): Principal => ({ userId, username: '', roles, sessionId: '', isBot: false, kind: 'session' });
  const admin = () => principal(mock.seeded.sysadmin.id, ['system_admin', 'system_user']);
  const user = () => principal(mock.seeded.user1.id, ['system_user']);
  before(async () => { mock = await createMockApp({ inMemory: true }); });
  after(async () => { await mock.close(); });

  it('refuses an empty id, even to an admin', () => {
    expect(sessionHasPermissionToUser(mock.store, admin(), '')).to.equal(false);
  });

  it('an unknown user: an admin passes (manage_system is checked before the lookup), anyone else is refused', () => {
    const unknown = newId();
    expect(sessionHasPermissionToUser(mock.store, admin(), unknown)).to.equal(true);
    expect(sessionHasPermissionToUser(mock.store, user(), unknown)).to.equal(false);
    expect(sessionHasPermissionToUserOrBot(mock.store, user(), unknown)).to.equal(false);
  });

  it('oneself passes without edit_other_users; another user needs it', () => {
    expect(sessionHasPermissionToUser(mock.store, user(), user().userId)).to.equal(true);
    expect(sessionHasPermissionToUser(mock.store, user(), admin().userId)).to.equal(false);
    expect(sessionHasPermissionToUser(mock.store, admin(), user().userId)).to.equal(true);
  });
});

describe('services/input: requireId (me or a valid id)', () => {
  it('me is the caller, a valid id passes, anything else is 400 invalid_url_param naming the param', () => {
    const me = newId();
    expect(requireId('me', 'user_id', me)).to.equal(me);
    const other = newId();
    expect(requireId(other, 'user_id', me)).to.equal(other);
    for (const bad of ['me', '123', '']) {
      const thrown = (() => { try { requireId(bad, 'user_id'); } catch (err) { return err; } return undefined; })();
      expect(thrown).to.be.instanceOf(AppError);
      expect((thrown as AppError).id).to.equal('api.context.invalid_url_param.app_error');
      expect((thrown as AppError).params).to.deep.include({ Name: 'user_id' });
    }
  });
});
