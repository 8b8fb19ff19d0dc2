/**
 * The test mock for the content routes (bots, teams, channels, posts): `startTestMock()` with the
 * four route modules registered even when the app does not list them (yet), developer mode on so
 * permission errors name the permission.
 */
import request from 'supertest';
import { createApp } from '../../../mock-server/app.js';
import { botRoutes } from '../../../mock-server/routes/bots.js';
import { channelRoutes } from '../../../mock-server/routes/channels.js';
import { postRoutes } from '../../../mock-server/routes/posts.js';
import { teamRoutes } from '../../../mock-server/routes/teams.js';
import { startTestMock, type TestMock } from './mock.js';

export async function startContentMock(): Promise<TestMock> {
  const t = await startTestMock({ developerMode: true });
  const missing = [botRoutes, teamRoutes, channelRoutes, postRoutes].filter((r) => !t.mock.routes.includes(r));
  if (missing.length === 0) return t;
  const app = createApp({ server: t.mock.server, routes: [...t.mock.routes, ...missing], developerMode: true });
  return { ...t, http: request(app.callback()) };
}
