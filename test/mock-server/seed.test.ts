/**
 * Seed validation (schemas/seed.ts + the cross-list checks in seed.ts) and the generated JSON
 * Schema for editors.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { createMockApp } from '../support/fast-seed-mock.js';
import { defaultSeed, SeedError, validateSeed } from '../../mock-server/seed.js';
import { SEED_SCHEMA_FILE, seedJsonSchemaText } from '../../mock-server/schemas/seed-json-schema.js';

const alice = { username: 'alice', password: 'Secret-1' };

function seedError(input: unknown): string {
  try {
    validateSeed(input);
  } catch (err) {
    expect(err).to.be.instanceOf(SeedError);
    return (err as Error).message;
  }
  throw new Error(`accepted: ${JSON.stringify(input)}`);
}

describe('seed validation', () => {
  it('"user" (for "users") is refused at its path: no server starts with no users', async () => {
    expect(seedError({ user: [alice] })).to.equal('invalid seed: user: unknown key');
    let thrown: unknown;
    try { await createMockApp({ inMemory: true, seed: { user: [alice] } as never }); } catch (err) { thrown = err; }
    expect(thrown).to.be.instanceOf(SeedError);
    expect((thrown as Error).message).to.include('user: unknown key');
  });

  it('"role" (for "roles") is refused at its path: no admin without the admin role', () => {
    expect(seedError({ users: [{ ...alice, role: 'system_admin system_user' }] })).to.equal('invalid seed: users[0].role: unknown key');
  });

  it('unknown keys are refused at every depth, inside union members too', () => {
    expect(seedError({ users: [alice], teams: [{ name: 't', members: [{ username: 'alice', role: 'team_admin' }] }] }))
      .to.equal('invalid seed: teams[0].members[0].role: unknown key');
    expect(seedError({ users: [alice], bots: [{ username: 'ci-bot', owner: 'alice', displayname: 'CI' }] }))
      .to.equal('invalid seed: bots[0].displayname: unknown key');
    expect(seedError({ users: [alice], teams: [{ name: 't' }], channels: [{ team: 't', name: 'c', private: true }] }))
      .to.equal('invalid seed: channels[0].private: unknown key');
  });

  it('field rules name the field', () => {
    expect(seedError([])).to.equal('invalid seed: root: must be a JSON object');
    expect(seedError({ users: {} })).to.match(/^invalid seed: users: /);
    expect(seedError({ users: [[]] })).to.equal('invalid seed: users[0]: must be a JSON object');
    expect(seedError({ users: [{ ...alice, username: 'Alice' }] })).to.match(/^invalid seed: users\[0\]\.username: must be 3-22 chars/);
    expect(seedError({ users: [{ ...alice, password: 'abc' }] })).to.match(/^invalid seed: users\[0\]\.password: must be a string of 5 to 72/);
    expect(seedError({ users: [{ ...alice, roles: 'system_admin' }] })).to.match(/^invalid seed: users\[0\]\.roles: system_admin needs system_user/);
    expect(seedError({ users: [{ ...alice, deactivated: 'yes' }] })).to.match(/^invalid seed: users\[0\]\.deactivated: /);
    expect(seedError({ teams: [{ name: 't', type: 'P' }] })).to.equal('invalid seed: teams[0].type: must be "O" or "I"');
    expect(seedError({ config: { ServiceSettings: { EnableUserAccessTokens: 'yes' } } })).to.match(/^invalid seed: config\.ServiceSettings\.EnableUserAccessTokens: /);
  });

  it('references between lists: duplicates, owners, members, teams', () => {
    expect(seedError({ users: [alice, alice] })).to.equal('invalid seed: users[1].username: duplicate username alice');
    expect(seedError({ users: [alice], bots: [{ username: 'ci-bot', owner: 'bob' }] })).to.equal('invalid seed: bots[0].owner: must be the username of a seeded user');
    expect(seedError({ users: [alice], teams: [{ name: 't', members: ['bob'] }] })).to.equal('invalid seed: teams[0].members[0]: must name a seeded user or bot');
    expect(seedError({ channels: [{ team: 'nope', name: 'c' }] })).to.equal('invalid seed: channels[0].team: must name a seeded team');
  });

  it('accepts the default seed, "$schema" and unknown config settings (kept as given)', async () => {
    const seed = { ...defaultSeed(), $schema: './mock-server/schemas/seed.schema.json', config: { CustomSettings: { Anything: 1 } } };
    expect(validateSeed(seed).users).to.have.lengthOf(2);
    const mock = await createMockApp({ inMemory: true, seed });
    try {
      expect(mock.seeded.sysadmin.roles).to.equal('system_admin system_user');
      expect(mock.store.config.CustomSettings).to.deep.equal({ Anything: 1 });
    } finally {
      await mock.close();
    }
  });
});

describe('seed JSON Schema', () => {
  it('the committed seed.schema.json is what the schema generates (regenerate: npx tsx mock-server/schemas/seed-json-schema.ts)', () => {
    expect(readFileSync(SEED_SCHEMA_FILE, 'utf8')).to.equal(seedJsonSchemaText());
  });

  it('tells editors the keys: strict objects, required fields, the known config settings', () => {
    const schema = JSON.parse(seedJsonSchemaText()) as {
      additionalProperties: boolean;
      properties: { users: { items: { additionalProperties: boolean; required: string[]; properties: Record<string, unknown> } }; config: { properties: Record<string, unknown> } };
    };
    expect(schema.additionalProperties).to.equal(false);
    expect(schema.properties.users.items.additionalProperties).to.equal(false);
    expect(schema.properties.users.items.required).to.deep.equal(['username', 'password']);
    expect(schema.properties.users.items.properties).to.have.property('roles');
    expect(schema.properties.config.properties).to.have.keys('ServiceSettings', 'TeamSettings', 'RateLimitSettings');
  });
});
