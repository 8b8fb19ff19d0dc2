/**
 * echo-bot: a bot account with a personal access token that listens on Mattermost's WebSocket
 * with the official `WebSocketClient` and answers every message that mentions it, in the
 * message's thread (`root_id`). When its token is revoked the server stops sending it events at
 * once: the socket stays open but receives nothing more, and its actions are refused
 * (`not_authenticated`), so the bot falls silent without a restart or a poll.
 *
 * Run it:
 *
 *     npx tsx examples/echo-bot.ts                            # self-contained demo on an in-process mock
 *     MM_URL=https://chat.example.com MM_TOKEN=<bot token> npx tsx examples/echo-bot.ts   # serve until SIGINT/SIGTERM
 *
 * The demo creates the bot, gives it a token, adds it to ~town-square, mentions it twice (a new
 * thread, then inside that thread), revokes the token and mentions it again: no event reaches
 * the bot after the revocation, and it does not answer.
 *
 * Exit codes: 0 everything behaved as documented (or served and stopped by a signal), 1 something
 * did not (one line on stderr), 2 wrong usage. The token is never printed (only its id).
 */
import mattermostClient from '@mattermost/client';
import type { WebSocketClient as WebSocketClientType } from '@mattermost/client';
import type { Post } from '@mattermost/types/posts';
import { WebSocket } from 'ws';
import { connect, login, secretOf } from './lib/client.js';
import { EXIT, ExampleFailure, check, isMain, runMain, type Print } from './lib/cli.js';
import { startDemo, type DemoServer } from './lib/demo.js';

const { WebSocketClient } = mattermostClient;

/** WebSocketClient uses the global `WebSocket` (Node 20 has none): install `ws`'s. */
function installWebSocket(): void {
  const g = globalThis as { WebSocket?: unknown };
  g.WebSocket ??= WebSocket;
}

/** An event as the socket delivers it (the client's union type, loosened to what the bot reads). */
export interface WebSocketMessage {
  event: string;
  data: Record<string, unknown>;
  broadcast: Record<string, unknown>;
  seq: number;
}

/** `ws://host/api/v4/websocket` for a server URL. */
export function websocketUrl(url: string): string {
  return `${url.replace(/\/+$/, '').replace(/^http/, 'ws')}/api/v4/websocket`;
}

/** A running echo bot. */
export interface EchoBot {
  readonly userId: string;
  readonly username: string;
  /** `posted` events received so far. */
  readonly posted: Post[];
  /** Replies made so far. */
  readonly replies: Post[];
  /** The next reply the bot makes. */
  nextReply(): Promise<Post>;
  /**
   * Send an action on the socket and report the server's verdict: `ok` while the token works,
   * `not_authenticated` once its session is dead. The reply comes after every event the server
   * had sent before it, so once it is in, nothing older is still on the way.
   */
  probe(channelId: string): Promise<'ok' | 'not_authenticated' | string>;
  close(): void;
}

/** A WebSocketClient connected with `token`, resolved on `hello`. */
export function openSocket(url: string, token: string, onMessage: (msg: WebSocketMessage) => void): Promise<WebSocketClientType> {
  installWebSocket();
  const socket = new WebSocketClient();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close(); // stop the client's reconnect loop, or the process would never exit
      reject(new ExampleFailure(`no hello from ${websocketUrl(url)} within 10 s`));
    }, 10_000);
    socket.addMessageListener((raw) => {
      const msg = raw as unknown as WebSocketMessage;
      if (msg.event === 'hello') {
        clearTimeout(timer);
        resolve(socket);
      }
      onMessage(msg);
    });
    socket.initialize(websocketUrl(url), token);
  });
}

/** Did `post` mention the bot? `mentions` (a JSON array of user ids) when the server sends it, else `@username` in the text. */
function mentions(msg: WebSocketMessage, post: Post, bot: { userId: string; username: string }): boolean {
  const raw = msg.data.mentions;
  if (typeof raw === 'string') {
    try {
      const ids = JSON.parse(raw) as unknown;
      if (Array.isArray(ids)) return ids.includes(bot.userId);
    } catch {
      // fall through to the text
    }
  }
  return new RegExp(`(^|[^\\w.-])@${bot.username.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`, 'i').test(post.message);
}

/**
 * Start the bot: `GET /users/me` with the token (a refused token fails here), then the socket.
 *
 * @example
 * ```ts
 * const bot = await startEchoBot({ url: 'http://127.0.0.1:8065', token: process.env.MM_TOKEN!, print: console.log });
 * ```
 */
export async function startEchoBot(options: { url: string; token: string; print: Print }): Promise<EchoBot> {
  const { url, token, print } = options;
  const rest = connect(url, token);
  const me = await rest.getMe();
  const bot = { userId: me.id, username: me.username };
  const posted: Post[] = [];
  const replies: Post[] = [];
  const waiting: Array<(p: Post) => void> = [];
  const socket = await openSocket(url, token, (msg) => {
    if (msg.event !== 'posted' || typeof msg.data.post !== 'string') return;
    const post = JSON.parse(msg.data.post) as Post;
    posted.push(post);
    if (post.user_id === bot.userId || !mentions(msg, post, bot)) return;
    const sender = typeof msg.data.sender_name === 'string' ? msg.data.sender_name : 'someone';
    const text = post.message.replace(new RegExp(`@${bot.username}\\b`, 'gi'), '').trim();
    // Answer in the thread: the post's root, or the post itself when it starts one.
    rest.createPost({ channel_id: post.channel_id, root_id: post.root_id || post.id, message: `${sender} said: ${text}` } as Post).then(
      (reply) => {
        replies.push(reply);
        print(`bot: answered ${sender} in thread ${reply.root_id} -> post ${reply.id}`);
        waiting.shift()?.(reply);
      },
      (err: unknown) => print(`bot: could not answer: ${err instanceof Error ? err.message : String(err)}`),
    );
  });
  print(`bot: @${bot.username} connected to ${websocketUrl(url)} (hello received)`);
  return {
    ...bot,
    posted,
    replies,
    nextReply: () => new Promise((resolve) => waiting.push(resolve)),
    probe: (channelId) => new Promise((resolve) => {
      socket.sendMessage('user_typing', { channel_id: channelId, parent_id: '' }, (reply: { status?: string; error?: { id?: string } }) => {
        if (reply.status === 'OK') resolve('ok');
        else resolve(reply.error?.id === 'api.web_socket_router.not_authenticated.app_error' ? 'not_authenticated' : reply.error?.id ?? 'FAIL');
      });
    }),
    close: () => socket.close(),
  };
}

export interface EchoBotResult {
  botUserId: string;
  /** The bot's replies: [reply to the first mention, reply inside that thread]. */
  replies: Array<{ id: string; rootId: string; message: string }>;
  /** What the bot's socket said after the revocation. */
  afterRevoke: string;
}

export interface EchoBotOptions {
  /** Environment to read MM_URL and MM_TOKEN from. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Where the step-by-step report goes. Default `console.log`. */
  print?: Print;
  /** Demo only: use this mock server instead of starting one. */
  server?: DemoServer;
  /** Serve mode: resolves when this signal aborts (default: SIGINT or SIGTERM). */
  signal?: AbortSignal;
}

/**
 * Run the example: the demo when MM_URL and MM_TOKEN are both unset, otherwise serve on that
 * server until a signal.
 *
 * @example
 * ```ts
 * const { replies, afterRevoke } = await run({ env: {}, print: () => {} });
 * afterRevoke; // 'not_authenticated'
 * ```
 */
export async function run(options: EchoBotOptions = {}): Promise<EchoBotResult | undefined> {
  const { env = process.env, print = console.log } = options;
  const url = env.MM_URL;
  const token = env.MM_TOKEN;
  if (url === undefined && token === undefined) return runDemo(print, options.server);
  if (!url || !token) throw new ExampleFailure('set both MM_URL and MM_TOKEN (or neither, for the demo)', EXIT.usage);
  const bot = await startEchoBot({ url, token, print });
  print('bot: answering mentions until SIGINT/SIGTERM');
  await new Promise<void>((resolve) => {
    if (options.signal !== undefined) options.signal.addEventListener('abort', () => resolve(), { once: true });
    else for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
  });
  bot.close();
  print(`done: ${bot.replies.length} replies`);
  return undefined;
}

/** Wait for `predicate` among the messages a socket receives. */
function waitForEvent(list: WebSocketMessage[], subscribe: (fn: () => void) => void, predicate: (m: WebSocketMessage) => boolean): Promise<WebSocketMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new ExampleFailure('an expected WebSocket event did not arrive within 10 s')), 10_000);
    const check = () => {
      const found = list.find(predicate);
      if (found !== undefined) {
        clearTimeout(timer);
        resolve(found);
        return true;
      }
      return false;
    };
    if (!check()) subscribe(() => { check(); });
  });
}

async function runDemo(print: Print, server?: DemoServer): Promise<EchoBotResult> {
  const demo = await startDemo({ print, server });
  let bot: EchoBot | undefined;
  let witness: WebSocketClientType | undefined;
  try {
    const { admin } = demo;
    const account = await demo.createBot('echo-bot', 'system_user');
    const pat = await admin.createUserAccessToken(account.user_id, 'echo-bot (mattermost-pat example)');
    print(`admin: created a personal access token for @echo-bot (token id ${pat.id})`);
    const team = await admin.getTeamByName('ad-1');
    const channel = await admin.getChannelByName(team.id, 'town-square');
    await admin.addToTeam(team.id, account.user_id);
    await admin.addToChannel(account.user_id, channel.id);
    print('admin: added @echo-bot to team ad-1 and ~town-square (posted events go to channel members)');

    bot = await startEchoBot({ url: demo.url, token: secretOf(pat), print });
    const replies: EchoBotResult['replies'] = [];

    const first = await admin.createPost({ channel_id: channel.id, message: 'hello @echo-bot' } as Post);
    print(`admin: posted "hello @echo-bot" -> post ${first.id}`);
    const r1 = await bot.nextReply();
    check(r1.root_id === first.id, `the reply ${r1.id} is not in the thread of ${first.id}`);
    const stored1 = await admin.getPost(r1.id);
    check(stored1.user_id === account.user_id && stored1.message.endsWith('said: hello'), `reply ${r1.id} was not stored as the bot's answer`);
    replies.push({ id: r1.id, rootId: r1.root_id, message: r1.message });

    const inThread = await admin.createPost({ channel_id: channel.id, root_id: first.id, message: '@echo-bot again, in the thread' } as Post);
    print(`admin: replied in the thread with a mention -> post ${inThread.id}`);
    const r2 = await bot.nextReply();
    check(r2.root_id === first.id, `the second reply ${r2.id} left the thread ${first.id}`);
    replies.push({ id: r2.id, rootId: r2.root_id, message: r2.message });
    check(await bot.probe(channel.id) === 'ok', 'the bot socket refused an action while its token was valid');

    // A witness socket (the admin's) tells when the server has fanned the next post out.
    const seen: WebSocketMessage[] = [];
    const listeners = new Set<() => void>();
    witness = await openSocket(demo.url, admin.getToken(), (msg) => { seen.push(msg); for (const l of listeners) l(); });
    await admin.revokeUserAccessToken(pat.id);
    print(`admin: revoked token ${pat.id}`);
    const before = bot.posted.length;
    const after = await admin.createPost({ channel_id: channel.id, message: '@echo-bot are you still there?' } as Post);
    await waitForEvent(seen, (fn) => listeners.add(fn), (m) => m.event === 'posted' && typeof m.data.post === 'string' && (JSON.parse(m.data.post) as Post).id === after.id);
    const verdict = await bot.probe(channel.id);
    print(`bot: socket after the revocation -> ${verdict}; posted events received since: ${bot.posted.length - before}`);
    check(verdict === 'not_authenticated', `the bot's socket still accepted actions after the revocation (${verdict})`);
    check(bot.posted.length === before, 'the bot still received posted events after its token was revoked');
    check(bot.replies.length === 2, 'the bot answered after its token was revoked');
    const refused = await connect(demo.url, secretOf(pat)).getMe().then(() => 'ok', (err: unknown) => String((err as { status_code?: number }).status_code));
    check(refused === '401', `the revoked token still works on REST (${refused})`);
    print('done: 2 answers in the thread; after the revocation the bot received nothing and answered nothing');
    return { botUserId: account.user_id, replies, afterRevoke: verdict };
  } finally {
    bot?.close();
    witness?.close();
    await demo.close();
  }
}

/** Log in helper kept for tests that drive the bot against a server of their own. */
export { login };

if (isMain(import.meta.url)) runMain(() => run());
