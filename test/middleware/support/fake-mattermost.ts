/**
 * A fake Mattermost for tests of the remote resolver: `GET /api/v4/users/me` answers 200 with the
 * user a token belongs to, 401 for any other token, or a forced status. It counts calls, can hold
 * answers behind a gate (single-flight and race tests), and can be stopped and restarted on the
 * same port (upstream-down tests). Listens on 127.0.0.1, port 0.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUser {
  id: string;
  username: string;
  roles: string;
  is_bot?: boolean;
}

export interface FakeMattermost {
  readonly url: string;
  /** Requests to /api/v4/users/me so far. */
  readonly calls: number;
  /** Authorization headers seen, in order. */
  readonly authHeaders: string[];
  /** token -> user; tokens not in the map get 401. */
  readonly users: Map<string, FakeUser>;
  /** When set, every request gets this status (and a Mattermost error body). */
  forceStatus: number | undefined;
  /** When set, 200 answers carry this raw body instead of the user. */
  rawBody: string | undefined;
  /** Hold answers (decided at arrival) until the returned function is called. */
  hold(): () => void;
  /** Resolves once `n` calls have arrived. */
  waitForCalls(n: number): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startFakeMattermost(): Promise<FakeMattermost> {
  const users = new Map<string, FakeUser>();
  const authHeaders: string[] = [];
  let calls = 0;
  let gate: Promise<void> | undefined;
  let port = 0;
  let server: Server | undefined;
  const callWaiters: Array<{ n: number; resolve: () => void }> = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' || req.url !== '/api/v4/users/me') {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"id":"api.context.404.app_error"}');
      return;
    }
    calls++;
    for (const w of callWaiters.filter((x) => calls >= x.n)) { callWaiters.splice(callWaiters.indexOf(w), 1); w.resolve(); }
    const auth = req.headers.authorization ?? '';
    authHeaders.push(auth);
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const user = users.get(token);
    const status = fake.forceStatus ?? (user ? 200 : 401);
    const body = status === 200
      ? fake.rawBody ?? JSON.stringify({ ...user, delete_at: 0, email: `${user?.username}@example.com`, auth_data: '' })
      : JSON.stringify({ id: 'api.context.session_expired.app_error', message: 'Invalid or expired session, please login again.', detailed_error: '', status_code: status });
    if (gate) await gate;
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(body);
  };

  const fake: FakeMattermost = {
    get url() { return `http://127.0.0.1:${port}`; },
    get calls() { return calls; },
    authHeaders,
    users,
    forceStatus: undefined,
    rawBody: undefined,
    hold() {
      let release!: () => void;
      gate = new Promise<void>((resolve) => { release = resolve; });
      return () => { gate = undefined; release(); };
    },
    waitForCalls(n) {
      if (calls >= n) return Promise.resolve();
      return new Promise<void>((resolve) => callWaiters.push({ n, resolve }));
    },
    async start() {
      const s = createServer((req, res) => { void handle(req, res); });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => resolve());
      });
      port = (s.address() as AddressInfo).port;
      server = s;
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  await fake.start();
  return fake;
}
