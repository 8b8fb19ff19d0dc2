/**
 * Webhook routes (Mattermost `api4/webhook.go` and `web/webhook.go`): `/hooks/incoming[/{id}]`
 * and `/hooks/outgoing[/{id}[/regen_token]]` under `/api/v4` ({@link hookRoutes}), and the URL
 * an incoming webhook is posted to, `POST /hooks/{id}` outside `/api/v4`, without authentication
 * ({@link incomingWebhookEndpoint}). Rules are in `services/incoming-webhooks.ts` and
 * `services/outgoing-webhooks.ts`.
 *
 * @example
 * ```ts
 * hookRoutes(apiRouter, server);            // /api/v4/hooks/…
 * incomingWebhookEndpoint(rootRouter, server); // POST /hooks/{id} {"text":"hi"} → 200 text/plain "ok"
 * ```
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { getPrincipal } from '../../middleware/auth/principal.js';
import { jsonBody, rawBody } from '../body.js';
import type { MockContext } from '../context.js';
import { pageParams, sendJson, statusOk } from '../respond.js';
import {
  createIncomingWebhook, deleteIncomingWebhook, getIncomingWebhook, handleIncomingWebhook, incomingWebhookJson,
  listIncomingWebhooks, parseIncomingWebhookBody, updateIncomingWebhook,
} from '../services/incoming-webhooks.js';
import {
  createOutgoingWebhook, deleteOutgoingWebhook, getOutgoingWebhook, listOutgoingWebhooks, outgoingWebhookJson,
  regenOutgoingWebhookToken, updateOutgoingWebhook,
} from '../services/outgoing-webhooks.js';
import { alnumParam, idParam, queryBool } from './params.js';

const queryString = (ctx: Context, name: string): string => (typeof ctx.query[name] === 'string' ? ctx.query[name] as string : '');

/** Register the `/hooks/incoming` and `/hooks/outgoing` management routes. */
export function hookRoutes(router: Router, server: MockContext): void {
  const auth = server.requireSession;

  router.post('/hooks/incoming', auth, async (ctx) => {
    const hook = await createIncomingWebhook(server, getPrincipal(ctx), jsonBody(ctx));
    sendJson(ctx, incomingWebhookJson(hook), { status: 201, newline: true });
  });

  router.get('/hooks/incoming', auth, (ctx) => {
    const { page, perPage } = pageParams(ctx);
    sendJson(ctx, listIncomingWebhooks(server, getPrincipal(ctx), {
      teamId: queryString(ctx, 'team_id'), page, perPage, includeTotalCount: queryBool(ctx, 'include_total_count'),
    }));
  });

  router.get('/hooks/incoming/:hook_id', auth, (ctx) => {
    sendJson(ctx, incomingWebhookJson(getIncomingWebhook(server, getPrincipal(ctx), idParam(ctx, 'hook_id'))), { newline: true });
  });

  router.put('/hooks/incoming/:hook_id', auth, async (ctx) => {
    const hook = await updateIncomingWebhook(server, getPrincipal(ctx), idParam(ctx, 'hook_id'), jsonBody(ctx));
    // Mattermost answers an update of an incoming webhook with 201.
    sendJson(ctx, incomingWebhookJson(hook), { status: 201, newline: true });
  });

  router.delete('/hooks/incoming/:hook_id', auth, async (ctx) => {
    await deleteIncomingWebhook(server, getPrincipal(ctx), idParam(ctx, 'hook_id'));
    statusOk(ctx);
  });

  router.post('/hooks/outgoing', auth, async (ctx) => {
    const hook = await createOutgoingWebhook(server, getPrincipal(ctx), jsonBody(ctx));
    sendJson(ctx, outgoingWebhookJson(hook), { status: 201, newline: true });
  });

  router.get('/hooks/outgoing', auth, (ctx) => {
    const { page, perPage } = pageParams(ctx);
    sendJson(ctx, listOutgoingWebhooks(server, getPrincipal(ctx), {
      channelId: queryString(ctx, 'channel_id'), teamId: queryString(ctx, 'team_id'), page, perPage,
    }));
  });

  router.get('/hooks/outgoing/:hook_id', auth, (ctx) => {
    sendJson(ctx, outgoingWebhookJson(getOutgoingWebhook(server, getPrincipal(ctx), idParam(ctx, 'hook_id'))), { newline: true });
  });

  router.put('/hooks/outgoing/:hook_id', auth, async (ctx) => {
    const hook = await updateOutgoingWebhook(server, getPrincipal(ctx), idParam(ctx, 'hook_id'), jsonBody(ctx));
    sendJson(ctx, outgoingWebhookJson(hook), { newline: true });
  });

  router.delete('/hooks/outgoing/:hook_id', auth, async (ctx) => {
    await deleteOutgoingWebhook(server, getPrincipal(ctx), idParam(ctx, 'hook_id'));
    statusOk(ctx);
  });

  router.post('/hooks/outgoing/:hook_id/regen_token', auth, async (ctx) => {
    const hook = await regenOutgoingWebhookToken(server, getPrincipal(ctx), idParam(ctx, 'hook_id'));
    sendJson(ctx, outgoingWebhookJson(hook), { newline: true });
  });
}

/**
 * `POST /hooks/{id}` (no `/api/v4`, no session): JSON, or a form with a `payload` field. Answers
 * 200 `text/plain` `ok`, or Mattermost's JSON error.
 */
export function incomingWebhookEndpoint(router: Router, server: MockContext): void {
  router.post('/hooks/:hook_id', async (ctx) => {
    const hookId = alnumParam(ctx, 'hook_id');
    const request = parseIncomingWebhookBody(ctx.get('Content-Type'), rawBody(ctx), new URLSearchParams(ctx.querystring));
    await handleIncomingWebhook(server, hookId, request);
    ctx.status = 200;
    ctx.set('Content-Type', 'text/plain');
    ctx.body = 'ok';
  });
}
