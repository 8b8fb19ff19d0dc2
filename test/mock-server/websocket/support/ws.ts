/**
 * WebSocket test helpers: a raw `ws` client that records every frame and waits for the one a test
 * expects (never a sleep), the official `WebSocketClient` set up for Node (it reads the global
 * `WebSocket`, which Node 20 lacks: `ws`'s is installed), and a started mock with PATs enabled.
 */
import mattermostClient from '@mattermost/client';
import type { Client4 as Client4Type, WebSocketClient as WebSocketClientType } from '@mattermost/client';
import { expect } from 'chai';
import { WebSocket } from 'ws';
import type { MockServer, MockServerOptions } from '../../../../mock-server/index.js';
import { startMockServer } from '../../../support/fast-seed-mock.js';

const { Client4, WebSocketClient } = mattermostClient;

/** An event as WebSocketClient hands it to its listeners. */
export interface WebSocketMessage {
  event: string;
  data: Record<string, unknown>;
  broadcast: Record<string, unknown>;
  seq: number;
}

/** A frame as the server sends it: an event or a reply. */
export interface Frame {
  event?: string;
  seq?: number;
  data?: Record<string, unknown>;
  broadcast?: Record<string, unknown>;
  status?: string;
  seq_reply?: number;
  error?: { id: string; message: string; status_code?: number };
}

/** WebSocketClient reads `WebSocket.OPEN` from the global scope. */
export function installGlobalWebSocket(): void {
  const g = globalThis as { WebSocket?: unknown };
  g.WebSocket ??= WebSocket;
}

const WAIT_MS = 5_000;

/**
 * Wait (bounded) until `condition` holds, checking every few ms: for server-side state that has
 * no event of its own, such as the server noticing that a client went away.
 */
export async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Mocha hooks muting WebSocketClient's `console.log` chatter ("websocket connecting to …") in a suite. */
export function muteClientLogs(): void {
  let saved: typeof console.log;
  before(() => {
    saved = console.log;
    console.log = () => {};
  });
  after(() => { console.log = saved; });
}

/** A raw client recording frames. */
export class RawClient {
  readonly frames: Frame[] = [];
  readonly texts: string[] = [];
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  private cursor = 0;
  private listeners = new Set<() => void>();
  private seqOut = 1;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : String(data);
      this.texts.push(text);
      this.frames.push(JSON.parse(text) as Frame);
      for (const l of [...this.listeners]) l();
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Open a socket to `url` (a `ws://…/api/v4/websocket` URL); rejects with the HTTP answer when refused. */
  static open(url: string, headers: Record<string, string> = {}, options: { autoPong?: boolean } = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers, autoPong: options.autoPong ?? true });
      const client = new RawClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString('utf8'); });
        res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, headers: res.headers, body })));
      });
      socket.once('error', (err) => reject(err));
    });
  }

  /** Send a request; returns its seq. */
  send(action: string, data?: Record<string, unknown>, seq = this.seqOut++): number {
    this.socket.send(JSON.stringify(data === undefined ? { seq, action } : { seq, action, data }));
    return seq;
  }

  /** The first frame after the cursor matching `match` (the cursor moves past it). */
  next(match: (f: Frame) => boolean, what = 'a frame'): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = this.cursor; i < this.frames.length; i++) {
          if (match(this.frames[i])) {
            this.cursor = i + 1;
            this.listeners.delete(check);
            clearTimeout(timer);
            resolve(this.frames[i]);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.frames.slice(this.cursor))}`));
      }, WAIT_MS);
      this.listeners.add(check);
      check();
    });
  }

  event(name: string): Promise<Frame> {
    return this.next((f) => f.event === name, `event ${name}`);
  }

  reply(seq: number): Promise<Frame> {
    return this.next((f) => f.seq_reply === seq, `reply ${seq}`);
  }

  /**
   * A barrier on this very socket: a `ping` and its reply. Frames are ordered per socket, so
   * every event the server wrote before has arrived once the reply is here.
   */
  async barrier(): Promise<Frame> {
    return this.reply(this.send('ping'));
  }

  /** Events received since `mark` (an index into `frames`). */
  eventsSince(mark: number): Frame[] {
    return this.frames.slice(mark).filter((f) => f.event !== undefined);
  }

  close(): void {
    this.socket.close();
  }
}

/** A started mock with PATs on, and login clients for sysadmin and user-1. */
export interface WsMock {
  mock: MockServer;
  ws: string;
  admin: Client4Type;
  user: Client4Type;
  adminToken: string;
  userToken: string;
  adminId: string;
  userId: string;
  /** A PAT of user-1. */
  pat: { id: string; token: string };
}

export function client(url: string, token?: string): Client4Type {
  const c = new Client4();
  c.setUrl(url);
  c.setIncludeCookies(false);
  if (token !== undefined) c.setToken(token);
  return c;
}

/** Start a mock (port 0, in memory) with PATs enabled and a PAT for user-1. */
export async function startWsMock(options: MockServerOptions = {}): Promise<WsMock> {
  const mock = await startMockServer({ port: 0, inMemory: true, ...options });
  const admin = client(mock.url);
  await admin.login(mock.seeded.sysadmin.username, mock.seeded.sysadmin.password);
  const user = client(mock.url);
  await user.login(mock.seeded.user1.username, mock.seeded.user1.password);
  await admin.patchConfig({ ServiceSettings: { EnableUserAccessTokens: true } } as never);
  await admin.updateUserRoles(mock.seeded.user1.id, 'system_user system_user_access_token');
  const created = await user.createUserAccessToken(mock.seeded.user1.id, 'ws test');
  expect(created.token).to.be.a('string');
  return {
    mock, ws: `${mock.url.replace(/^http/, 'ws')}/api/v4/websocket`, admin, user,
    adminToken: admin.getToken(), userToken: user.getToken(), adminId: mock.seeded.sysadmin.id, userId: mock.seeded.user1.id,
    pat: { id: created.id, token: created.token ?? '' },
  };
}

/** Open a raw socket authenticated by `Authorization: Bearer` and wait for its hello. */
export async function openAuthed(m: WsMock, token: string): Promise<{ client: RawClient; hello: Frame }> {
  const c = await RawClient.open(m.ws, { Authorization: `Bearer ${token}` });
  const hello = await c.event('hello');
  return { client: c, hello };
}

/** The official WebSocketClient, recording its events; `headers` makes `ws` send them on the upgrade. */
export class OfficialClient {
  readonly events: WebSocketMessage[] = [];
  readonly client: WebSocketClientType;
  readonly missed: number[] = [];
  private listeners = new Set<() => void>();

  constructor(headers?: Record<string, string>, config: { minWebSocketRetryTime?: number } = {}) {
    installGlobalWebSocket();
    this.client = new WebSocketClient({
      newWebSocketFn: (url: string) => new WebSocket(url, { headers }) as unknown as globalThis.WebSocket,
      minWebSocketRetryTime: config.minWebSocketRetryTime ?? 50,
      reconnectJitterRange: 1,
    });
    this.client.addMessageListener((msg) => {
      this.events.push(msg as unknown as WebSocketMessage);
      for (const l of [...this.listeners]) l();
    });
    this.client.addMissedMessageListener(() => { this.missed.push(this.events.length); });
  }

  /** Wait for an event named `name` (after index `from`). */
  waitFor(name: string, from = 0, match: (m: WebSocketMessage) => boolean = () => true): Promise<WebSocketMessage> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.slice(from).find((m) => m.event === name && match(m));
        if (found !== undefined) {
          this.listeners.delete(check);
          clearTimeout(timer);
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`timed out waiting for ${name}; got ${this.events.slice(from).map((e) => e.event).join(',')}`));
      }, WAIT_MS);
      this.listeners.add(check);
      check();
    });
  }

  /** `ping` through the client and wait for its reply (a barrier on this socket). */
  ping(): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no ping reply')), WAIT_MS);
      this.client.ping((msg: Frame) => { clearTimeout(timer); resolve(msg); });
    });
  }

  close(): void {
    this.client.close();
  }
}
