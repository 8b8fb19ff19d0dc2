/**
 * fast-check arbitraries of hostile input, a Mattermost error-body check and a store
 * fingerprint (to prove a refused request changed nothing).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { CollectionName, Store } from '../../../mock-server/db/schema.js';
import type { FieldType } from './catalogue.js';
import type { Reply } from './http.js';

/** Deeply nested JSON: parses fine, but recursion over it (stringify, clone, merge) overflows the stack. */
export const DEEP_ARRAY = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
export const DEEP_OBJECT = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;

/** Strings that look like injection, traversal or encoding tricks. */
export const NASTY_STRINGS = [
  '', ' ', '.', '..', '../', '../../../../etc/passwd', '..%2f..%2f', '%00', 'a%00b', '\u0000', 'abc\u0000def',
  "' OR '1'='1", "1; DROP TABLE Users; --", '" OR ""="', '{"$ne":null}', '{"$gt":""}', '$where', 'this.password',
  '<script>alert(1)</script>', '${jndi:ldap://x}', '{{7*7}}', '\ud800', '\udfff', '😀'.repeat(26), 'ä'.repeat(26),
  'A'.repeat(27), 'a'.repeat(25), 'a'.repeat(5000), '0'.repeat(26).replace(/^0/, '-'), 'null', 'undefined', 'NaN',
  '\u202e\u0301', '\r\nX-Injected: 1', 'me/../me',
] as const;

/** A string that is not a valid id and not `me` (and so must be refused as a URL param). */
export const badId: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.stringMatching(/^[a-z0-9]{1,60}$/),
  fc.string({ unit: 'grapheme', minLength: 26, maxLength: 26 }),
).filter((s) => s.toLowerCase() !== 'me' && !/^[a-z0-9]{26}$/.test(s));

/** Percent-encode every byte of the UTF-8 form except unreserved characters (lone surrogates become U+FFFD, as on the wire). */
function encodeBytes(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * How a bad id goes into a URL: percent-encoded, or raw when it is printable ASCII (so `../` and
 * `%00` arrive as typed). An empty value would change the route (`/teams/` is `/teams`), so it is
 * sent as `%20`.
 */
export function inPath(value: string, raw: boolean): string {
  if (value === '') return '%20';
  return raw && /^[\x21-\x7e]+$/.test(value) && !/[?#]/.test(value) ? value : encodeBytes(value);
}

const hugeNumbers = fc.constantFrom(1e308, -1e308, 2 ** 53 + 2, -(2 ** 63), 1.5, -1, 0.1, 1e-320);
const nosql = fc.constantFrom<unknown>(
  { $ne: null }, { $gt: '' }, { $where: 'sleep(1000)' }, JSON.parse('{"__proto__":{"admin":true}}'), JSON.parse('{"constructor":{"prototype":{"x":1}}}'),
);

/**
 * A JSON value whose type is not `type`. (`null` is left out: Go's typed decode reads it as the
 * zero value, so it is not a type error in Mattermost.)
 */
export function wrongValue(type: FieldType): fc.Arbitrary<unknown> {
  const pool: fc.Arbitrary<unknown>[] = [];
  if (type !== 'object') pool.push(nosql);
  if (type !== 'string[]') pool.push(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }));
  if (type !== 'string' && type !== 'id') pool.push(fc.string({ maxLength: 20 }), fc.constantFrom(...NASTY_STRINGS));
  if (type !== 'int') pool.push(fc.integer(), hugeNumbers);
  else pool.push(hugeNumbers.filter((n) => !Number.isSafeInteger(n)), fc.constantFrom('1', '0x10', '1e3'));
  if (type !== 'bool') pool.push(fc.boolean());
  if (type === 'id') pool.push(badId);
  if (type === 'string[]') pool.push(fc.array(fc.oneof(fc.integer(), fc.boolean(), nosql), { minLength: 1, maxLength: 3 }));
  return fc.oneof(...pool);
}

const extraFields = fc.dictionary(
  fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'id', 'user_id', 'token', 'is_active', '\u0000')),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 4 },
);

/** A request body that is wrong for an endpoint whose key fields are `fields`: raw text to send. */
export function badBody(fields: Record<string, FieldType>): fc.Arbitrary<string> {
  const names = Object.keys(fields);
  const malformed = fc.oneof(
    fc.constantFrom('{', '{"a":', '[1,', 'nul', "{'a':1}", '{"a":1}}', '{"a":1,}', '\u0000', '\ufeff{}', '{"description":"x"', DEEP_ARRAY, DEEP_OBJECT),
    fc.string({ unit: 'binary', maxLength: 60 }).map((s) => `{${s}`),
  );
  const notObject = fc.oneof(fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }), fc.jsonValue({ maxDepth: 0 }), hugeNumbers)
    .map((v) => JSON.stringify(v) ?? 'null');
  if (names.length === 0) return fc.oneof(malformed, notObject, extraFields.map((o) => JSON.stringify(o)));
  const wrongObject = fc.record({
    wrong: fc.constantFrom(...names).chain((name) => wrongValue(fields[name] ?? 'string').map((value) => ({ name, value }))),
    extra: extraFields,
  }).map(({ wrong, extra }) => JSON.stringify({ ...extra, [wrong.name]: wrong.value }));
  return fc.oneof({ arbitrary: wrongObject, weight: 3 }, { arbitrary: malformed, weight: 2 }, { arbitrary: notObject, weight: 1 });
}

/** Hostile values for numeric query parameters. */
export const badNumber: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('-1', '-0', '-99999999999999999999', '1e309', 'NaN', 'Infinity', '0x10', '', ' ', '1.5', '99999999999999999999999', '9007199254740993', '%00', '1;DROP', '../'),
  fc.integer({ min: -1_000_000, max: 1_000_000_000 }).map(String),
);

const ERROR_KEYS = ['id', 'message', 'detailed_error', 'request_id', 'status_code'];

/** A Mattermost JSON error body with a 4xx status and one of `ids`. */
export function expectClientError(reply: Reply, ids: readonly string[], what: string): void {
  const context = `${what} → ${reply.status} ${reply.text.slice(0, 300)}`;
  expect(reply.status, context).to.be.within(400, 499);
  expect(reply.headers['content-type'], context).to.equal('application/json');
  const body = reply.json as Record<string, unknown>;
  expect(body, context).to.be.an('object');
  expect(Object.keys(body), context).to.deep.equal(ERROR_KEYS);
  expect(body.status_code, context).to.equal(reply.status);
  expect(ids, context).to.include(body.id);
}

const COLLECTIONS: CollectionName[] = ['users', 'bots', 'tokens', 'sessions', 'teams', 'teamMembers', 'channels', 'channelMembers', 'posts'];

/** Everything the store holds, as one string (compare before and after). */
export function fingerprint(store: Store): string {
  const parts: unknown[] = [store.config];
  for (const c of COLLECTIONS) parts.push([...store.all(c)]);
  return JSON.stringify(parts);
}
