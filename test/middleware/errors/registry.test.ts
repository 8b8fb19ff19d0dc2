import { expect } from 'chai';
import { ERRORS } from '../../../middleware/errors/registry.js';
import { describeRegistry, unusedIds } from '../../support/error-registry.js';

describeRegistry('middleware', { table: ERRORS, file: 'middleware/errors/registry.ts', tree: 'middleware' });

describe('registry checks', () => {
  it('flag an id nothing throws, and not the ids something throws', () => {
    const table = { ...ERRORS, 'api.test.never_thrown.app_error': { status: 400, message: 'Never.' } };
    expect(unusedIds({ table, file: 'middleware/errors/registry.ts', tree: 'middleware' })).to.deep.equal(['api.test.never_thrown.app_error']);
  });

  it('do not count a middleware id as used because the mock throws it', () => {
    // invalid_url_param is thrown only through the mock's invalidUrlParam(): not a middleware id.
    const table = { 'api.context.invalid_url_param.app_error': { status: 400, message: 'x' } };
    expect(unusedIds({ table, file: 'middleware/errors/registry.ts', tree: 'middleware' })).to.deep.equal(['api.context.invalid_url_param.app_error']);
  });
});
