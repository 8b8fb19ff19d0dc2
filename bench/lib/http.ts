/**
 * A minimal keep-alive HTTP client for the benchmark's own probes (node:http, no fetch: a probe
 * must be able to say exactly when it started and when its response arrived), plus the few mock
 * server API calls the benchmark needs (login, create and revoke a personal access token).
 *
 * @example
 * ```ts
 * const client = httpClient(mockUrl, 20);
 * const admin = await login(client, 'sysadmin', 'Sys@dmin-sample1');
 * const pat = await createPat(client, admin, 'bench');
 * const { status } = await client.request('GET', '/api/v4/users/me', pat.token);
 * client.close();
 * ```
 */
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface ProbeResult {
  status: number;
  /** `performance.now()` when the request was issued. */
  start: number;
  /** `performance.now()` when the response head arrived. */
  head: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface HttpClient {
  request(method: 'GET' | 'POST' | 'PUT', path: string, bearer?: string, body?: unknown): Promise<ProbeResult>;
  close(): void;
}

/** A client with its own keep-alive agent (`sockets` connections at most). */
export function httpClient(baseUrl: string, sockets = 1): HttpClient {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const base = new URL(baseUrl);
  return {
    request(method, path, bearer, body) {
      return new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const headers: Record<string, string> = { accept: 'application/json' };
        if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
        if (payload !== undefined) { headers['content-type'] = 'application/json'; headers['content-length'] = String(Buffer.byteLength(payload)); }
        const start = performance.now();
        const req = httpRequest({ agent, host: base.hostname, port: base.port, method, path, headers }, (res) => {
          const head = performance.now();
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => { text += chunk; });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, start, head, headers: res.headers, body: text }));
          res.on('error', reject);
        });
        req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
        req.on('error', reject);
        req.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}

function expectStatus(res: ProbeResult, status: number, what: string): void {
  if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
}

/** Log in on the mock; returns the session token. */
export async function login(client: HttpClient, loginId: string, password: string): Promise<string> {
  const res = await client.request('POST', '/api/v4/users/login', undefined, { login_id: loginId, password });
  expectStatus(res, 200, 'login');
  const token = res.headers.token;
  if (typeof token !== 'string') throw new Error('login: no Token header');
  return token;
}

/** Create a personal access token for the caller; returns its id and secret. */
export async function createPat(client: HttpClient, session: string, description: string): Promise<{ id: string; token: string }> {
  const res = await client.request('POST', '/api/v4/users/me/tokens', session, { description });
  expectStatus(res, 200, 'create token');
  return JSON.parse(res.body) as { id: string; token: string };
}

/** Revoke a token; resolves with the probe (its `head` is when the revoke answer arrived). */
export async function revokePat(client: HttpClient, session: string, tokenId: string): Promise<ProbeResult> {
  const res = await client.request('POST', '/api/v4/users/tokens/revoke', session, { token_id: tokenId });
  expectStatus(res, 200, 'revoke token');
  return res;
}
