/**
 * The one adapter from valibot to Mattermost's decoding rules (schemas/json.ts): Go's typed
 * decode into a struct (null and absent are the zero value, unknown keys ignored, a mistyped
 * field fails), pointer-field patches, and the two 400s a failed decode answers.
 */
import { expect } from 'chai';
import * as v from 'valibot';
import { AppError } from '../../../mock-server/errors.js';
import {
  anyObject, decodeBody, goArray, goBool, goInt, goMap, goObject, goPatch, goString, goStrings, goStruct, tryDecode,
} from '../../../mock-server/schemas/json.js';

/** The error a decode throws (the middleware's or the mock's AppError: both carry id, status, message). */
function thrown(fn: () => unknown): { id: string; status: number; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(Error).and.to.have.property('id');
    return err as AppError;
  }
  throw new Error('expected an AppError');
}

describe('schemas/json: Go decoding through valibot', () => {
  const Hook = goStruct({
    name: goString, locked: goBool, when: goInt, words: goStrings, props: goObject, items: goArray, meta: goMap,
  });

  it('goStruct: absent and null fields are the zero values; unknown keys are dropped', () => {
    const zero = { name: '', locked: false, when: 0, words: [], props: null, items: null, meta: {} };
    expect(v.parse(Hook, {})).to.deep.equal(zero);
    expect(v.parse(Hook, { name: null, locked: null, when: null, words: null, props: null, items: null, meta: null, extra: 1 })).to.deep.equal(zero);
    expect(v.parse(Hook, { name: 'a', locked: true, when: 2, words: ['x'], props: { k: 1 }, items: [1], meta: { m: 'n' } }))
      .to.deep.equal({ name: 'a', locked: true, when: 2, words: ['x'], props: { k: 1 }, items: [1], meta: { m: 'n' } });
  });

  it('goStruct: a mistyped field, a fraction, an unsafe integer, an array or a scalar body fails', () => {
    for (const bad of [{ name: 1 }, { locked: 'yes' }, { when: 1.5 }, { when: 2 ** 60 }, { words: [1] }, { props: [] }, { items: {} }, { meta: 'x' }, [], 'x', null, 3]) {
      expect(tryDecode(Hook, bad), JSON.stringify(bad)).to.equal(undefined);
    }
  });

  it('goPatch: absent or null fields are not in the output, so a spread changes only the fields given', () => {
    const Patch = goPatch({ header: v.string(), props: anyObject });
    const patch = v.parse(Patch, { header: null, props: { a: 1 }, name: 5 });
    expect(patch).to.deep.equal({ props: { a: 1 } });
    expect({ header: 'kept', ...patch }).to.deep.equal({ header: 'kept', props: { a: 1 } });
    expect(tryDecode(Patch, { header: 3 })).to.equal(undefined);
  });

  it('decodeBody answers invalid_body_param by default and invalid_param for the integration handlers', () => {
    const body = thrown(() => decodeBody(Hook, { name: 1 }, 'channel'));
    expect(body.id).to.equal('api.context.invalid_body_param.app_error');
    expect(body.status).to.equal(400);
    expect(body.message).to.contain('channel');
    const param = thrown(() => decodeBody(Hook, [], 'incoming_webhook', 'param'));
    expect(param.id).to.equal('api.context.invalid_param.app_error');
    expect(param.status).to.equal(400);
    expect(param.message).to.contain('incoming_webhook');
    expect(decodeBody(Hook, { name: 'ok' }, 'channel').name).to.equal('ok');
  });
});
