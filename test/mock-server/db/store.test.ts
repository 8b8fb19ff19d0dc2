import { expect } from 'chai';
import { openStore } from '../../../mock-server/db/store.js';
import { InvalidMutationError, StoreClosedError, UniqueViolationError } from '../../../mock-server/db/errors.js';
import type { Store } from '../../../mock-server/db/schema.js';
import { channelMember, config, emptyData, seedData, session, token, user } from './fixtures/data.js';

async function memoryStore(): Promise<Store> {
  return openStore({ inMemory: true, initialData: seedData });
}

describe('store (in memory)', () => {
  it('loads initialData and answers get/findOne/count/all', async () => {
    const store = await memoryStore();
    expect(store.file).to.equal(undefined);
    expect(store.count('users')).to.equal(2);
    expect(store.get('users', 'u1')?.username).to.equal('sysadmin');
    expect(store.get('users', 'nope')).to.equal(undefined);
    expect(store.findOne('users', 'username', 'user-1')?.id).to.equal('u2');
    expect(store.findOne('users', 'email', 'sysadmin@example.com')?.id).to.equal('u1');
    expect([...store.all('users')].map((u) => u.id)).to.deep.equal(['u1', 'u2']);
    expect(store.config.TeamSettings.SiteName).to.equal('Mock');
  });

  it('commit applies synchronously, before the promise settles', async () => {
    const store = await memoryStore();
    const pending = store.commit([{ op: 'put', collection: 'tokens', record: token('t1', 'u1') }]);
    expect(store.get('tokens', 't1')?.user_id).to.equal('u1');
    expect(store.findOne('tokens', 'digest', 'digest-t1')?.id).to.equal('t1');
    await pending;
    expect(store.stats().counts.tokens).to.equal(1);
  });

  it('findMany returns records in insertion order, as a fresh array', async () => {
    const store = await memoryStore();
    await store.commit(['t3', 't1', 't2'].map((id) => ({ op: 'put' as const, collection: 'tokens' as const, record: token(id, 'u1') })));
    await store.commit([{ op: 'put', collection: 'tokens', record: token('t9', 'u2') }]);
    const mine = store.findMany('tokens', 'user_id', 'u1');
    expect(mine.map((t) => t.id)).to.deep.equal(['t3', 't1', 't2']);
    mine.pop();
    expect(store.findMany('tokens', 'user_id', 'u1')).to.have.length(3);
    expect(store.findMany('tokens', 'user_id', 'nobody')).to.deep.equal([]);
    expect([...store.all('tokens')].map((t) => t.id)).to.deep.equal(['t3', 't1', 't2', 't9']);
  });

  it('a replaced record keeps its place; indexes follow changed fields', async () => {
    const store = await memoryStore();
    await store.commit(['a', 'b', 'c'].map((id) => ({ op: 'put' as const, collection: 'tokens' as const, record: token(id, 'u1') })));
    await store.commit([{ op: 'put', collection: 'tokens', record: token('a', 'u2', { digest: 'new-digest' }) }]);
    expect([...store.all('tokens')].map((t) => t.id)).to.deep.equal(['a', 'b', 'c']);
    expect(store.findOne('tokens', 'digest', 'digest-a')).to.equal(undefined);
    expect(store.findOne('tokens', 'digest', 'new-digest')?.id).to.equal('a');
    expect(store.findMany('tokens', 'user_id', 'u1').map((t) => t.id)).to.deep.equal(['b', 'c']);
    expect(store.findMany('tokens', 'user_id', 'u2').map((t) => t.id)).to.deep.equal(['a']);
    // Moving back into u1's bucket restores insertion order there.
    await store.commit([{ op: 'put', collection: 'tokens', record: token('a', 'u1', { digest: 'new-digest' }) }]);
    expect(store.findMany('tokens', 'user_id', 'u1').map((t) => t.id)).to.deep.equal(['a', 'b', 'c']);
    expect(store.findMany('tokens', 'user_id', 'u2')).to.deep.equal([]);
  });

  it('renaming a user frees the old unique key', async () => {
    const store = await memoryStore();
    const before = store.get('users', 'u2');
    if (!before) throw new Error('seed user missing');
    await store.commit([{ op: 'put', collection: 'users', record: { ...before, username: 'Renamed', email: 'r@example.com' } }]);
    expect(store.findOne('users', 'username', 'user-1')).to.equal(undefined);
    expect(store.findOne('users', 'username', 'renamed')?.id).to.equal('u2');
    await store.commit([{ op: 'put', collection: 'users', record: user('u3', 'user-1') }]);
    expect(store.findOne('users', 'username', 'user-1')?.id).to.equal('u3');
  });

  it('delete removes the record from every index; deleting a missing key is a no-op', async () => {
    const store = await memoryStore();
    await store.commit([
      { op: 'put', collection: 'sessions', record: session('s1', 'u1', { props: { user_access_token_id: 't1' } }) },
      { op: 'put', collection: 'sessions', record: session('s2', 'u1') },
    ]);
    expect(store.findMany('sessions', 'token_id', 't1').map((s) => s.id)).to.deep.equal(['s1']);
    await store.commit([{ op: 'delete', collection: 'sessions', key: 's1' }, { op: 'delete', collection: 'sessions', key: 'zzz' }]);
    expect(store.get('sessions', 's1')).to.equal(undefined);
    expect(store.findOne('sessions', 'token_digest', 'sd-s1')).to.equal(undefined);
    expect(store.findMany('sessions', 'token_id', 't1')).to.deep.equal([]);
    expect(store.findMany('sessions', 'user_id', 'u1').map((s) => s.id)).to.deep.equal(['s2']);
    expect(store.count('sessions')).to.equal(1);
  });

  it('composite primary keys (members) and re-inserting after delete goes last', async () => {
    const store = await memoryStore();
    await store.commit([
      { op: 'put', collection: 'channelMembers', record: channelMember('c1', 'u1') },
      { op: 'put', collection: 'channelMembers', record: channelMember('c1', 'u2') },
    ]);
    expect(store.get('channelMembers', 'c1:u2')?.user_id).to.equal('u2');
    await store.commit([{ op: 'delete', collection: 'channelMembers', key: 'c1:u1' }]);
    await store.commit([{ op: 'put', collection: 'channelMembers', record: channelMember('c1', 'u1') }]);
    expect(store.findMany('channelMembers', 'channel_id', 'c1').map((m) => m.user_id)).to.deep.equal(['u2', 'u1']);
    expect(store.findMany('channelMembers', 'user_id', 'u1').map((m) => m.channel_id)).to.deep.equal(['c1']);
  });

  it('a unique violation rejects the whole batch and applies nothing', async () => {
    const store = await memoryStore();
    const batch = store.commit([
      { op: 'put', collection: 'tokens', record: token('t1', 'u1') },
      { op: 'put', collection: 'users', record: user('u3', 'SYSADMIN', { email: 'other@example.com' }) },
    ]);
    // Nothing visible even before the promise settles.
    expect(store.get('tokens', 't1')).to.equal(undefined);
    const err = await batch.then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(UniqueViolationError);
    const violation = err as UniqueViolationError;
    expect(violation.collection).to.equal('users');
    expect(violation.index).to.equal('username');
    expect(violation.key).to.equal('sysadmin');
    expect(violation.existing).to.equal('u1');
    expect(store.count('users')).to.equal(2);
    expect(store.count('tokens')).to.equal(0);
  });

  it('unique checks see earlier mutations of the same batch', async () => {
    const store = await memoryStore();
    // Two new records with the same digest in one batch: rejected.
    const err = await store.commit([
      { op: 'put', collection: 'tokens', record: token('a', 'u1', { digest: 'same' }) },
      { op: 'put', collection: 'tokens', record: token('b', 'u1', { digest: 'same' }) },
    ]).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(UniqueViolationError);
    expect(store.count('tokens')).to.equal(0);
    // Delete then reuse the key, and swap usernames through a temporary one: accepted.
    const u1 = store.get('users', 'u1');
    const u2 = store.get('users', 'u2');
    if (!u1 || !u2) throw new Error('seed users missing');
    await store.commit([
      { op: 'put', collection: 'users', record: { ...u1, username: 'tmp', email: 'tmp@example.com' } },
      { op: 'put', collection: 'users', record: { ...u2, username: 'sysadmin', email: 'sysadmin@example.com' } },
      { op: 'put', collection: 'users', record: { ...u1, username: 'user-1', email: 'user-1@example.com' } },
    ]);
    expect(store.findOne('users', 'username', 'sysadmin')?.id).to.equal('u2');
    expect(store.findOne('users', 'username', 'user-1')?.id).to.equal('u1');
    expect(store.findOne('users', 'username', 'tmp')).to.equal(undefined);
    await store.commit([
      { op: 'delete', collection: 'users', key: 'u2' },
      { op: 'put', collection: 'users', record: user('u9', 'sysadmin') },
    ]);
    expect(store.findOne('users', 'username', 'sysadmin')?.id).to.equal('u9');
  });

  it('rejects malformed mutations without applying anything', async () => {
    const store = await memoryStore();
    const bad = [
      [{ op: 'put', collection: 'tokens', record: token('ok', 'u1') }, { op: 'put', collection: 'nope', record: {} }],
      [{ op: 'put', collection: 'channelMembers', record: { channel_id: 'c1' } }],
      [{ op: 'frobnicate', collection: 'users' }],
    ];
    for (const mutations of bad) {
      // @ts-expect-error deliberately malformed
      const err = await store.commit(mutations).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(InvalidMutationError);
    }
    expect(store.count('tokens')).to.equal(0);
  });

  it('rejects a primary key with an empty or undefined part, and accepts every complete one', async () => {
    const store = await memoryStore();
    const member = (channelId: string, userId: string) => ({ op: 'put', collection: 'channelMembers', record: { channel_id: channelId, user_id: userId } });
    for (const [channelId, userId] of [['', 'u1'], ['c1', ''], ['undefined', 'u1'], ['c1', 'undefined'], ['c1:', 'u1'], ['c1', ':u1'], ['a:undefined', 'u1']]) {
      // @ts-expect-error a partial record, only its key matters here
      const err = await store.commit([member(channelId, userId)]).then(() => undefined, (e: unknown) => e);
      expect(err, `${channelId}:${userId}`).to.be.instanceOf(InvalidMutationError);
    }
    expect(store.count('channelMembers')).to.equal(0);
    // 'undefined' inside a part is not a missing field.
    // @ts-expect-error a partial record, only its key matters here
    await store.commit([member('xundefined', 'undefinedx')]);
    expect(store.get('channelMembers', 'xundefined:undefinedx')).to.not.equal(undefined);
  });

  it('a batch of distinct collections checks each put against the tables: its own key passes, another record\'s fails', async () => {
    const store = await memoryStore();
    const u1 = store.get('users', 'u1');
    if (!u1) throw new Error('seed user missing');
    await store.commit([
      { op: 'put', collection: 'users', record: { ...u1, nickname: 'same keys' } },
      { op: 'put', collection: 'tokens', record: token('t1', 'u1') },
    ]);
    expect(store.get('users', 'u1')?.nickname).to.equal('same keys');
    const err = await store.commit([
      { op: 'put', collection: 'tokens', record: token('t2', 'u1', { digest: store.get('tokens', 't1')?.digest }) },
      { op: 'put', collection: 'users', record: { ...u1, nickname: 'never' } },
    ]).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(UniqueViolationError);
    expect((err as UniqueViolationError).existing).to.equal('t1');
    expect(store.get('users', 'u1')?.nickname).to.equal('same keys');
    expect(store.count('tokens')).to.equal(1);
  });

  it('stored records are frozen so nobody changes memory behind the journal', async () => {
    const store = await memoryStore();
    await store.commit([{ op: 'put', collection: 'tokens', record: token('t1', 'u1') }]);
    const stored = store.get('tokens', 't1');
    expect(Object.isFrozen(stored)).to.equal(true);
    expect(() => { (stored as { is_active: boolean }).is_active = false; }).to.throw(TypeError);
  });

  it('config mutation replaces the config', async () => {
    const store = await memoryStore();
    await store.commit([{ op: 'config', config: config('Changed') }]);
    expect(store.config.TeamSettings.SiteName).to.equal('Changed');
  });

  it('replaceAll swaps everything (indexes included) without touching the caller data', async () => {
    const store = await memoryStore();
    await store.commit([{ op: 'put', collection: 'tokens', record: token('t1', 'u1') }]);
    const data = emptyData();
    data.users.push(user('x1', 'xavier'));
    await store.replaceAll(data);
    expect(store.count('tokens')).to.equal(0);
    expect(store.findOne('tokens', 'digest', 'digest-t1')).to.equal(undefined);
    expect(store.findOne('users', 'username', 'sysadmin')).to.equal(undefined);
    expect(store.findOne('users', 'username', 'xavier')?.id).to.equal('x1');
    expect(Object.isFrozen(data.users[0])).to.equal(false);
  });

  it('replaceAll with clashing data rejects and keeps the current data', async () => {
    const store = await memoryStore();
    const data = emptyData();
    data.users.push(user('a', 'same'), user('b', 'SAME', { email: 'b@example.com' }));
    const err = await store.replaceAll(data).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(UniqueViolationError);
    expect(store.count('users')).to.equal(2);
    expect(store.findOne('users', 'username', 'sysadmin')?.id).to.equal('u1');
  });

  it('stats count records and report no disk activity', async () => {
    const store = await memoryStore();
    await store.commit([{ op: 'put', collection: 'tokens', record: token('t1', 'u1') }]);
    expect(store.stats()).to.deep.include({ snapshots: 0, journalWrites: 0, journalEntries: 0 });
    expect(store.stats().counts).to.include({ users: 2, tokens: 1, posts: 0 });
  });

  it('unknown index names throw; findOne on a non-unique index gives the first record', async () => {
    const store = await memoryStore();
    await store.commit([{ op: 'put', collection: 'tokens', record: token('t1', 'u1') }, { op: 'put', collection: 'tokens', record: token('t2', 'u1') }]);
    expect(store.findOne('tokens', 'user_id', 'u1')?.id).to.equal('t1');
    // @ts-expect-error not an index of tokens
    expect(() => store.findOne('tokens', 'username', 'x')).to.throw(TypeError, /no index/);
  });

  it('after close, commits reject with StoreClosedError', async () => {
    const store = await memoryStore();
    await store.close();
    const err = await store.commit([]).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(StoreClosedError);
  });
});
