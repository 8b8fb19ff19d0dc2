/**
 * Team routes (Mattermost `api4/team.go`): create (201), list, get by id and by name, add a member
 * (201), get a member, and `GET /users/{user_id}/teams` (registered here; specific enough not to
 * clash with the user routes). Rules are in `services/teams.ts`.
 *
 * @example
 * ```ts
 * teamRoutes(router, server); // router prefixed with /api/v4
 * // POST /api/v4/teams/{team_id}/members {"team_id":"…","user_id":"…"} → 201 TeamMember JSON
 * ```
 */
import type Router from '@koa/router';
import { invalidUrlParam } from '../errors.js';
import { getPrincipal } from '../../middleware/auth/principal.js';
import type { MockContext } from '../context.js';
import { pageParams, sendJson } from '../respond.js';
import {
  addTeamMember, createTeam, getTeam, getTeamByName, getTeamMember, isValidTeamName, listTeams, parseTeamInput,
  parseTeamMemberInput, shouldSanitizeTeam, teamJson, teamMemberJson, teamsForUser,
} from '../services/teams.js';
import { jsonBody } from '../body.js';
import { idParam, queryBool } from './params.js';

/** Register the team routes. */
export function teamRoutes(router: Router, server: MockContext): void {
  const auth = server.requireSession;
  const { store } = server;

  router.post('/teams', auth, async (ctx) => {
    const input = parseTeamInput(jsonBody(ctx));
    const team = await createTeam(server, getPrincipal(ctx), input);
    // Not sanitized: the creator is the team's admin.
    sendJson(ctx, teamJson(team, false), { status: 201, newline: true });
  });

  router.get('/teams', auth, (ctx) => {
    const caller = getPrincipal(ctx);
    const { page, perPage } = pageParams(ctx);
    const { teams, total } = listTeams(server, caller, page, perPage);
    const list = teams.map((t) => teamJson(t, shouldSanitizeTeam(store, caller, t.id)));
    sendJson(ctx, queryBool(ctx, 'include_total_count') ? { teams: list, total_count: total } : list);
  });

  router.get('/teams/name/:team_name', auth, (ctx) => {
    const name = ctx.params.team_name ?? '';
    if (!isValidTeamName(name)) throw invalidUrlParam('team_name');
    const caller = getPrincipal(ctx);
    const team = getTeamByName(server, caller, name);
    sendJson(ctx, teamJson(team, shouldSanitizeTeam(store, caller, team.id)), { newline: true });
  });

  router.get('/teams/:team_id', auth, (ctx) => {
    const caller = getPrincipal(ctx);
    const team = getTeam(server, caller, idParam(ctx, 'team_id'));
    sendJson(ctx, teamJson(team, shouldSanitizeTeam(store, caller, team.id)), { newline: true });
  });

  router.post('/teams/:team_id/members', auth, async (ctx) => {
    const teamId = idParam(ctx, 'team_id');
    const input = parseTeamMemberInput(jsonBody(ctx), teamId);
    const member = await addTeamMember(server, getPrincipal(ctx), teamId, input);
    sendJson(ctx, teamMemberJson(member), { status: 201, newline: true });
  });

  router.get('/teams/:team_id/members/:user_id', auth, (ctx) => {
    const caller = getPrincipal(ctx);
    const teamId = idParam(ctx, 'team_id');
    const member = getTeamMember(server, caller, teamId, idParam(ctx, 'user_id', caller.userId));
    sendJson(ctx, teamMemberJson(member), { newline: true });
  });

  router.get('/users/:user_id/teams', auth, (ctx) => {
    const caller = getPrincipal(ctx);
    const teams = teamsForUser(server, caller, idParam(ctx, 'user_id', caller.userId));
    sendJson(ctx, teams.map((t) => teamJson(t, shouldSanitizeTeam(store, caller, t.id))));
  });
}
