/**
 * Child-process entry of the WebSocket benchmark's listeners: every socket in one process (not
 * the server's), driven over IPC by {@link WsClientsRequest}s, each answered by one
 * {@link WsClientsReply} with the same `id`.
 *
 * Sockets are raw `ws` clients with the token on the upgrade request (docs/websocket.md,
 * "Connecting"); a socket counts once its `hello` has arrived, so the benchmark never measures a
 * socket that failed to authenticate. While a post is tracked, the hot path does the least it can
 * (read the clock, keep the frame): the frames are decoded and checked only once the last one has
 * arrived, so checking never delays a later socket's receive time.
 */
import { WebSocket, type RawData } from 'ws';
import { monotonicMs, type Delivery, type ListenerCounts, type WsClientsReply, type WsClientsRequest } from './ws-messages.js';

const send = (reply: WsClientsReply) => process.send?.(reply);

const sockets: WebSocket[] = [];
let frames = 0;
let bytes = 0;
const closes: Record<string, number> = {};
/** Untracked frames by event name (`reply` for replies, `?` for anything else). */
const events: Record<string, number> = {};
let closing = false;

/** The frames of the post in flight: receive time, socket index, raw frame. */
interface Tracked {
  times: number[];
  from: number[];
  raw: Buffer[];
  expected: number;
  done?: () => void;
}
let tracked: Tracked | undefined;

const asBuffer = (data: RawData): Buffer => (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));

function onFrame(index: number, data: RawData): void {
  const t = monotonicMs();
  const frame = asBuffer(data);
  frames++;
  bytes += frame.length;
  const current = tracked;
  if (current === undefined || current.times.length >= current.expected) {
    const name = eventOf(frame);
    events[name] = (events[name] ?? 0) + 1;
    return;
  }
  current.times.push(t);
  current.from.push(index);
  current.raw.push(frame);
  if (current.times.length === current.expected) current.done?.();
}

/** The event name at the head of a frame, without decoding the rest. */
function eventOf(frame: Buffer): string {
  const head = /^\{"(event|status)": ?"([^"]*)"/.exec(frame.toString('latin1', 0, 64));
  return head === null ? '?' : head[1] === 'status' ? 'reply' : head[2] as string;
}

/** Open one authenticated socket; resolves once its `hello` has arrived. */
function open(url: string, token: string, index: number, helloTimeoutMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v4/websocket`, { headers: { Authorization: `Bearer ${token}` }, perMessageDeflate: false });
    const fail = (why: string) => { clearTimeout(timer); ws.terminate(); reject(new Error(`socket ${index}: ${why}`)); };
    const timer = setTimeout(() => fail(`no hello within ${helloTimeoutMs} ms`), helloTimeoutMs);
    ws.once('error', (err) => fail(err.message));
    ws.once('close', (code) => fail(`closed (${code}) before hello`));
    ws.once('message', (data) => {
      let event: unknown;
      try {
        event = (JSON.parse(asBuffer(data).toString('utf8')) as { event?: unknown }).event;
      } catch { /* reported below */ }
      if (event !== 'hello') { fail(`first frame is not hello: ${asBuffer(data).toString('utf8').slice(0, 120)}`); return; }
      clearTimeout(timer);
      ws.removeAllListeners('error');
      ws.removeAllListeners('close');
      ws.on('error', () => undefined);
      ws.on('close', (code) => { if (!closing) closes[code] = (closes[code] ?? 0) + 1; });
      ws.on('message', (frame) => onFrame(index, frame));
      resolve(ws);
    });
  });
}

async function connect(url: string, tokens: string[], concurrency: number, helloTimeoutMs: number): Promise<number> {
  const base = sockets.length;
  let next = 0;
  // Slot i holds token i's socket, whatever order the hellos come in: a socket's index is its token's.
  const opened: Array<WebSocket | undefined> = new Array<WebSocket | undefined>(tokens.length);
  let failure: Error | undefined;
  const worker = async () => {
    // After a failure no worker opens another socket; the ones in progress finish and are closed.
    while (next < tokens.length && failure === undefined) {
      const i = next++;
      try {
        opened[i] = await open(url, tokens[i] as string, base + i, helloTimeoutMs);
      } catch (err) {
        failure ??= err instanceof Error ? err : new Error(String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tokens.length) }, worker));
  if (failure !== undefined) {
    for (const ws of opened) ws?.terminate();
    throw failure;
  }
  sockets.push(...opened.filter((ws): ws is WebSocket => ws !== undefined));
  return sockets.length - base;
}

/** Decode and check the tracked frames: one `posted` per socket, all of the same post in `channelId`. */
function check(current: Tracked, channelId: string): Delivery {
  let postId: string | undefined;
  const seen = new Set<number>();
  for (const [i, raw] of current.raw.entries()) {
    const text = raw.toString('utf8');
    const frame = JSON.parse(text) as { event?: string; data?: { post?: string }; broadcast?: { channel_id?: string } };
    if (frame.event !== 'posted') throw new Error(`expected posted, got ${text.slice(0, 120)}`);
    if (frame.broadcast?.channel_id !== channelId) throw new Error(`posted in another channel: ${text.slice(0, 160)}`);
    const id = (JSON.parse(frame.data?.post ?? 'null') as { id?: string } | null)?.id;
    if (typeof id !== 'string') throw new Error('posted without data.post.id');
    if (postId !== undefined && id !== postId) throw new Error(`two posts in flight: ${postId} and ${id}`);
    postId = id;
    const socket = current.from[i] as number;
    if (seen.has(socket)) throw new Error(`socket ${socket} got the post twice`);
    seen.add(socket);
  }
  const times = [...current.times].sort((a, b) => a - b);
  return {
    postId: postId ?? '', receivers: seen.size,
    first: times[0] ?? NaN, median: times[Math.floor((times.length - 1) / 2)] ?? NaN, last: times[times.length - 1] ?? NaN,
  };
}

function counts(): ListenerCounts {
  return { frames, bytes, open: sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length, closes: { ...closes }, events: { ...events } };
}

async function closeAll(): Promise<void> {
  closing = true;
  await Promise.all(sockets.map((ws) => new Promise<void>((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) { resolve(); return; }
    const killer = setTimeout(() => { ws.terminate(); resolve(); }, 2_000);
    ws.once('close', () => { clearTimeout(killer); resolve(); });
    ws.close(1000);
  })));
  sockets.length = 0;
  for (const code of Object.keys(closes)) delete closes[code];
  for (const name of Object.keys(events)) delete events[name];
  closing = false;
}

/** Arm for the next post: the next `sockets.length` frames are its deliveries. */
function arm(): void {
  tracked = { times: [], from: [], raw: [], expected: sockets.length };
}

function collect(channelId: string, timeoutMs: number): Promise<Delivery> {
  const current = tracked;
  if (current === undefined) return Promise.reject(new Error('collect before arm'));
  return new Promise<void>((resolve, reject) => {
    if (current.times.length === current.expected) { resolve(); return; }
    const timer = setTimeout(() => reject(new Error(`${current.times.length} of ${current.expected} sockets got the post within ${timeoutMs} ms`)), timeoutMs);
    current.done = () => { clearTimeout(timer); resolve(); };
  }).then(() => check(current, channelId)).finally(() => { tracked = undefined; });
}

async function handle(request: WsClientsRequest): Promise<WsClientsReply> {
  switch (request.type) {
    case 'connect': {
      const started = monotonicMs();
      const n = await connect(request.url, request.tokens, request.concurrency ?? 50, request.helloTimeoutMs ?? 10_000);
      return { type: 'connected', id: request.id, sockets: n, ms: monotonicMs() - started };
    }
    case 'arm':
      arm();
      return { type: 'armed', id: request.id };
    case 'collect':
      return { type: 'delivered', id: request.id, delivery: await collect(request.channelId, request.timeoutMs) };
    case 'counts':
      return { type: 'counts', id: request.id, counts: counts() };
    case 'close':
      await closeAll();
      return { type: 'closed', id: request.id };
  }
}

process.on('message', (raw) => {
  const request = raw as WsClientsRequest;
  handle(request).then(send, (err: unknown) => send({ type: 'error', id: request.id, message: err instanceof Error ? err.message : String(err) }));
});
process.on('disconnect', () => {
  for (const ws of sockets) ws.terminate();
  process.exit(0);
});
