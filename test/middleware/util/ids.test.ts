import { expect } from 'chai';
import { newId, isValidId } from '../../../middleware/util/ids.js';

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
