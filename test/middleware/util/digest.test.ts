import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { deriveId, safeEqual, sha256Hex } from '../../../middleware/util/digest.js';
import { isValidId } from '../../../middleware/util/ids.js';

describe('digest helpers', () => {
  it('sha256Hex is lowercase hex SHA-256 of the UTF-8 string', () => {
    expect(sha256Hex('abc')).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('é')).to.equal(createHash('sha256').update(Buffer.from('é', 'utf8')).digest('hex'));
  });

  it('safeEqual compares exactly, including different lengths and non-ASCII', () => {
    expect(safeEqual('abc', 'abc')).to.equal(true);
    expect(safeEqual('abc', 'abd')).to.equal(false);
    expect(safeEqual('abc', 'abcd')).to.equal(false);
    expect(safeEqual('', '')).to.equal(true);
    expect(safeEqual('é', 'e')).to.equal(false);
  });

  it('deriveId gives a stable, valid 26-char Mattermost id per input', () => {
    const a = deriveId('session:x');
    expect(a).to.match(/^[ybndrfg8ejkmcpqxot1uwisza345h769]{26}$/);
    expect(isValidId(a)).to.equal(true);
    expect(deriveId('session:x')).to.equal(a);
    expect(deriveId('session:y')).not.to.equal(a);
  });
});
