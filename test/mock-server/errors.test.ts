import { expect } from 'chai';
import { AppError as BaseAppError, isAppError } from '../../middleware/errors/app-error.js';
import { ERRORS } from '../../middleware/errors/registry.js';
import { AppError, MOCK_ERRORS, invalidUrlParam } from '../../mock-server/errors.js';
import { describeRegistry } from '../support/error-registry.js';

describeRegistry('mock server', { table: MOCK_ERRORS, file: 'mock-server/errors.ts', tree: 'mock-server' });

describe('mock server AppError', () => {
  it('takes the mock ids and the middleware ids, and is an AppError the boundary renders', () => {
    const own = new AppError('app.user.missing_account.const');
    expect([own.status, own.message]).to.deep.equal([404, 'Unable to find the user.']);
    expect(new AppError('app.user.missing_account.const', { status: 400 }).status).to.equal(400);
    expect(own).to.be.instanceOf(BaseAppError);
    expect(isAppError(own)).to.equal(true);
    expect(new AppError('api.context.session_expired.app_error').status).to.equal(401);
  });

  it('invalidUrlParam names the parameter', () => {
    const err = invalidUrlParam('user_id');
    expect([err.id, err.status, err.message]).to.deep.equal(['api.context.invalid_url_param.app_error', 400, 'Invalid or missing user_id parameter in request URL.']);
  });

  it('owns no id of the middleware registry (one id, one registry)', () => {
    expect(Object.keys(MOCK_ERRORS).filter((id) => Object.hasOwn(ERRORS, id))).to.deep.equal([]);
  });
});
