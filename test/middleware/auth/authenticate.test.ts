import { expect } from 'chai';
import Koa from 'koa';
import { authenticate, type AuthenticateOptions, type RefusalInfo } from '../../../middleware/auth/authenticate.js';
import { errorBoundary } from '../../../middleware/errors/error-boundary.js';
import { AppError } from '../../../middleware/errors/app-error.js';
import { newId } from '../../../middleware/util/ids.js';
import { requestId } from '../../../middleware/http/request-id.js';
import { storeResolver } from '../../../middleware/auth/store-resolver.js';
import { AuthFailure } from '../../../middleware/auth/auth-failure.js';
import type { Principal, TokenResolver } from '../../../middleware/types.js';
import { listen, recordingLogger, type Harness, type RecordingLogger } from '../../support/koa-harness.js';
import { memoryTokenStore, type MemoryTokenStore } from '../../support/memory-token-store.js';

const SESSION_EXPIRED = {
  id: 'api.context.session_expired.app_error',
  message: 'Invalid or expired session, please login again.',
  detailed_error: '',
  status_code: 401,
};
const INVALID_TOKEN_CHALLENGE = 'Bearer realm="mattermost", error="invalid_token"';

interface Built {
  h: Harness;
  log: RecordingLogger;
  refusals: RefusalInfo[];
}

async function build(options: Partial<AuthenticateOptions> & { resolver: TokenResolver }): Promise<Built> {
  const log = recordingLogger();
  const refusals: RefusalInfo[] = [];
  const app = new Koa();
  app.use(requestId());
  app.use(errorBoundary());
  app.use(authenticate({ logger: log, onRefused: (info) => refusals.push(info), ...options }));
  app.use((ctx) => {
    const auth = ctx.state.auth;
    ctx.body = { anonymous: auth === undefined, userId: auth?.userId, tokenId: auth?.tokenId, source: ctx.state.authSource };
  });
  const h = await listen(app);
  open.push(h);
  return { h, log, refusals };
}

const open: Harness[] = [];

/** A resolver over a fixed map, for principals a store cannot produce (login sessions, OAuth). */
function mapResolver(map: Record<string, Principal>): TokenResolver {
  return {
    resolve(token) {
      const principal = map[token];
      if (principal === undefined) throw new AuthFailure('session_expired');
      return principal;
    },
  };
}

function sessionPrincipal(fields: Partial<Principal> = {}): Principal {
  return { userId: newId(), username: 'someone', roles: ['system_user'], sessionId: newId(), isBot: false, kind: 'session', csrf: 'csrf-secret-1', ...fields };
}

describe('authenticate()', () => {
  let store: MemoryTokenStore;
  let userId: string;
  let tokenId: string;
  let secret: string;
  let built: Built;

  beforeEach(() => {
    store = memoryTokenStore();
    userId = store.addUser().id;
    ({ row: { id: tokenId }, secret } = store.addToken(userId));
  });
  afterEach(async () => { for (const h of open.splice(0)) await h.close(); });

  describe('token forms', () => {
    beforeEach(async () => { built = await build({ resolver: storeResolver(store) }); });

    it('accepts Authorization: Bearer and types ctx.state.auth', async () => {
      const res = await built.h.http.get('/').set('Authorization', `Bearer ${secret}`).expect(200);
      expect(res.body).to.deep.equal({ anonymous: false, userId, tokenId, source: 'header-bearer' });
    });

    it('accepts lower-case bearer and the Token form', async () => {
      expect((await built.h.http.get('/').set('Authorization', `bearer ${secret}`).expect(200)).body.userId).to.equal(userId);
      expect((await built.h.http.get('/').set('Authorization', `Token ${secret}`).expect(200)).body.source).to.equal('header-token');
    });

    it('accepts the MMAUTHTOKEN cookie, which beats the header', async () => {
      const other = store.addToken(store.addUser().id);
      const res = await built.h.http.get('/').set('Cookie', `MMAUTHTOKEN=${secret}`).set('Authorization', `Bearer ${other.secret}`).expect(200);
      expect(res.body).to.include({ userId, source: 'cookie' });
      // A bad cookie is not rescued by a good header.
      await built.h.http.get('/').set('Cookie', 'MMAUTHTOKEN=nonsense').set('Authorization', `Bearer ${secret}`).expect(401);
    });

    it('treats Basic as no token: 401 with a challenge without error=', async () => {
      const res = await built.h.http.get('/').set('Authorization', 'Basic dXNlcjpwYXNz').expect(401);
      expect(res.body).to.include(SESSION_EXPIRED);
      expect(res.headers['www-authenticate']).to.equal('Bearer realm="mattermost"');
      expect(res.headers['set-cookie']).to.equal(undefined);
      expect(built.refusals.map((r) => r.reason)).to.deep.equal(['missing']);
    });

    it('refuses a valid PAT in the query string with 401 token_provided', async () => {
      const res = await built.h.http.get(`/?access_token=${secret}`).expect(401);
      expect(res.headers['content-type']).to.equal('application/json');
      expect(res.body).to.include({ id: 'api.context.token_provided.app_error', message: 'Session is not OAuth but token was provided in the query string.', status_code: 401 });
      expect(built.refusals[0]).to.include({ reason: 'query_token_forbidden', tokenId, userId, source: 'query' });
    });

    it('answers an invalid query token with session_expired (resolved first)', async () => {
      const res = await built.h.http.get('/?access_token=nope').expect(401);
      expect(res.body).to.include(SESSION_EXPIRED);
    });
  });

  it('lets an OAuth session use the query string', async () => {
    const oauth = sessionPrincipal({ isOAuth: true });
    built = await build({ resolver: mapResolver({ oauthtoken: oauth }) });
    const res = await built.h.http.get('/?access_token=oauthtoken').expect(200);
    expect(res.body).to.include({ userId: oauth.userId, source: 'query' });
  });

  it('works with an async store', async () => {
    const asyncStore = memoryTokenStore({ async: true });
    const owner = asyncStore.addUser();
    const t = asyncStore.addToken(owner.id);
    built = await build({ resolver: storeResolver(asyncStore) });
    await built.h.http.get('/').set('Authorization', `Bearer ${t.secret}`).expect(200);
    asyncStore.updateToken(t.row.id, { is_active: false });
    const res = await built.h.http.get('/').set('Authorization', `Bearer ${t.secret}`).expect(401);
    expect(res.body).to.include(SESSION_EXPIRED);
    expect(built.refusals[0]).to.include({ reason: 'token_disabled', tokenId: t.row.id });
  });

  describe('every refusal looks the same to the client', () => {
    const cases: Array<[string, (s: MemoryTokenStore, ids: { tokenId: string; userId: string }) => void, string]> = [
      ['unknown token', (s, ids) => s.deleteToken(ids.tokenId), 'unknown_token'],
      ['disabled token', (s, ids) => s.updateToken(ids.tokenId, { is_active: false }), 'token_disabled'],
      ['owner missing', (s, ids) => s.users.delete(ids.userId), 'user_missing'],
      ['feature off', (s) => { s.featureEnabled = false; }, 'feature_disabled'],
      ['expired token', (s, ids) => s.updateToken(ids.tokenId, { expires_at: Date.now() - 1000 }), 'token_expired'],
      ['deactivated owner', (s, ids) => s.updateUser(ids.userId, { delete_at: Date.now() }), 'user_deactivated'],
    ];

    for (const [name, breakIt, reason] of cases) {
      it(`${name}: 401 session_expired, Bearer invalid_token, expiring cookie; log names the token id, never the secret`, async () => {
        built = await build({ resolver: storeResolver(store) });
        await built.h.http.get('/').set('Authorization', `Bearer ${secret}`).expect(200);
        breakIt(store, { tokenId, userId });
        for (const [header, value] of [['Authorization', `Bearer ${secret}`], ['Cookie', `MMAUTHTOKEN=${secret}`]]) {
          const res = await built.h.http.get('/').set(header, value).expect(401);
          const { request_id: rid, ...rest } = res.body as Record<string, unknown>;
          expect(rest).to.deep.equal(SESSION_EXPIRED);
          expect(rid).to.equal(res.headers['x-request-id']);
          expect(Object.keys(res.body)).to.deep.equal(['id', 'message', 'detailed_error', 'request_id', 'status_code']);
          expect(res.headers['www-authenticate']).to.equal(INVALID_TOKEN_CHALLENGE);
          expect(res.headers['content-type']).to.equal('application/json');
          expect(res.headers['set-cookie']).to.deep.equal(['MMAUTHTOKEN=; Path=/; Max-Age=0; HttpOnly']);
          expect(res.text).not.to.include(secret);
        }
        const expectedTokenId = reason === 'unknown_token' ? undefined : tokenId;
        expect(built.refusals).to.have.length(2);
        for (const info of built.refusals) {
          expect(info).to.include({ reason, path: '/', method: 'GET' });
          expect(info.tokenId).to.equal(expectedTokenId);
          expect(info.requestId).to.be.a('string').with.length(26);
        }
        expect(built.refusals.map((r) => r.source)).to.deep.equal(['header-bearer', 'cookie']);
        const lines = built.log.lines.filter((l) => l.message === 'authentication refused');
        expect(lines).to.have.length(2);
        expect(lines[0].fields).to.include({ reason, tokenId: expectedTokenId });
        expect(built.log.text()).not.to.include(secret);
      });
    }

    it('a bot keeps working when the feature is off', async () => {
      const bot = store.addUser({ is_bot: true });
      const botToken = store.addToken(bot.id);
      store.featureEnabled = false;
      built = await build({ resolver: storeResolver(store) });
      await built.h.http.get('/').set('Authorization', `Bearer ${botToken.secret}`).expect(200);
      await built.h.http.get('/').set('Authorization', `Bearer ${secret}`).expect(401);
    });
  });

  describe('required, optional, ignoreInvalid', () => {
    it('required (default): a missing token is 401', async () => {
      built = await build({ resolver: storeResolver(store) });
      const res = await built.h.http.get('/').expect(401);
      expect(res.body).to.include(SESSION_EXPIRED);
    });

    it('required: false lets a missing token through anonymously but still refuses a bad one', async () => {
      built = await build({ resolver: storeResolver(store), required: false });
      expect((await built.h.http.get('/').expect(200)).body).to.deep.equal({ anonymous: true });
      await built.h.http.get('/').set('Authorization', 'Bearer wrong').expect(401);
      expect((await built.h.http.get('/').set('Authorization', `Bearer ${secret}`).expect(200)).body.userId).to.equal(userId);
    });

    it('ignoreInvalid with required: false proceeds anonymously on a bad token (and still logs it)', async () => {
      built = await build({ resolver: storeResolver(store), required: false, ignoreInvalid: true });
      const res = await built.h.http.get('/').set('Authorization', 'Bearer wrong').expect(200);
      expect(res.body).to.deep.equal({ anonymous: true });
      expect(res.headers['set-cookie']).to.equal(undefined);
      expect(built.refusals.map((r) => r.reason)).to.deep.equal(['unknown_token']);
    });

    it('ignoreInvalid has no effect on a required route', async () => {
      built = await build({ resolver: storeResolver(store), ignoreInvalid: true });
      await built.h.http.get('/').set('Authorization', 'Bearer wrong').expect(401);
    });

    it('ignoreInvalid does not excuse a query-string PAT', async () => {
      built = await build({ resolver: storeResolver(store), required: false, ignoreInvalid: true });
      const res = await built.h.http.get(`/?access_token=${secret}`).expect(401);
      expect(res.body.id).to.equal('api.context.token_provided.app_error');
    });
  });

  describe('exclude', () => {
    it('skips authentication on exact paths, prefixes (trailing *) and regexps', async () => {
      built = await build({ resolver: storeResolver(store), exclude: ['/health', '/public/*', /^\/static\/.+\.css$/] });
      for (const path of ['/health', '/public/a/b', '/static/site.css']) {
        const res = await built.h.http.get(path).set('Authorization', 'Bearer wrong').expect(200);
        expect(res.body, path).to.deep.equal({ anonymous: true });
      }
      await built.h.http.get('/health/x').expect(401);
      await built.h.http.get('/static/site.js').expect(401);
    });

    it('accepts a predicate', async () => {
      built = await build({ resolver: storeResolver(store), exclude: (ctx) => ctx.method === 'OPTIONS' });
      await built.h.http.options('/anything').expect(200);
      await built.h.http.get('/anything').expect(401);
    });
  });

  describe('CSRF rule for cookie-borne tokens', () => {
    it('lets a PAT cookie POST without X-CSRF-Token ("" == "") but refuses a wrong header', async () => {
      built = await build({ resolver: storeResolver(store) });
      await built.h.http.post('/').set('Cookie', `MMAUTHTOKEN=${secret}`).expect(200);
      const res = await built.h.http.post('/').set('Cookie', `MMAUTHTOKEN=${secret}`).set('X-CSRF-Token', 'guess').expect(401);
      expect(res.body).to.include(SESSION_EXPIRED);
      expect(res.headers['set-cookie']).to.equal(undefined); // a CSRF attempt does not log the victim out
      expect(built.refusals[0]).to.include({ reason: 'csrf', tokenId, userId, source: 'cookie', method: 'POST' });
    });

    it('login sessions need the matching X-CSRF-Token on non-GET; X-Requested-With passes unless strict', async () => {
      const session = sessionPrincipal();
      let strict = false;
      built = await build({ resolver: mapResolver({ sess: session }), strictCsrf: () => strict });
      const cookie = 'MMAUTHTOKEN=sess';
      await built.h.http.get('/').set('Cookie', cookie).expect(200);
      await built.h.http.post('/').set('Cookie', cookie).expect(401);
      await built.h.http.put('/').set('Cookie', cookie).set('X-CSRF-Token', 'csrf-secret-2').expect(401);
      await built.h.http.post('/').set('Cookie', cookie).set('X-CSRF-Token', 'csrf-secret-1').expect(200);
      await built.h.http.delete('/').set('Cookie', cookie).set('X-Requested-With', 'XMLHttpRequest').expect(200);
      strict = true;
      await built.h.http.delete('/').set('Cookie', cookie).set('X-Requested-With', 'XMLHttpRequest').expect(401);
      await built.h.http.delete('/').set('Cookie', cookie).set('X-CSRF-Token', 'csrf-secret-1').expect(200);
      // Header-borne tokens never go through the CSRF check.
      await built.h.http.post('/').set('Authorization', 'Bearer sess').expect(200);
    });

    it('HEAD is checked like any non-GET method (Mattermost only exempts GET)', async () => {
      built = await build({ resolver: mapResolver({ sess: sessionPrincipal() }), strictCsrf: true });
      await built.h.http.head('/').set('Cookie', 'MMAUTHTOKEN=sess').expect(401);
    });
  });

  describe('resolver errors that are not refusals', () => {
    it('propagate unchanged (AppError 503 stays 503)', async () => {
      built = await build({
        resolver: { resolve: () => Promise.reject(new AppError('api.context.upstream_unavailable.app_error', { headers: { 'Retry-After': '5' } })) },
      });
      const res = await built.h.http.get('/').set('Authorization', 'Bearer abc').expect(503);
      expect(res.body.id).to.equal('api.context.upstream_unavailable.app_error');
      expect(res.headers['retry-after']).to.equal('5');
      expect(built.refusals).to.deep.equal([]);
    });

    it('a thrown plain Error becomes a 500 without internals', async () => {
      built = await build({ resolver: { resolve: () => { throw new Error('db password is hunter2'); } } });
      const res = await built.h.http.get('/').set('Authorization', 'Bearer abc').expect(500);
      expect(res.body.id).to.equal('api.context.internal.app_error');
      expect(res.text).not.to.include('hunter2');
    });
  });

  it('uses the configured realm and survives a throwing onRefused', async () => {
    built = await build({ resolver: storeResolver(store), realm: 'acme', onRefused: () => { throw new Error('boom'); } });
    const res = await built.h.http.get('/').set('Authorization', 'Bearer wrong').expect(401);
    expect(res.headers['www-authenticate']).to.equal('Bearer realm="acme", error="invalid_token"');
    expect(built.log.lines.some((l) => l.message === 'onRefused threw')).to.equal(true);
  });

  it('requires a resolver', () => {
    expect(() => authenticate({} as AuthenticateOptions)).to.throw(TypeError);
  });
});
