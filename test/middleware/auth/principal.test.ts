import { expect } from 'chai';
import Koa from 'koa';
import Router from '@koa/router';
import { getPrincipal, bearerChallenge } from '../../../middleware/auth/principal.js';
import { AppError } from '../../../middleware/errors/app-error.js';
import { newId } from '../../../middleware/util/ids.js';
import type { Principal } from '../../../middleware/types.js';

const principal: Principal = { userId: newId(), username: 'u', roles: ['system_user'], sessionId: newId(), isBot: false, kind: 'session' };

describe('principal typing and getPrincipal()', () => {
  it('returns the principal from ctx.state.auth', () => {
    expect(getPrincipal({ state: { auth: principal } })).to.equal(principal);
  });

  it('throws the 401 session_expired with a Bearer challenge when anonymous', () => {
    try {
      getPrincipal({ state: {} });
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(AppError);
      const e = err as AppError;
      expect(e.id).to.equal('api.context.session_expired.app_error');
      expect(e.status).to.equal(401);
      expect(e.headers).to.deep.equal({ 'WWW-Authenticate': 'Bearer realm="mattermost"' });
    }
    expect(bearerChallenge('x', 'invalid_token')).to.equal('Bearer realm="x", error="invalid_token"');
  });

  it('types ctx.state.auth on Koa and @koa/router contexts without casts (compile-time check)', () => {
    const app = new Koa();
    const router = new Router();
    // These lines only compile because of the declaration merging in principal.ts.
    app.use((ctx, next) => {
      const id: string | undefined = ctx.state.auth?.userId;
      const rid: string | undefined = ctx.state.requestId;
      void id; void rid;
      // @ts-expect-error auth is a Principal, not a number
      const wrong: number = ctx.state.auth;
      void wrong;
      return next();
    });
    router.get('/', (ctx) => {
      const roles: readonly string[] | undefined = ctx.state.auth?.roles;
      void roles;
    });
    expect(router.stack).to.have.length(1);
  });
});
