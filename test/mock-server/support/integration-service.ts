/**
 * Test helpers for integrations: a local HTTP service that plays a slash command's URL or an
 * outgoing webhook's callback (it records every request and answers what the test says), an
 * in-process mock listening on a real port whose WebSocket events (`publish`) are recorded, and
 * that mock with the sysadmin and user-1 Client4s the webhook and command tests drive it with.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { login, type Client } from '../../../examples/lib/client.js';
import type { MockApp, MockServerOptions } from '../../../mock-server/index.js';
import { createMockApp } from '../../support/fast-seed-mock.js';
import type { WebSocketEvent } from '../../../mock-server/services/context.js';

/** One request the service received. */
export interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How the service answers: a response, or `hang` (never answer) / `destroy` (reset the connection). */
export type Reply = { status?: number; headers?: Record<string, string>; body?: string } | 'hang' | 'destroy';

export interface IntegrationService {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly received: Received[];
  /** The next request (or one already received and not yet taken). */
  next(): Promise<Received>;
  /** Change the answer. */
  reply(handler: (req: Received) => Reply): void;
  close(): Promise<void>;
}

/** JSON reply helper. */
export const json = (value: unknown, status = 200): Reply => ({ status, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(value) });

/**
 * Start the service on a free port.
 *
 * @example
 * ```ts
 * const svc = await startIntegrationService(() => json({ response_type: 'in_channel', text: 'hi' }));
 * ```
 */
export async function startIntegrationService(initial: (req: Received) => Reply = () => ({ status: 200, body: '' })): Promise<IntegrationService> {
  let handler = initial;
  const received: Received[] = [];
  const queue: Received[] = [];
  const waiters: Array<(r: Received) => void> = [];
  const hanging = new Set<import('node:http').ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const r: Received = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      const waiter = waiters.shift();
      if (waiter !== undefined) waiter(r);
      else queue.push(r);
      const answer = handler(r);
      if (answer === 'hang') { hanging.add(res); return; }
      if (answer === 'destroy') { req.socket.destroy(); return; }
      res.writeHead(answer.status ?? 200, answer.headers ?? {});
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    next: () => new Promise((resolve) => {
      const ready = queue.shift();
      if (ready !== undefined) resolve(ready);
      else waiters.push(resolve);
    }),
    reply(next) { handler = next; },
    close: () => new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

export interface ListeningMock {
  readonly mock: MockApp;
  readonly url: string;
  /** Every WebSocket event the mock published, in order. */
  readonly events: WebSocketEvent[];
  close(): Promise<void>;
}

/**
 * An in-memory mock on a real port (for Client4), recording what it hands to the WebSocket hub.
 *
 * @example
 * ```ts
 * const { url, events, close } = await startListeningMock({ developerMode: true });
 * ```
 */
export async function startListeningMock(options: MockServerOptions = {}): Promise<ListeningMock> {
  const mock = await createMockApp({ inMemory: true, ...options });
  const events: WebSocketEvent[] = [];
  const original = mock.server.publish.bind(mock.server);
  (mock.server as { publish: (e: WebSocketEvent) => void }).publish = (event) => { events.push(event); original(event); };
  const http = createServer(mock.app.callback());
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    mock, url: `http://127.0.0.1:${port}`, events,
    async close() {
      await new Promise<void>((resolve) => { http.close(() => resolve()); http.closeAllConnections(); });
      await mock.close();
    },
  };
}

/** A Mattermost error body (`model.AppError` as JSON) as the integration routes answer it. */
export interface ErrorBody { id: string; message: string; detailed_error: string; status_code: number }

/** A listening mock in developer mode with sysadmin and user-1 logged in through Client4. */
export interface IntegrationMock extends ListeningMock {
  /** Client4 logged in as sysadmin. */
  readonly admin: Client;
  /** Client4 logged in as user-1 (system_user). */
  readonly user: Client;
  /** Id of the seeded team ad-1. */
  readonly teamId: string;
  /** Id of ad-1's town-square channel. */
  readonly townSquareId: string;
}

/**
 * The mock the integration tests (incoming and outgoing webhooks, slash commands) start for each
 * test: `startListeningMock({ developerMode: true })` (so a 403 names its permission) and the two
 * logged-in clients that manage and trigger the integrations.
 */
export async function startIntegrationMock(): Promise<IntegrationMock> {
  const listening = await startListeningMock({ developerMode: true });
  const { sysadmin, user1, teams, channels } = listening.mock.seeded;
  return {
    ...listening,
    admin: await login(listening.url, sysadmin.username, sysadmin.password),
    user: await login(listening.url, user1.username, user1.password),
    teamId: teams['ad-1']!.id,
    townSquareId: channels['town-square']!.id,
  };
}
