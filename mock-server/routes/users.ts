/**
 * User routes: login (no session needed; `Token` header, cookies for `X-Requested-With:
 * XMLHttpRequest`), logout, create, get (by id, `me`, username), delete (deactivate or
 * `?permanent=true`), patch, active, roles.
 *
 * @example
 * ```ts
 * userRoutes(router, server);
 * ```
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { getPrincipal } from '../../middleware/auth/principal.js';
import { maybeJsonObject, stringMap } from '../body.js';
import type { MockContext } from '../context.js';
import { sendJson, statusOk } from '../respond.js';
import { login } from '../services/login.js';
import { logout } from '../services/sessions.js';
import { createUser, deleteUser, getUser, getUserByUsername, patchUser, updateActive, updateRoles } from '../services/users.js';
import { loginUserJson, userJsonFor } from '../services/views.js';
import { alnumParam } from './params.js';

const isXhr = (ctx: Context) => ctx.get('X-Requested-With') === 'XMLHttpRequest';

function cookie(name: string, value: string, expiresAt: number, now: number, httpOnly: boolean): string {
  const maxAge = Math.max(0, Math.floor((expiresAt - now) / 1000));
  return `${name}=${value}; Path=/; Expires=${new Date(expiresAt).toUTCString()}; Max-Age=${maxAge}${httpOnly ? '; HttpOnly' : ''}; SameSite=Lax`;
}

const EXPIRED = (name: string, httpOnly: boolean) => `${name}=; Path=/; Max-Age=0${httpOnly ? '; HttpOnly' : ''}`;

/**
 * Register the user routes.
 *
 * @example
 * ```ts
 * userRoutes(new Router({ prefix: '/api/v4' }), server);
 * ```
 */
export function userRoutes(router: Router, server: MockContext): void {
  const auth = server.requireSession;

  router.post('/users/login', async (ctx) => {
    const result = await login(server, stringMap(ctx), { browser: isXhr(ctx), userAgent: ctx.get('User-Agent') });
    ctx.set('Token', result.token);
    if (isXhr(ctx)) {
      const { session } = result;
      const now = server.now();
      ctx.append('Set-Cookie', cookie('MMAUTHTOKEN', result.token, session.expires_at, now, true));
      ctx.append('Set-Cookie', cookie('MMUSERID', session.user_id, session.expires_at, now, false));
      ctx.append('Set-Cookie', cookie('MMCSRF', session.props.csrf ?? '', session.expires_at, now, false));
    }
    sendJson(ctx, loginUserJson(result.user, result.session));
  });

  router.post('/users/logout', server.optionalSession, async (ctx) => {
    await logout(server, ctx.state.auth);
    ctx.append('Set-Cookie', EXPIRED('MMAUTHTOKEN', true));
    ctx.append('Set-Cookie', EXPIRED('MMUSERID', false));
    ctx.append('Set-Cookie', EXPIRED('MMCSRF', false));
    statusOk(ctx);
  });

  router.post('/users', server.optionalSession, async (ctx) => {
    sendJson(ctx, userJsonFor(ctx.state.auth, await createUser(server, ctx.state.auth, maybeJsonObject(ctx))), { status: 201 });
  });

  router.get('/users/username/:username', auth, (ctx) => {
    const caller = getPrincipal(ctx);
    sendJson(ctx, userJsonFor(caller, getUserByUsername(server, caller, ctx.params.username ?? '')));
  });

  router.get('/users/:user_id', auth, (ctx) => {
    const caller = getPrincipal(ctx);
    const user = getUser(server, caller, alnumParam(ctx, 'user_id'));
    // What ctx.set() ends in, without its per-call arrays.
    if (!ctx.headerSent) ctx.res.setHeader('ETag', `${String(user.update_at)}.${user.id}`);
    sendJson(ctx, userJsonFor(caller, user));
  });

  router.delete('/users/:user_id', auth, async (ctx) => {
    await deleteUser(server, getPrincipal(ctx), alnumParam(ctx, 'user_id'), ctx.query.permanent === 'true');
    statusOk(ctx);
  });

  router.put('/users/:user_id/patch', auth, async (ctx) => {
    const caller = getPrincipal(ctx);
    sendJson(ctx, userJsonFor(caller, await patchUser(server, caller, alnumParam(ctx, 'user_id'), maybeJsonObject(ctx))));
  });

  router.put('/users/:user_id/active', auth, async (ctx) => {
    await updateActive(server, getPrincipal(ctx), alnumParam(ctx, 'user_id'), maybeJsonObject(ctx));
    statusOk(ctx);
  });

  router.put('/users/:user_id/roles', auth, async (ctx) => {
    await updateRoles(server, getPrincipal(ctx), alnumParam(ctx, 'user_id'), stringMap(ctx).roles);
    statusOk(ctx);
  });
}
