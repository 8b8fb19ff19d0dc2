/**
 * Bot routes (Mattermost `api4/bot.go`): create (201), list, get, patch, disable, enable and
 * assign, all `APISessionRequired`. Bodies and rules are in `services/bots.ts`.
 *
 * @example
 * ```ts
 * botRoutes(router, server); // router prefixed with /api/v4
 * // POST /api/v4/bots {"username":"build-bot","display_name":"Build"} → 201 Bot JSON
 * ```
 */
import type Router from '@koa/router';
import { getPrincipal } from '../../middleware/auth/principal.js';
import { jsonBody } from '../body.js';
import type { MockContext } from '../context.js';
import { pageParams, sendJson } from '../respond.js';
import { assignBot, botJson, createBot, getBot, listBots, parseBotPatch, patchBot, setBotActive } from '../services/bots.js';
import { idParam, queryBool } from './params.js';

/** Register the bot routes. */
export function botRoutes(router: Router, server: MockContext): void {
  const auth = server.requireSession;

  router.post('/bots', auth, async (ctx) => {
    const patch = parseBotPatch(jsonBody(ctx));
    const bot = await createBot(server, getPrincipal(ctx), patch);
    sendJson(ctx, botJson(bot), { status: 201, newline: true });
  });

  router.get('/bots', auth, (ctx) => {
    const { page, perPage } = pageParams(ctx);
    const bots = listBots(server, getPrincipal(ctx), {
      page, perPage, includeDeleted: queryBool(ctx, 'include_deleted'), onlyOrphaned: queryBool(ctx, 'only_orphaned'),
    });
    sendJson(ctx, bots.map(botJson), { newline: true });
  });

  router.get('/bots/:bot_user_id', auth, (ctx) => {
    const bot = getBot(server, getPrincipal(ctx), idParam(ctx, 'bot_user_id'), queryBool(ctx, 'include_deleted'));
    sendJson(ctx, botJson(bot), { newline: true });
  });

  router.put('/bots/:bot_user_id', auth, async (ctx) => {
    const botUserId = idParam(ctx, 'bot_user_id');
    const patch = parseBotPatch(jsonBody(ctx));
    sendJson(ctx, botJson(await patchBot(server, getPrincipal(ctx), botUserId, patch)), { newline: true });
  });

  router.post('/bots/:bot_user_id/disable', auth, async (ctx) => {
    const bot = await setBotActive(server, getPrincipal(ctx), idParam(ctx, 'bot_user_id'), false);
    sendJson(ctx, botJson(bot), { newline: true });
  });

  router.post('/bots/:bot_user_id/enable', auth, async (ctx) => {
    const bot = await setBotActive(server, getPrincipal(ctx), idParam(ctx, 'bot_user_id'), true);
    sendJson(ctx, botJson(bot), { newline: true });
  });

  router.post('/bots/:bot_user_id/assign/:user_id', auth, async (ctx) => {
    const caller = getPrincipal(ctx);
    const ownerId = idParam(ctx, 'user_id', caller.userId);
    const bot = await assignBot(server, caller, idParam(ctx, 'bot_user_id'), ownerId);
    sendJson(ctx, botJson(bot), { newline: true });
  });
}
