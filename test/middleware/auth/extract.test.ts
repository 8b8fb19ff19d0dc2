import { expect } from 'chai';
import fc from 'fast-check';
import { extractToken, readCookie, MAX_TOKEN_LENGTH, type TokenCarrier } from '../../../middleware/auth/extract.js';

function carrier(headers: Record<string, string> = {}, querystring = ''): TokenCarrier {
  return {
    headers,
    querystring,
    query: Object.fromEntries(new URLSearchParams(querystring)),
  };
}

const T = 'ybndrfg8ejkmcpqxot1uwisza3';

describe('extractToken', () => {
  it('reads the MMAUTHTOKEN cookie', () => {
    expect(extractToken(carrier({ cookie: `MMUSERID=abc; MMAUTHTOKEN=${T}; MMCSRF=x` }))).to.deep.equal({ token: T, source: 'cookie' });
  });

  it('prefers the cookie over an Authorization header and the query string', () => {
    const found = extractToken(carrier({ cookie: `MMAUTHTOKEN=${T}`, authorization: 'Bearer other' }, 'access_token=q'));
    expect(found).to.deep.equal({ token: T, source: 'cookie' });
  });

  it('treats a present but empty cookie as no token without consulting the header (Go returns "" from the cookie)', () => {
    expect(extractToken(carrier({ cookie: 'MMAUTHTOKEN=', authorization: `Bearer ${T}` }))).to.equal(undefined);
  });

  it('strips double quotes around a cookie value and skips invalid values', () => {
    expect(readCookie(`MMAUTHTOKEN="${T}"`, 'MMAUTHTOKEN')).to.equal(T);
    expect(readCookie('MMAUTHTOKEN=a\\b', 'MMAUTHTOKEN')).to.equal(undefined);
    expect(readCookie('XMMAUTHTOKEN=zzz', 'MMAUTHTOKEN')).to.equal(undefined);
    expect(readCookie(undefined, 'MMAUTHTOKEN')).to.equal(undefined);
  });

  for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
    it(`accepts the ${scheme} scheme case-insensitively`, () => {
      expect(extractToken(carrier({ authorization: `${scheme} ${T}` }))).to.deep.equal({ token: T, source: 'header-bearer' });
    });
  }

  it('skips the 7th character unchecked and keeps extra spaces in the token, like Mattermost', () => {
    expect(extractToken(carrier({ authorization: `BearerX${T}` }))?.token).to.equal(T);
    expect(extractToken(carrier({ authorization: `Bearer  ${T}` }))?.token).to.equal(` ${T}`);
  });

  it('accepts the Token form (case-insensitive)', () => {
    expect(extractToken(carrier({ authorization: `Token ${T}` }))).to.deep.equal({ token: T, source: 'header-token' });
    expect(extractToken(carrier({ authorization: `TOKEN ${T}` }))).to.deep.equal({ token: T, source: 'header-token' });
  });

  it('ignores other schemes (Basic) and falls through to the query string', () => {
    expect(extractToken(carrier({ authorization: 'Basic dXNlcjpwYXNz' }))).to.equal(undefined);
    expect(extractToken(carrier({ authorization: 'Basic dXNlcjpwYXNz' }, `access_token=${T}`))).to.deep.equal({ token: T, source: 'query' });
  });

  it('needs more than 6 (Bearer) / 5 (Token) characters', () => {
    expect(extractToken(carrier({ authorization: 'Bearer' }))).to.equal(undefined);
    expect(extractToken(carrier({ authorization: 'Bearer ' }))).to.equal(undefined);
    expect(extractToken(carrier({ authorization: 'Token' }))).to.equal(undefined);
  });

  it('reads access_token from the query string (first value)', () => {
    expect(extractToken(carrier({}, `x=1&access_token=${T}`))).to.deep.equal({ token: T, source: 'query' });
    const multi: TokenCarrier = { headers: {}, querystring: 'access_token=a&access_token=b', query: { access_token: ['a', 'b'] } };
    expect(extractToken(multi)).to.deep.equal({ token: 'a', source: 'query' });
    expect(extractToken(carrier({}, 'access_token='))).to.equal(undefined);
  });

  it('returns undefined when there is no token at all', () => {
    expect(extractToken(carrier())).to.equal(undefined);
  });

  it('caps tokens at 50 characters', () => {
    const long = 'a'.repeat(80);
    expect(extractToken(carrier({ authorization: `Bearer ${long}` }))?.token).to.have.length(MAX_TOKEN_LENGTH);
    expect(extractToken(carrier({ cookie: `MMAUTHTOKEN=${long}` }))?.token).to.equal('a'.repeat(50));
    expect(extractToken(carrier({}, `access_token=${long}`))?.token).to.equal('a'.repeat(50));
  });
});

describe('extractToken (property-based)', () => {
  it('never throws, and any token it returns is 1-50 chars from the source its rules allow', () => {
    const header = fc.string({ maxLength: 80 });
    fc.assert(fc.property(fc.option(header), fc.option(header), fc.option(header), (auth, cookie, q) => {
      const headers: Record<string, string> = {};
      if (auth !== null) headers.authorization = auth;
      if (cookie !== null) headers.cookie = cookie;
      const qs = q === null ? '' : `access_token=${encodeURIComponent(q)}`;
      const found = extractToken(carrier(headers, qs));
      if (found === undefined) return;
      expect(found.token.length).to.be.within(1, MAX_TOKEN_LENGTH);
      if (found.source === 'header-bearer') expect(auth?.slice(0, 6).toUpperCase()).to.equal('BEARER');
      if (found.source === 'header-token') expect(auth?.slice(0, 5).toLowerCase()).to.equal('token');
      if (found.source === 'query') expect(readCookie(cookie ?? undefined, 'MMAUTHTOKEN')).to.equal(undefined);
      if (found.source === 'cookie') expect(cookie).to.include('MMAUTHTOKEN');
    }), { numRuns: 500 });
  });

  it('round-trips any 1-50 char Bearer token', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 50 }), (t) => {
      expect(extractToken(carrier({ authorization: `Bearer ${t}` }))).to.deep.equal({ token: t, source: 'header-bearer' });
    }), { numRuns: 300 });
  });
});
