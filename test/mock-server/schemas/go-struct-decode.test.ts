/**
 * `decodeBody` over a `goStruct` of `go*` fields takes a fast path (mock-server/schemas/json.ts):
 * it must decode exactly what valibot decodes (the same output) and refuse exactly what valibot
 * refuses, for every field kind and value type, absent, null and mistyped fields, unknown and
 * prototype-named keys, and non-objects.
 */
import { expect } from 'chai';
import * as v from 'valibot';
import { isAppError } from '../../../middleware/errors/app-error.js';
import { decodeBody, goArray, goBool, goInt, goMap, goObject, goString, goStrings, goStruct } from '../../../mock-server/schemas/json.js';
import { parsePostInput } from '../../../mock-server/services/posts.js';

const ALL = goStruct({ s: goString, b: goBool, i: goInt, ss: goStrings, o: goObject, a: goArray, m: goMap });

const SAMPLES: unknown[] = [
  undefined, null, '', 'x', 0, 1, -3, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER, true, false, [], ['a', 'b'], ['a', 1], [null], {}, { k: 1 }, [[]],
];

function both(schema: v.GenericSchema, value: unknown): { valibot: unknown; decoded: unknown } {
  const r = v.safeParse(schema, value);
  let decoded: unknown;
  try {
    decoded = { ok: decodeBody(schema, value, 'thing') };
  } catch (err) {
    expect(isAppError(err)).to.equal(true);
    decoded = { failed: (err as { id: string }).id };
  }
  return { valibot: r.success ? { ok: r.output } : { failed: 'api.context.invalid_body_param.app_error' }, decoded };
}

describe('mock server: goStruct decode fast path', () => {
  it('decodes and refuses exactly as valibot, field by field and value by value', () => {
    let ok = 0;
    let failed = 0;
    for (const key of ['s', 'b', 'i', 'ss', 'o', 'a', 'm']) {
      for (const value of SAMPLES) {
        const input = value === undefined ? {} : { [key]: value, extra: 'kept out' };
        const r = both(ALL, input);
        expect(r.decoded, `${key}: ${JSON.stringify(value)}`).to.deep.equal(r.valibot);
        if ('ok' in (r.valibot as object)) ok++;
        else failed++;
      }
    }
    expect(ok).to.be.greaterThan(20);
    expect(failed).to.be.greaterThan(20);
  });

  it('refuses non-objects and keeps prototype-named keys as valibot does', () => {
    for (const value of [null, undefined, 'x', 1, true, [], [{}], JSON.parse('{"__proto__":{"s":"x"},"constructor":"c"}')]) {
      const r = both(ALL, value);
      expect(r.decoded, JSON.stringify(value)).to.deep.equal(r.valibot);
    }
    const proto = both(goStruct({ constructor: goString, toString: goString }), {});
    expect(proto.decoded).to.deep.equal(proto.valibot);
    expect(proto.decoded).to.have.property('failed');
  });

  it('a POST /posts body decodes to every field, zero values for the absent ones', () => {
    expect(parsePostInput({ channel_id: 'c', message: 'hi', props: { a: 1 } })).to.deep.equal({
      channel_id: 'c', message: 'hi', root_id: '', type: '', props: { a: 1 }, file_ids: [], pending_post_id: '', create_at: 0,
    });
    expect(() => parsePostInput({ channel_id: 'c', message: 5 })).to.throw('Invalid or missing post in request body');
  });
});
