/**
 * Post routes (Mattermost `api4/post.go`): `POST /posts` (201), `GET /posts/{id}`,
 * `GET /posts/{id}/thread`, `PUT /posts/{id}`, `PUT /posts/{id}/patch`, `DELETE /posts/{id}` and
 * `GET /channels/{id}/posts` (PostList). Rules are in `services/posts.ts` and `services/post-edits.ts`.
 *
 * @example
 * ```ts
 * postRoutes(router, server); // router prefixed with /api/v4
 * // POST /api/v4/posts {"channel_id":"…","message":"hello"} → 201 Post JSON (user_id = caller)
 * ```
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { invalidBodyParam } from '../errors.js';
import { isValidId } from '../../middleware/util/ids.js';
import { getPrincipal } from '../../middleware/auth/principal.js';
import type { MockContext } from '../context.js';
import { pageParams, sendJson, sendJsonText, statusOk } from '../respond.js';
import { channelPosts, createdPostJson, createPost, getPost, parsePostInput, postJson } from '../services/posts.js';
import { deletePost, getPostThread, parsePostPatch, patchPost, updatePost } from '../services/post-edits.js';
import { jsonBody } from '../body.js';
import { idParam, queryBool } from './params.js';

/** An optional post-id query parameter (`before` / `after`): 400 `invalid_body_param` when not an id. */
function postIdQuery(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  if (typeof value !== 'string' || value === '') return undefined;
  if (!isValidId(value)) throw invalidBodyParam(name);
  return value;
}

/** The `since` query parameter (ms): 400 `invalid_body_param` when not an integer. */
function sinceQuery(ctx: Context): number | undefined {
  const value = ctx.query.since;
  if (typeof value !== 'string' || value === '') return undefined;
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw invalidBodyParam('since');
  return Number(value);
}

/**
 * `getPostThread`'s query checks: `perPage` an integer up to 200, `direction` `up` or `down`
 * (400 naming them). The mock answers the whole thread whatever the paging asks (`has_next` false).
 */
function threadQuery(ctx: Context): void {
  const perPage = ctx.query.perPage;
  if (typeof perPage === 'string' && perPage !== '' && (!/^-?\d+$/.test(perPage) || Number(perPage) > 200)) throw invalidBodyParam('perPage');
  const direction = ctx.query.direction;
  if (typeof direction === 'string' && direction !== '' && direction !== 'up' && direction !== 'down') throw invalidBodyParam('direction');
}

/** Register the post routes. */
export function postRoutes(router: Router, server: MockContext): void {
  const auth = server.requireSession;

  router.post('/posts', auth, async (ctx) => {
    const input = parsePostInput(jsonBody(ctx));
    const post = await createPost(server, getPrincipal(ctx), input);
    // The text of its `posted` event: the post is serialized once.
    sendJsonText(ctx, createdPostJson(server.store, post), { status: 201, newline: true });
  });

  router.get('/posts/:post_id', auth, (ctx) => {
    const post = getPost(server, getPrincipal(ctx), idParam(ctx, 'post_id'), queryBool(ctx, 'include_deleted'));
    sendJson(ctx, postJson(server.store, post), { newline: true });
  });

  router.get('/posts/:post_id/thread', auth, (ctx) => {
    threadQuery(ctx);
    sendJson(ctx, getPostThread(server, getPrincipal(ctx), idParam(ctx, 'post_id')));
  });

  router.put('/posts/:post_id', auth, async (ctx) => {
    const post = await updatePost(server, getPrincipal(ctx), idParam(ctx, 'post_id'), parsePostPatch(jsonBody(ctx)));
    sendJson(ctx, postJson(server.store, post));
  });

  router.put('/posts/:post_id/patch', auth, async (ctx) => {
    const post = await patchPost(server, getPrincipal(ctx), idParam(ctx, 'post_id'), parsePostPatch(jsonBody(ctx)));
    sendJson(ctx, postJson(server.store, post));
  });

  router.delete('/posts/:post_id', auth, async (ctx) => {
    await deletePost(server, getPrincipal(ctx), idParam(ctx, 'post_id'), queryBool(ctx, 'permanent'));
    statusOk(ctx);
  });

  router.get('/channels/:channel_id/posts', auth, (ctx) => {
    const channelId = idParam(ctx, 'channel_id');
    const after = postIdQuery(ctx, 'after');
    const before = postIdQuery(ctx, 'before');
    const since = sinceQuery(ctx);
    const { page, perPage } = pageParams(ctx);
    const list = channelPosts(server, getPrincipal(ctx), channelId, {
      page, perPage, since, before, after, includeDeleted: queryBool(ctx, 'include_deleted'),
    });
    sendJson(ctx, list, { newline: true });
  });
}
