/**
 * slash-command: a Koa service behind a custom slash command, `/deploy <what>`. Mattermost calls
 * it with the command's token (`Authorization: Token …` and a `token` field): the service mounts
 * `verifyCommand()` on that route (not `authenticate()`: the command token is not a personal
 * access token), answers `in_channel`, and Mattermost turns the answer into a post. Without
 * arguments it answers `ephemeral` (only the caller sees it).
 *
 * The run registers the command through the REST API (`POST /commands`), executes it
 * (`POST /commands/execute`) and reads the post back; shows that a call with another token is
 * refused (401); regenerates the token (`PUT /commands/{id}/regen_token`): the service takes the
 * new one at once and refuses the old one; and deletes the command at the end.
 *
 * Run it:
 *
 *     npx tsx examples/slash-command.ts                  # self-contained demo on an in-process mock
 *     MM_URL=https://chat.example.com MM_TOKEN=<token with manage_own_slash_commands> \
 *       MM_CHANNEL=<channel id> SERVICE_URL=<this service's URL as Mattermost reaches it> \
 *       [PORT=3000] npx tsx examples/slash-command.ts
 *
 * Exit codes: 0 everything behaved as documented, 1 something did not (one line on stderr), 2
 * wrong usage. Tokens are never printed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import { errorBoundary, requestId, verifyCommand, type Logger } from 'mattermost-pat';
import type { Post } from '@mattermost/types/posts';
import { attempt, connect, outcome, type Client } from './lib/client.js';
import { EXIT, ExampleFailure, check, isMain, runMain, type Print } from './lib/cli.js';
import { startDemo, type DemoServer } from './lib/demo.js';

/** The route Mattermost calls. */
export const COMMAND_PATH = '/slash/deploy';

/**
 * The service: `POST /slash/deploy` (verified with the command tokens `tokens()` returns) and
 * `GET /healthz`.
 *
 * @example
 * ```ts
 * const app = createSlashCommandApp({ tokens: () => [process.env.DEPLOY_TOKEN ?? ''] });
 * app.listen(3000);
 * ```
 */
export function createSlashCommandApp(options: { tokens: () => readonly string[]; logger?: Logger }): Koa {
  const app = new Koa();
  const router = new Router();
  app.use(requestId());
  app.use(errorBoundary({ logger: options.logger }));
  router.get('/healthz', (ctx) => { ctx.body = { status: 'OK' }; });
  router.post(COMMAND_PATH, verifyCommand({ tokens: options.tokens, logger: options.logger }), (ctx) => {
    // Typed by verifyCommand(): who ran what, where.
    const { userName, text, channelName, command } = ctx.state.command!;
    ctx.body = text === ''
      ? { response_type: 'ephemeral', text: `Usage: ${command} <service>` }
      : { response_type: 'in_channel', text: `@${userName} started a deploy of **${text}** in ~${channelName}` };
  });
  app.use(router.routes());
  return app;
}

function listen(app: Koa, port: number): Promise<Server> {
  const server = createServer(app.callback());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

export interface SlashCommandResult {
  commandId: string;
  /** The post the in_channel answer became. */
  postId: string;
  message: string;
  /** Status of a direct call to the service with a wrong token, and with the token before regen. */
  wrongToken: number;
  oldToken: number;
}

export interface SlashCommandOptions {
  env?: Record<string, string | undefined>;
  print?: Print;
  /** Demo only: use this mock server instead of starting one. */
  server?: DemoServer;
}

/**
 * Run the example: the demo when MM_URL and MM_TOKEN are both unset, otherwise against that server.
 *
 * @example
 * ```ts
 * const { message } = await run({ env: {}, print: () => {} }); // '@sysadmin started a deploy of **api** in ~town-square'
 * ```
 */
export async function run(options: SlashCommandOptions = {}): Promise<SlashCommandResult> {
  const { env = process.env, print = console.log } = options;
  const url = env.MM_URL;
  const token = env.MM_TOKEN;
  if (url === undefined && token === undefined) {
    const demo = await startDemo({ print, server: options.server });
    try {
      const team = await demo.admin.getTeamByName('ad-1');
      const channel = await demo.admin.getChannelByName(team.id, 'town-square');
      return await registerAndRun({ print, client: demo.admin, channelId: channel.id, port: 0 });
    } finally {
      await demo.close();
    }
  }
  if (!url || !token) throw new ExampleFailure('set both MM_URL and MM_TOKEN (or neither, for the demo)', EXIT.usage);
  const channelId = env.MM_CHANNEL ?? '';
  if (channelId === '') throw new ExampleFailure('set MM_CHANNEL to the id of the channel to run the command in', EXIT.usage);
  const port = Number(env.PORT ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ExampleFailure(`PORT must be a port number, not ${env.PORT}`, EXIT.usage);
  return registerAndRun({ print, client: connect(url, token), channelId, port, serviceUrl: env.SERVICE_URL });
}

async function registerAndRun(args: { print: Print; client: Client; channelId: string; port: number; serviceUrl?: string }): Promise<SlashCommandResult> {
  const { print, client, channelId } = args;
  const tokens = new Set<string>();
  const server = await listen(createSlashCommandApp({ tokens: () => [...tokens] }), args.port);
  const base = args.serviceUrl?.replace(/\/+$/, '') ?? `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  print(`service: listening, Mattermost calls ${base}${COMMAND_PATH}`);
  let commandId: string | undefined;
  try {
    const channel = await client.getChannel(channelId);
    const trigger = 'deploy';
    const cmd = await client.addCommand({
      team_id: channel.team_id, trigger, method: 'P', url: `${base}${COMMAND_PATH}`, display_name: 'Deploy',
      description: 'mattermost-pat example', auto_complete: true, auto_complete_hint: '<service>',
    } as never);
    commandId = cmd.id;
    tokens.add(cmd.token);
    print(`admin: registered /${trigger} in team ${channel.team_id} (command ${cmd.id}); the service knows its token`);

    const answer = await client.executeCommand(`/${trigger} api`, { channel_id: channelId, team_id: channel.team_id } as never);
    check(answer.response_type === 'in_channel', `the command answered ${JSON.stringify(answer.response_type)}, not in_channel`);
    const posts = await client.getPosts(channelId, 0, 5);
    const post: Post | undefined = posts.order.map((id) => posts.posts[id]!).find((p) => p.message === answer.text);
    check(post !== undefined, 'the in_channel answer did not become a post');
    check(post.props?.from_webhook === 'true', 'the command post is not marked from_webhook');
    print(`user: /${trigger} api -> post ${post.id}: "${post.message}"`);

    const usage = await client.executeCommand(`/${trigger}`, { channel_id: channelId, team_id: channel.team_id } as never);
    check(usage.response_type === 'ephemeral' && usage.text.startsWith('Usage:'), 'the command without arguments did not answer ephemeral usage');
    print(`user: /${trigger} -> ephemeral "${usage.text}" (only the caller sees it)`);

    const call = (token: string) => fetch(`${base}${COMMAND_PATH}`, {
      method: 'POST', headers: { Authorization: `Token ${token}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, command: `/${trigger}`, text: 'forged' }).toString(),
    });
    const wrong = await call('aaaaaaaaaaaaaaaaaaaaaaaaaa');
    check(wrong.status === 401, `a call with another token got ${wrong.status}, not 401`);
    print(`service: a call with another token -> ${wrong.status} (verifyCommand)`);

    const regen = await client.regenCommandToken(cmd.id);
    tokens.clear();
    tokens.add(regen.token);
    const again = await attempt(() => client.executeCommand(`/${trigger} web`, { channel_id: channelId, team_id: channel.team_id } as never));
    check(again.ok && again.value.response_type === 'in_channel', `after regen_token the command failed: ${outcome(again)}`);
    const old = await call(cmd.token);
    check(old.status === 401, `the token before regen_token still got ${old.status}`);
    print(`admin: regenerated the token; the command still works, the old token -> ${old.status}`);
    print('done: the in_channel answer became a post; wrong and old tokens were refused');
    return { commandId: cmd.id, postId: post.id, message: post.message, wrongToken: wrong.status, oldToken: old.status };
  } finally {
    if (commandId !== undefined) await client.deleteCommand(commandId).catch(() => undefined);
    await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
  }
}

if (isMain(import.meta.url)) runMain(() => run());
