import { expect } from 'chai';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import { errorBoundary, toAppError, type ErrorBoundaryOptions } from '../../../middleware/errors/error-boundary.js';
import { AppError, defineErrors } from '../../../middleware/errors/app-error.js';

/** An application's registry on top of the middleware's: the boundary renders its errors alike. */
const AppRegistryError = defineErrors({
  'api.context.invalid_url_param.app_error': { status: 400, message: 'Invalid or missing {{.Name}} parameter in request URL.' },
  'app.user_access_token.disabled': { status: 501, message: 'Personal access tokens are disabled on this server.' },
});
import { isValidId } from '../../../middleware/util/ids.js';
import { requestId } from '../../../middleware/http/request-id.js';
import { listen, recordingLogger, type Harness } from '../../support/koa-harness.js';

const KEYS = ['id', 'message', 'detailed_error', 'request_id', 'status_code'];

describe('errorBoundary()', () => {
  let h: Harness;
  afterEach(async () => { await h.close(); });

  async function app(handler: Koa.Middleware, options: ErrorBoundaryOptions = {}, withRequestId = true) {
    const koa = new Koa();
    if (withRequestId) koa.use(requestId());
    koa.use(errorBoundary(options));
    koa.use(bodyParser({ jsonLimit: '1kb' }));
    koa.use(handler);
    h = await listen(koa);
  }

  it('renders an AppError as Mattermost does: key order, status, exact Content-Type, X-Request-ID, headers', async () => {
    await app(() => { throw new AppRegistryError('api.context.invalid_url_param.app_error', { params: { Name: 'user_id' }, detailed: 'secret detail', headers: { 'Retry-After': '3' } }); });
    const res = await h.http.get('/x').expect(400);
    expect(res.headers['content-type']).to.equal('application/json');
    expect(res.headers['retry-after']).to.equal('3');
    expect(Object.keys(res.body)).to.deep.equal(KEYS);
    expect(res.body).to.deep.equal({
      id: 'api.context.invalid_url_param.app_error',
      message: 'Invalid or missing user_id parameter in request URL.',
      detailed_error: '',
      request_id: res.headers['x-request-id'],
      status_code: 400,
    });
    expect(isValidId(res.body.request_id)).to.equal(true);
    expect(Number(res.headers['content-length'])).to.equal(Buffer.byteLength(res.text));
  });

  it('shows detailed_error only in developer mode (flag or function)', async () => {
    let dev = true;
    await app(() => { throw new AppError('api.context.permissions.app_error', { detailed: 'userId=abc, permission=manage_system' }); }, { developerMode: () => dev });
    expect((await h.http.get('/').expect(403)).body.detailed_error).to.equal('userId=abc, permission=manage_system');
    dev = false;
    expect((await h.http.get('/').expect(403)).body.detailed_error).to.equal('');
  });

  it('turns an unexpected error into a 500 without internals, and logs it', async () => {
    const log = recordingLogger();
    await app(() => { throw new Error('connection string postgres://admin:pw@db'); }, { logger: log, developerMode: true });
    const res = await h.http.get('/boom').expect(500);
    expect(res.headers['content-type']).to.equal('application/json');
    expect(res.body).to.deep.equal({
      id: 'api.context.internal.app_error', message: 'An internal server error occurred.', detailed_error: '',
      request_id: res.headers['x-request-id'], status_code: 500,
    });
    expect(res.text).not.to.include('postgres');
    expect(log.lines).to.have.length(1);
    expect(log.lines[0].level).to.equal('error');
    expect(log.lines[0].fields).to.include({ path: '/boom', request_id: res.headers['x-request-id'], error: 'connection string postgres://admin:pw@db' });
  });

  it('handles thrown non-errors and 5xx http errors the same way', async () => {
    await app((ctx) => {
      if (ctx.path === '/string') throw 'just a string';
      ctx.throw(503, 'upstream said something private');
    });
    for (const path of ['/string', '/http']) {
      const res = await h.http.get(path).expect(500);
      expect(res.body.id, path).to.equal('api.context.internal.app_error');
      expect(res.text).not.to.include('private');
    }
  });

  it('hardened mode blanks every 5xx (status 500), leaving 4xx alone', async () => {
    await app((ctx) => {
      if (ctx.path === '/501') throw new AppRegistryError('app.user_access_token.disabled');
      throw new AppError('api.context.404.app_error');
    }, { hardened: true });
    const res = await h.http.get('/501').expect(500);
    expect(res.body).to.deep.equal({ id: '', message: 'Internal Server Error', detailed_error: '', request_id: res.headers['x-request-id'], status_code: 500 });
    expect((await h.http.get('/other').expect(404)).body.id).to.equal('api.context.404.app_error');
  });

  it('maps body-parser errors: bad JSON → 400 invalid_body_param, too large → 413', async () => {
    await app((ctx) => { ctx.body = { got: ctx.request.body }; });
    const bad = await h.http.post('/').set('Content-Type', 'application/json').send('{"a":').expect(400);
    expect(bad.headers['content-type']).to.equal('application/json');
    expect(bad.body).to.include({ id: 'api.context.invalid_body_param.app_error', message: 'Invalid or missing body in request body.', status_code: 400 });
    const big = await h.http.post('/').set('Content-Type', 'application/json').send(JSON.stringify({ a: 'x'.repeat(5000) })).expect(413);
    expect(big.body).to.include({ id: 'api.context.request_body_too_large.app_error', message: 'The request body is too large.', status_code: 413 });
    await h.http.post('/').send({ a: 1 }).expect(200, { got: { a: 1 } });
  });

  it('maps ctx.throw 4xx to registry ids', async () => {
    await app((ctx) => { ctx.throw(Number(ctx.path.slice(1))); });
    const cases: Array<[number, string]> = [
      [401, 'api.context.session_expired.app_error'],
      [403, 'api.context.permissions.app_error'],
      [404, 'api.context.404.app_error'],
      [405, 'api.context.method_not_allowed.app_error'],
      [429, 'api.context.rate_limited.app_error'],
      [415, 'api.context.invalid_body_param.app_error'],
      [418, 'api.context.invalid_param.app_error'],
    ];
    for (const [status, id] of cases) {
      const res = await h.http.get(`/${status}`).expect(status);
      expect(res.body, String(status)).to.include({ id, status_code: status });
      expect(res.headers['content-type']).to.equal('application/json');
    }
  });

  it('replaces a body already set and drops headers describing it', async () => {
    await app((ctx) => {
      ctx.body = 'partial';
      ctx.set('ETag', '"abc"');
      ctx.set('Content-Disposition', 'attachment');
      ctx.set('X-Kept', 'yes');
      throw new AppError('api.context.404.app_error');
    });
    const res = await h.http.get('/').expect(404);
    expect(res.body.id).to.equal('api.context.404.app_error');
    expect(res.headers.etag).to.equal(undefined);
    expect(res.headers['content-disposition']).to.equal(undefined);
    expect(res.headers['x-kept']).to.equal('yes');
    expect(res.headers['content-type']).to.equal('application/json');
  });

  it('mints a request id itself when requestId() is not mounted', async () => {
    await app(() => { throw new AppError('api.context.404.app_error'); }, {}, false);
    const res = await h.http.get('/').expect(404);
    expect(isValidId(res.headers['x-request-id'])).to.equal(true);
    expect(res.body.request_id).to.equal(res.headers['x-request-id']);
  });

  it('appends Set-Cookie from error headers instead of replacing cookies already set', async () => {
    await app((ctx) => {
      ctx.append('Set-Cookie', 'MMUSERID=; Path=/; Max-Age=0');
      throw new AppError('api.context.session_expired.app_error', { headers: { 'Set-Cookie': 'MMAUTHTOKEN=; Path=/; Max-Age=0; HttpOnly' } });
    });
    const res = await h.http.get('/').expect(401);
    expect(res.headers['set-cookie']).to.deep.equal(['MMUSERID=; Path=/; Max-Age=0', 'MMAUTHTOKEN=; Path=/; Max-Age=0; HttpOnly']);
  });
});

describe('toAppError()', () => {
  it('passes AppErrors through and maps unexposed 4xx to 500', () => {
    const err = new AppError('api.context.404.app_error');
    expect(toAppError(err)).to.equal(err);
    expect(toAppError(Object.assign(new Error('x'), { status: 400, expose: false })).id).to.equal('api.context.internal.app_error');
    expect(toAppError(null).status).to.equal(500);
    expect(toAppError({ statusCode: 413, expose: true }).id).to.equal('api.context.request_body_too_large.app_error');
  });
});

describe('requestId()', () => {
  let h: Harness;
  afterEach(async () => { await h.close(); });

  it('puts a fresh 26-char id in X-Request-ID and ctx.state.requestId', async () => {
    const koa = new Koa();
    koa.use(requestId());
    koa.use((ctx) => { ctx.body = { id: ctx.state.requestId }; });
    h = await listen(koa);
    const a = await h.http.get('/').set('X-Request-ID', 'a'.repeat(26)).expect(200);
    const b = await h.http.get('/').expect(200);
    expect(isValidId(a.headers['x-request-id'])).to.equal(true);
    expect(a.body.id).to.equal(a.headers['x-request-id']);
    expect(a.body.id).not.to.equal('a'.repeat(26)); // not trusted by default
    expect(a.body.id).not.to.equal(b.body.id);
  });

  it('trustIncoming reuses a valid incoming id only', async () => {
    const koa = new Koa();
    koa.use(requestId({ trustIncoming: true }));
    koa.use((ctx) => { ctx.body = { id: ctx.state.requestId }; });
    h = await listen(koa);
    const good = 'abcdefghijklmnopqrstuvwxyz';
    expect((await h.http.get('/').set('X-Request-ID', good)).body.id).to.equal(good);
    const bad = await h.http.get('/').set('X-Request-ID', '../../etc/passwd');
    expect(bad.body.id).not.to.equal('../../etc/passwd');
    expect(isValidId(bad.body.id)).to.equal(true);
  });
});
