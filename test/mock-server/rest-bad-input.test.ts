/**
 * Bad input on the REST calls bots make: every new route, with bodies of every wrong shape,
 * answers a Mattermost 4xx error body (never a 500, never a hang), and the server keeps answering.
 */
import { expect } from 'chai';
import { raw, startClientMock, type ClientMock } from './support/client4.js';

const BODIES = [
  '', 'null', 'true', '42', '"text"', '[]', '{}', '[1,2,3]', '[null]', '{"a":{"b":[{}]}}', 'not json', '{"user_id":5}',
  JSON.stringify({ user_id: 'x'.repeat(10_000), message: ['x'], props: 'p', file_ids: 'f' }),
  JSON.stringify([{ user_id: 1, category: [], name: {}, value: null }]),
];

describe('mock server: bad input on the REST calls bots make', () => {
  let t: ClientMock;
  let routes: Array<[string, string]>;
  before(async () => {
    t = await startClientMock();
    const channelId = t.mock.seeded.channels['off-topic'].id;
    const post = await t.user.createPost({ channel_id: channelId, message: 'target' } as never);
    routes = [
      ['POST', '/channels/group'], ['POST', `/channels/members/${t.userId}/view`], ['PUT', `/channels/${channelId}/patch`],
      ['POST', `/channels/${channelId}/members/ids`], ['GET', `/channels/${channelId}/members?page=-1&per_page=abc`],
      ['GET', `/channels/${channelId}/stats?exclude_files_count=maybe`], ['GET', '/teams/name/ad-1/channels/name/off-topic?include_deleted=x'],
      ['PUT', `/posts/${post.id}`], ['PUT', `/posts/${post.id}/patch`], ['GET', `/posts/${post.id}/thread?perPage=x&direction=y`],
      ['POST', '/reactions'], ['GET', `/posts/${post.id}/reactions`], ['GET', `/posts/${post.id}/files/info`],
      ['POST', '/users/ids?since=x'], ['POST', '/users/usernames'], ['POST', '/users/search'], ['POST', '/users/status/ids'],
      ['GET', '/users?sort=x&role=%00&in_team=%2e%2e'], ['GET', '/users/autocomplete?limit=-5&in_channel=x'],
      ['GET', '/users/email/%40%40'], ['PUT', `/users/${t.userId}/status`], ['PUT', `/users/${t.userId}/preferences`],
      ['POST', `/users/${t.userId}/preferences/delete`], ['POST', `/files?channel_id=${channelId}&filename=x`],
    ];
  });
  after(async () => { await t.close(); });

  it('answers a 2xx or a Mattermost 4xx error for every body, never a 5xx', async () => {
    const token = t.user.getToken();
    const seen = new Set<number>();
    for (const [method, path] of routes) {
      for (const body of BODIES) {
        const res = await raw(t.url, method, path, token, method === 'GET' ? undefined : body);
        seen.add(res.status);
        expect(res.status, `${method} ${path} ${body.slice(0, 40)}`).to.be.below(500);
        if (res.status >= 400) expect(res.body, `${method} ${path}`).to.have.all.keys('id', 'message', 'detailed_error', 'request_id', 'status_code');
      }
    }
    expect([...seen].some((s) => s >= 400 && s < 500)).to.equal(true);
    expect((await raw(t.url, 'GET', '/users/me', token)).status).to.equal(200);
  });
});
