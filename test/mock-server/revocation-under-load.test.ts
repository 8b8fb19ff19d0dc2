/**
 * Revocation under load (issue 5, item 3): while 20 clients use a personal access token back to
 * back, another client revokes it; no request that started after the revoke answer arrived may be
 * accepted. A correctness test (bounded: ~0.5 s of load per round), not a timing test.
 */
import { expect } from 'chai';
import type { MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';
import { createPat, httpClient, login, type HttpClient } from '../../bench/lib/http.js';
import { revokeUnderLoad } from '../../bench/lib/revocation.js';

describe('mock server: revocation under load', function () {
  let mock: MockServer;
  let client: HttpClient;
  let admin: string;

  before(async function () {
    mock = await startMockServer({ port: 0, inMemory: true });
    client = httpClient(mock.url, 1);
    admin = await login(client, mock.seeded.sysadmin.username, mock.seeded.sysadmin.password);
  });

  after(async function () {
    client.close();
    await mock.close();
  });

  for (const round of [1, 2]) {
    it(`accepts no request started after the revoke answer (round ${round}, 20 concurrent clients)`, async function () {
      const pat = await createPat(client, admin, `under load ${round}`);
      const control = await createPat(client, admin, `control ${round}`);
      const result = await revokeUnderLoad({
        url: mock.url, admin, token: pat.token, tokenId: pat.id, loopers: 20, beforeMs: 250, afterMs: 250,
      });
      expect(result.acceptedBefore, 'the token worked before the revoke').to.be.greaterThan(0);
      expect(result.otherBefore, 'no error before the revoke').to.equal(0);
      expect(result.refusedAfter, 'requests after the revoke were sent and refused').to.be.greaterThan(0);
      expect(result.otherAfter, 'refusals are 401s, not errors').to.equal(0);
      expect(result.acceptedAfterRevoke, 'accepted after the revoke answer').to.equal(0);

      const refused = await client.request('GET', '/api/v4/users/me', pat.token);
      expect(refused.status).to.equal(401);
      expect(JSON.parse(refused.body)).to.include({ id: 'api.context.session_expired.app_error' });
      const other = await client.request('GET', '/api/v4/users/me', control.token);
      expect(other.status, 'another token of the same user still works').to.equal(200);
      expect(JSON.parse(other.body)).to.include({ id: mock.seeded.sysadmin.id });
    });
  }
});
