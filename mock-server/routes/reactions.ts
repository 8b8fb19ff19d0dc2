/**
 * Reaction routes (Mattermost `api4/reaction.go`): `POST /reactions`,
 * `DELETE /users/{user_id}/posts/{post_id}/reactions/{emoji_name}`, `GET /posts/{id}/reactions`.
 * Rules are in `services/reactions.ts`.
 *
 * @example
 * ```ts
 * reactionRoutes(router, server);
 * // POST /api/v4/reactions {"user_id":"<me>","post_id":"…","emoji_name":"tada"} → the reaction
 * ```
 */
import type Router from '@koa/router';
import { AppError, invalidUrlParam } from '../errors.js';
import { getPrincipal } from '../../middleware/auth/principal.js';
import { jsonBody } from '../body.js';
import type { MockContext } from '../context.js';
import { sendJson, statusOk } from '../respond.js';
import { deleteReaction, isValidEmojiName, parseReaction, postReactions, saveReaction } from '../services/reactions.js';
import { idParam } from './params.js';

/** Register the reaction routes. */
export function reactionRoutes(router: Router, server: MockContext): void {
  const auth = server.requireSession;

  router.post('/reactions', auth, async (ctx) => {
    sendJson(ctx, await saveReaction(server, getPrincipal(ctx), parseReaction(jsonBody(ctx))));
  });

  router.delete('/users/:user_id/posts/:post_id/reactions/:emoji_name', auth, async (ctx) => {
    const caller = getPrincipal(ctx);
    const emoji = ctx.params.emoji_name ?? '';
    // Mattermost's route pattern is {emoji_name:[A-Za-z0-9\\_\\-\\+]+}: other characters match no route.
    if (!/^[A-Za-z0-9_\-+]+$/.test(emoji)) throw new AppError('api.context.404.app_error');
    if (!isValidEmojiName(emoji)) throw invalidUrlParam('emoji_name');
    await deleteReaction(server, caller, idParam(ctx, 'user_id', caller.userId), idParam(ctx, 'post_id'), emoji);
    statusOk(ctx);
  });

  router.get('/posts/:post_id/reactions', auth, (ctx) => {
    sendJson(ctx, postReactions(server, getPrincipal(ctx), idParam(ctx, 'post_id')));
  });
}
