/**
 * Slash command routes (Mattermost `api4/command.go`): `POST/GET /commands`,
 * `POST /commands/execute`, `GET/PUT/DELETE /commands/{id}`, `PUT /commands/{id}/regen_token`.
 * Rules are in `services/commands.ts` and `services/command-execution.ts`.
 *
 * @example
 * ```ts
 * commandRoutes(router, server); // router prefixed with /api/v4
 * // POST /api/v4/commands/execute {"channel_id":"…","command":"/deploy api"} → 200 CommandResponse
 * ```
 */
import type Router from '@koa/router';
import { getPrincipal } from '../../middleware/auth/principal.js';
import { jsonBody } from '../body.js';
import type { MockContext } from '../context.js';
import { sendJson, statusOk } from '../respond.js';
import { executeCommand, parseCommandArgs } from '../services/command-execution.js';
import { commandJson, createCommand, deleteCommand, getCommand, listCommands, regenCommandToken, updateCommand } from '../services/commands.js';
import { idParam, queryBool } from './params.js';

/** Register the slash command routes. */
export function commandRoutes(router: Router, server: MockContext): void {
  const auth = server.requireSession;

  router.post('/commands', auth, async (ctx) => {
    const cmd = await createCommand(server, getPrincipal(ctx), jsonBody(ctx));
    sendJson(ctx, commandJson(cmd), { status: 201, newline: true });
  });

  router.get('/commands', auth, (ctx) => {
    const teamId = typeof ctx.query.team_id === 'string' ? ctx.query.team_id : '';
    sendJson(ctx, listCommands(server, getPrincipal(ctx), teamId, queryBool(ctx, 'custom_only')), { newline: true });
  });

  router.post('/commands/execute', auth, async (ctx) => {
    const args = parseCommandArgs(jsonBody(ctx));
    // The response_url base when SiteURL is unset: where this request came in.
    const requestSite = `${ctx.protocol}://${ctx.host}`;
    sendJson(ctx, await executeCommand(server, getPrincipal(ctx), args, requestSite), { newline: true });
  });

  router.get('/commands/:command_id', auth, (ctx) => {
    sendJson(ctx, commandJson(getCommand(server, getPrincipal(ctx), idParam(ctx, 'command_id'))), { newline: true });
  });

  router.put('/commands/:command_id', auth, async (ctx) => {
    const cmd = await updateCommand(server, getPrincipal(ctx), idParam(ctx, 'command_id'), jsonBody(ctx));
    sendJson(ctx, commandJson(cmd), { newline: true });
  });

  router.delete('/commands/:command_id', auth, async (ctx) => {
    await deleteCommand(server, getPrincipal(ctx), idParam(ctx, 'command_id'));
    statusOk(ctx);
  });

  router.put('/commands/:command_id/regen_token', auth, async (ctx) => {
    sendJson(ctx, await regenCommandToken(server, getPrincipal(ctx), idParam(ctx, 'command_id')));
  });
}
