/**
 * Failures that explain themselves: a 403 from the mock names the missing permission in
 * `detailed_error` (developer mode) and in `WWW-Authenticate`, and docs/permissions.md lists every
 * permission the mock checks with the built-in roles that grant it.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { permissionRows } from '../support/permission-table.js';
import { API, startTestMock, type TestMock } from './support/mock.js';

describe('mock server: permission failures explain themselves', () => {
  let t: TestMock | undefined;
  afterEach(async () => { await t?.mock.close(); t = undefined; });

  it('developer mode: detailed_error names the user and the missing permission; WWW-Authenticate names it always', async () => {
    t = await startTestMock({ developerMode: true });
    const res = await t.http.post(`${API}/users/${t.userId}/tokens`).set('Authorization', `Bearer ${t.user}`).send({ description: 'x' });
    expect(res.status).to.equal(403);
    expect(res.body.id).to.equal('api.context.permissions.app_error');
    expect(res.body.detailed_error).to.equal(`userId=${t.userId}, permission=create_user_access_token`);
    expect(res.headers['www-authenticate']).to.include('scope="create_user_access_token"');
  });

  it('without developer mode the detail is empty (as Mattermost), the header still names the permission', async () => {
    t = await startTestMock();
    const res = await t.http.post(`${API}/users/${t.userId}/tokens`).set('Authorization', `Bearer ${t.user}`).send({ description: 'x' });
    expect([res.status, res.body.detailed_error]).to.deep.equal([403, '']);
    expect(res.headers['www-authenticate']).to.include('scope="create_user_access_token"');
  });

  it('docs/permissions.md lists every permission the mock checks, with the roles that grant it', () => {
    const doc = readFileSync(new URL('../../docs/permissions.md', import.meta.url), 'utf8');
    const rows = doc.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows, 'regenerate the rows with: npx tsx test/support/permission-table.ts').to.deep.equal(permissionRows());
  });
});
