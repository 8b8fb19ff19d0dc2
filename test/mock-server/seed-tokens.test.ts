/**
 * Seeded tokens with known secrets: the fixed token authenticates as its user (REST and the
 * official Client4), its secret is stored only as a SHA-256 digest (never in the db file), it is
 * listed like any token without its secret, and bad declarations fail with their path.
 */
import mattermostClient from '@mattermost/client';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '../../middleware/util/digest.js';
import { buildSeed, defaultSeed, SeedError } from '../../mock-server/seed.js';
import type { MockServer, SeedInput } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';

const { Client4 } = mattermostClient;
const BOT_SECRET = 'cibottoken0000000000000001';
const USER_SECRET = 'usertoken00000000000000001';

function seedWithTokens(): SeedInput {
  const seed = defaultSeed();
  seed.bots = [{ username: 'ci-bot', owner: 'sysadmin', display_name: 'CI bot' }];
  seed.tokens = [
    { user: 'ci-bot', token: BOT_SECRET, description: 'fixed CI token' },
    { user: 'user-1', token: USER_SECRET },
  ];
  return seed;
}

describe('mock server: seeded tokens with known secrets', () => {
  let dir: string;
  let mock: MockServer | undefined;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mm-pat-seedtok-')); });
  afterEach(async () => {
    await mock?.close();
    mock = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('authenticate as their users through Client4; the db file holds the digest, never the secret', async () => {
    const dbFile = join(dir, 'db.json');
    mock = await startMockServer({ port: 0, dbFile, seed: seedWithTokens() });
    const bot = new Client4();
    bot.setUrl(mock.url);
    bot.setToken(BOT_SECRET);
    const me = await bot.getMe();
    expect([me.username, me.is_bot]).to.deep.equal(['ci-bot', true]);
    const user = await fetch(`${mock.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${USER_SECRET}` } });
    expect(user.status).to.equal(200);
    expect(((await user.json()) as { username: string }).username).to.equal('user-1');
    // A near miss is refused.
    const wrong = await fetch(`${mock.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${BOT_SECRET.slice(0, -1)}2` } });
    expect(wrong.status).to.equal(401);

    const admin = new Client4();
    admin.setUrl(mock.url);
    await admin.login('sysadmin', 'Sys@dmin-sample1');
    const listed = await fetch(`${mock.url}/api/v4/users/${me.id}/tokens`, { headers: { Authorization: `Bearer ${admin.getToken()}` } });
    expect(listed.status).to.equal(200);
    const rows = (await listed.json()) as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r.description, r.is_active, 'token' in r])).to.deep.equal([['fixed CI token', true, false]]);

    await mock.close();
    mock = undefined;
    const text = readFileSync(dbFile, 'utf8');
    expect(text).to.not.include(BOT_SECRET).and.not.include(USER_SECRET);
    expect(text).to.include(sha256Hex(BOT_SECRET)).and.include(sha256Hex(USER_SECRET));
  });

  it('survive a reset (they are part of the seed) and an expires_at in the past is refused', async () => {
    const seed = seedWithTokens();
    seed.tokens = [{ user: 'user-1', token: USER_SECRET, expires_at: 1 }, { user: 'ci-bot', token: BOT_SECRET }];
    mock = await startMockServer({ port: 0, seed });
    const bearer = (t: string) => ({ headers: { Authorization: `Bearer ${t}` } });
    expect((await fetch(`${mock.url}/api/v4/users/me`, bearer(USER_SECRET))).status).to.equal(401);
    await mock.reset();
    expect((await fetch(`${mock.url}/api/v4/users/me`, bearer(BOT_SECRET))).status).to.equal(200);
  });

  it('bad declarations fail with their path', async () => {
    const cases: Array<[unknown, string]> = [
      [{ user: 'nobody', token: BOT_SECRET }, 'tokens[0].user'],
      [{ user: 'user-1', token: 'short' }, 'tokens[0].token: must be 26 lowercase letters and digits'],
      [{ user: 'user-1', token: BOT_SECRET.toUpperCase() }, 'tokens[0].token'],
      [{ user: 'user-1', token: BOT_SECRET, secret: 'x' }, 'tokens[0].secret'],
      [{ user: 'user-1', token: BOT_SECRET, expires_at: -5 }, 'tokens[0].expires_at'],
    ];
    for (const [token, message] of cases) {
      const seed = defaultSeed();
      seed.tokens = [token as never];
      let thrown: unknown;
      try {
        await buildSeed(seed);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, message).to.be.instanceOf(SeedError);
      expect((thrown as Error).message).to.include(message);
    }
    const dup = defaultSeed();
    dup.tokens = [{ user: 'user-1', token: USER_SECRET }, { user: 'sysadmin', token: USER_SECRET }];
    let thrown: unknown;
    try { await buildSeed(dup); } catch (err) { thrown = err; }
    expect(String(thrown)).to.include('tokens[1].token: duplicate token');
  });
});
