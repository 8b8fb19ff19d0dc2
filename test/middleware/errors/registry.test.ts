import { expect } from 'chai';
import { AppError, ERRORS, renderMessage, invalidBodyParam } from '../../../middleware/errors/registry.js';

describe('errors registry', () => {
  it('gives every id a 4xx/5xx status and a message', () => {
    for (const [id, def] of Object.entries(ERRORS)) {
      expect(def.status, id).to.be.within(400, 599);
      expect(def.message, id).to.be.a('string').and.not.equal('');
    }
  });

  it('renders {{.Name}} placeholders', () => {
    expect(renderMessage('Invalid or missing {{.Name}} in request body.', { Name: 'description' }))
      .to.equal('Invalid or missing description in request body.');
    const err = invalidBodyParam('description');
    expect(err.status).to.equal(400);
    expect(err.message).to.equal('Invalid or missing description in request body.');
  });

  it('takes the status from the registry unless overridden', () => {
    expect(new AppError('app.user.missing_account.const').status).to.equal(404);
    expect(new AppError('app.user.missing_account.const', { status: 400 }).status).to.equal(400);
  });
});
