/**
 * Channel routes (Mattermost `api4/channel.go`): create (201), direct (201, idempotent), group
 * (201, idempotent), get by id, by team id + name and by team name + name, archive, restore,
 * patch, members (page, by ids, add (201), get, remove), stats, view, and
 * `GET /users/{user_id}/teams/{team_id}/channels`. Literal paths (`/channels/group`,
 * `/channels/members/{user_id}/view`) are registered before `/channels/:channel_id…`. Rules are in
 * `services/channels.ts`, `channel-lifecycle.ts`, `channel-members.ts` and `group-channels.ts`.
 *
 * @example
 * ```ts
 * channelRoutes(router, server); // router prefixed with /api/v4
 * // POST /api/v4/channels/direct ["<my id>","<other id>"] → 201 Channel JSON (type "D")
 * ```
 */
import type Router from '@koa/router';
import { invalidUrlParam } from '../errors.js';
import { getPrincipal } from '../../middleware/auth/principal.js';
import type { MockContext } from '../context.js';
import { pageParams, sendJson, statusOk } from '../respond.js';
import {
  addChannelMember, channelJson, channelMemberJson, channelsForTeamForUser, createChannel, createDirectChannel,
  getChannel, getChannelByName, getChannelMember, isValidChannelName, parseChannelInput, parseChannelMemberInput,
  parseDirectChannelInput,
} from '../services/channels.js';
import { jsonBody } from '../body.js';
import { idParam, queryBool } from './params.js';
import { deleteChannel, getChannelByTeamAndChannelName, isValidTeamName, parseChannelPatch, patchChannel, restoreChannel } from '../services/channel-lifecycle.js';
import {
  channelMembersByIds, channelMembersPage, channelStats, parseChannelView, parseStringArray, removeChannelMember, viewChannel,
} from '../services/channel-members.js';
import { createGroupChannel, parseGroupUserIds } from '../services/group-channels.js';

const DM_NAME = /^[a-z0-9]{26}__[a-z0-9]{26}$/;
const GM_NAME = /^[a-f0-9]{40}$/;

/** Register the channel routes. */
export function channelRoutes(router: Router, server: MockContext): void {
  const auth = server.requireSession;

  router.post('/channels', auth, async (ctx) => {
    const input = parseChannelInput(jsonBody(ctx));
    sendJson(ctx, channelJson(await createChannel(server, getPrincipal(ctx), input)), { status: 201, newline: true });
  });

  router.post('/channels/direct', auth, async (ctx) => {
    const userIds = parseDirectChannelInput(jsonBody(ctx));
    const { channel } = await createDirectChannel(server, getPrincipal(ctx), userIds);
    sendJson(ctx, channelJson(channel), { status: 201, newline: true });
  });

  router.post('/channels/group', auth, async (ctx) => {
    const { channel } = await createGroupChannel(server, getPrincipal(ctx), parseGroupUserIds(jsonBody(ctx)));
    sendJson(ctx, channelJson(channel), { status: 201, newline: true });
  });

  router.post('/channels/members/:user_id/view', auth, async (ctx) => {
    const caller = getPrincipal(ctx);
    const userId = idParam(ctx, 'user_id', caller.userId);
    const times = await viewChannel(server, caller, userId, parseChannelView(jsonBody(ctx)));
    sendJson(ctx, { status: 'OK', last_viewed_at_times: times });
  });

  router.get('/teams/name/:team_name/channels/name/:channel_name', auth, (ctx) => {
    const teamName = ctx.params.team_name ?? '';
    const name = ctx.params.channel_name ?? '';
    if (!isValidTeamName(teamName)) throw invalidUrlParam('team_name');
    if (!isValidChannelName(name) && !DM_NAME.test(name) && !GM_NAME.test(name)) throw invalidUrlParam('channel_name');
    const channel = getChannelByTeamAndChannelName(server, getPrincipal(ctx), teamName, name, queryBool(ctx, 'include_deleted'));
    sendJson(ctx, channelJson(channel), { newline: true });
  });

  router.delete('/channels/:channel_id', auth, async (ctx) => {
    await deleteChannel(server, getPrincipal(ctx), idParam(ctx, 'channel_id'), queryBool(ctx, 'permanent'));
    statusOk(ctx);
  });

  router.post('/channels/:channel_id/restore', auth, async (ctx) => {
    sendJson(ctx, channelJson(await restoreChannel(server, getPrincipal(ctx), idParam(ctx, 'channel_id'))), { newline: true });
  });

  router.put('/channels/:channel_id/patch', auth, async (ctx) => {
    const channelId = idParam(ctx, 'channel_id');
    const channel = await patchChannel(server, getPrincipal(ctx), channelId, parseChannelPatch(jsonBody(ctx)));
    sendJson(ctx, channelJson(channel), { newline: true });
  });

  router.get('/channels/:channel_id/members', auth, (ctx) => {
    const members = channelMembersPage(server, getPrincipal(ctx), idParam(ctx, 'channel_id'), pageParams(ctx));
    sendJson(ctx, members.map(channelMemberJson), { newline: true });
  });

  router.post('/channels/:channel_id/members/ids', auth, (ctx) => {
    const members = channelMembersByIds(server, getPrincipal(ctx), idParam(ctx, 'channel_id'), parseStringArray(jsonBody(ctx), 'user_ids'));
    sendJson(ctx, members.map(channelMemberJson), { newline: true });
  });

  router.delete('/channels/:channel_id/members/:user_id', auth, async (ctx) => {
    const caller = getPrincipal(ctx);
    await removeChannelMember(server, caller, idParam(ctx, 'channel_id'), idParam(ctx, 'user_id', caller.userId));
    statusOk(ctx);
  });

  router.get('/channels/:channel_id/stats', auth, (ctx) => {
    sendJson(ctx, channelStats(server, getPrincipal(ctx), idParam(ctx, 'channel_id'), queryBool(ctx, 'exclude_files_count')));
  });

  router.get('/channels/:channel_id', auth, (ctx) => {
    sendJson(ctx, channelJson(getChannel(server, getPrincipal(ctx), idParam(ctx, 'channel_id'))), { newline: true });
  });

  router.get('/teams/:team_id/channels/name/:channel_name', auth, (ctx) => {
    const teamId = idParam(ctx, 'team_id');
    const name = ctx.params.channel_name ?? '';
    if (!isValidChannelName(name) && !DM_NAME.test(name) && !GM_NAME.test(name)) throw invalidUrlParam('channel_name');
    const channel = getChannelByName(server, getPrincipal(ctx), teamId, name, queryBool(ctx, 'include_deleted'));
    sendJson(ctx, channelJson(channel), { newline: true });
  });

  router.post('/channels/:channel_id/members', auth, async (ctx) => {
    const channelId = idParam(ctx, 'channel_id');
    const input = parseChannelMemberInput(jsonBody(ctx));
    const member = await addChannelMember(server, getPrincipal(ctx), channelId, input);
    sendJson(ctx, channelMemberJson(member), { status: 201, newline: true });
  });

  router.get('/channels/:channel_id/members/:user_id', auth, (ctx) => {
    const caller = getPrincipal(ctx);
    const channelId = idParam(ctx, 'channel_id');
    const member = getChannelMember(server, caller, channelId, idParam(ctx, 'user_id', caller.userId));
    sendJson(ctx, channelMemberJson(member), { newline: true });
  });

  router.get('/users/:user_id/teams/:team_id/channels', auth, (ctx) => {
    const caller = getPrincipal(ctx);
    const userId = idParam(ctx, 'user_id', caller.userId);
    const teamId = idParam(ctx, 'team_id');
    const channels = channelsForTeamForUser(server, caller, userId, teamId, queryBool(ctx, 'include_deleted'));
    sendJson(ctx, channels.map(channelJson), { newline: true });
  });
}
