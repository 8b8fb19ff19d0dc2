import { expect } from 'chai';
import { memoView, userJson, viewCache, viewJson } from '../../../mock-server/services/views.js';
import { newUserRecord } from '../../../mock-server/services/user-record.js';

describe('views of frozen records', () => {
  it('builds one frozen view per frozen record and keeps its JSON text', () => {
    const cache = viewCache<{ id: string; tags: string[] }, { id: string; tags: string[] }>();
    let builds = 0;
    const build = (r: { id: string; tags: string[] }) => { builds++; return { id: r.id, tags: [...r.tags] }; };
    const record = Object.freeze({ id: 'a', tags: ['x'] });
    const first = memoView(cache, record, build);
    expect(memoView(cache, record, build)).to.equal(first);
    expect(builds).to.equal(1);
    expect(Object.isFrozen(first) && Object.isFrozen(first.tags)).to.equal(true);
    expect(viewJson(first)).to.equal('{"id":"a","tags":["x"]}');
    expect(viewJson(first)).to.equal(JSON.stringify(first));
    // A replaced record (what a commit does) gets its own view.
    const next = Object.freeze({ ...record, tags: ['y'] });
    expect(viewJson(memoView(cache, next, build))).to.equal('{"id":"a","tags":["y"]}');
    expect(builds).to.equal(2);
  });

  it('builds afresh for a record that is not frozen, and serializes other values every time', () => {
    const cache = viewCache<{ n: number }, { n: number }>();
    const record = { n: 1 };
    const a = memoView(cache, record, (r) => ({ n: r.n }));
    record.n = 2;
    const b = memoView(cache, record, (r) => ({ n: r.n }));
    expect([a.n, b.n, Object.isFrozen(a)]).to.deep.equal([1, 2, false]);
    const plain = { n: 1 };
    expect(viewJson(plain)).to.equal('{"n":1}');
    plain.n = 3;
    expect(viewJson(plain)).to.equal('{"n":3}');
    // Frozen but not made by memoView: not kept either.
    const frozen = Object.freeze({ inner: { n: 1 } });
    expect(viewJson(frozen)).to.equal('{"inner":{"n":1}}');
    frozen.inner.n = 4;
    expect(viewJson(frozen)).to.equal('{"inner":{"n":4}}');
  });

  it('the User JSON of a stored (frozen) user is the same object each time, the full and profile views apart', () => {
    const user = Object.freeze(newUserRecord({ username: 'views-user', email: 'v@example.com' }, 1_700_000_000_000));
    const full = userJson(user, true);
    expect(userJson(user, true)).to.equal(full);
    const profile = userJson(user, false);
    expect(profile).not.to.equal(full);
    expect(full).to.have.property('notify_props');
    expect(profile).not.to.have.property('notify_props');
    expect(full).not.to.have.property('password');
  });
});
