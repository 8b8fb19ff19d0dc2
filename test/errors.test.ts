import { expect } from 'chai';
import { AppError, ERRORS, renderMessage, invalidBodyParam } from '../middleware/errors.js';
import { newId, isValidId } from '../middleware/ids.js';

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

describe('ids', () => {
  it('makes 26-char ids from the Mattermost alphabet, last char from the 3-bit set', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = newId();
      expect(id).to.match(/^[ybndrfg8ejkmcpqxot1uwisza345h769]{26}$/);
      expect('yrecowah').to.include(id[25]);
      expect(isValidId(id)).to.equal(true);
      seen.add(id);
    }
    expect(seen.size).to.equal(2000);
  });

  it('rejects ids of the wrong length or with punctuation', () => {
    expect(isValidId('123')).to.equal(false);
    expect(isValidId('a'.repeat(27))).to.equal(false);
    expect(isValidId('../aaaaaaaaaaaaaaaaaaaaaaaa')).to.equal(false);
    expect(isValidId(42)).to.equal(false);
  });
});
