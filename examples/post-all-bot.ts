/**
 * post-all-bot: an integration account whose personal access token carries **post:all**
 * (role `system_post_all`) posts to a public channel, a private channel and a direct-message
 * channel it is not a member of. Then the same token, without post:all, is refused (403), and with
 * **post:channels** (role `system_post_all_public`) may post to public channels only.
 *
 * Run it:
 *
 *     npx tsx examples/post-all-bot.ts                       # self-contained demo on an in-process mock
 *     MM_URL=https://chat.example.com MM_TOKEN=<bot token> MM_CHANNELS=<id>,<id> \
 *       [MM_ADMIN_TOKEN=<admin token>] npx tsx examples/post-all-bot.ts
 *
 * Against a real server, MM_CHANNELS lists the channel ids to post to (the bot cannot discover
 * private channels it is not in). With MM_ADMIN_TOKEN, the role comparison runs too: the bot's
 * roles are changed for a moment and restored afterwards.
 *
 * Exit codes: 0 everything behaved as documented, 1 something did not (one line on stderr),
 * 2 wrong usage. The token is never printed (only its id).
 */
import { attempt, connect, describeError, outcome, secretOf, type Client } from './lib/client.js';
import { EXIT, ExampleFailure, check, isMain, runMain, type Print } from './lib/cli.js';
import { startDemo, type DemoServer } from './lib/demo.js';

/** A channel the bot posts to. */
export interface Target {
  /** `public`, `private`, `direct` (demo) or the channel type letter read from the server. */
  kind: string;
  channelId: string;
  /** Display label, e.g. `~town-square`. */
  label: string;
}

/** One post attempt under a given set of roles. */
export interface Attempted {
  roles: string;
  target: Target;
  /** `ok` or `403 api.context.permissions.app_error`. */
  outcome: string;
}

export interface PostAllResult {
  botUserId: string;
  /** Posts made with post:all, one per target. */
  posts: Array<{ target: Target; postId: string }>;
  /** The role comparison (empty when no admin client was available). */
  comparison: Attempted[];
}

export interface PostAllOptions {
  /** Environment to read MM_URL, MM_TOKEN, MM_CHANNELS, MM_ADMIN_TOKEN from. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Where the step-by-step report goes. Default `console.log`. */
  print?: Print;
  /** Demo only: use this mock server instead of starting one. */
  server?: DemoServer;
}

const POST_ALL = 'system_post_all';               // System Console: "post:all"
const POST_CHANNELS = 'system_post_all_public';   // System Console: "post:channels"

/**
 * Run the example: the demo when MM_URL and MM_TOKEN are both unset, otherwise against that server.
 * Throws {@link ExampleFailure} (exit code 1, or 2 for usage) when something is not as documented.
 *
 * @example
 * ```ts
 * const { posts, comparison } = await run({ env: {}, print: () => {} }); // the demo
 * posts.length; // 3: public, private, direct
 * ```
 */
export async function run(options: PostAllOptions = {}): Promise<PostAllResult> {
  const { env = process.env, print = console.log } = options;
  const url = env.MM_URL;
  const token = env.MM_TOKEN;
  if (url === undefined && token === undefined) return runDemo(print, options.server);
  if (!url || !token) throw new ExampleFailure('set both MM_URL and MM_TOKEN (or neither, for the demo)', EXIT.usage);
  const ids = (env.MM_CHANNELS ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (ids.length === 0) throw new ExampleFailure('set MM_CHANNELS to the comma-separated ids of the channels to post to', EXIT.usage);
  const admin = env.MM_ADMIN_TOKEN ? connect(url, env.MM_ADMIN_TOKEN) : undefined;
  const targets: Target[] = [];
  for (const channelId of ids) {
    // Only an admin can read a private channel or DM the bot is not in; without one, the type is unknown.
    const channel = admin === undefined ? undefined : await admin.getChannel(channelId);
    targets.push({ kind: channel?.type ?? '?', channelId, label: channel === undefined ? channelId : `~${channel.name} (type ${channel.type})` });
  }
  return postAll({ print, bot: connect(url, token), admin, targets });
}

/** The demo: the admin steps on a fresh mock, then the same flow as against a real server. */
async function runDemo(print: Print, server?: DemoServer): Promise<PostAllResult> {
  const demo = await startDemo({ print, server });
  try {
    const { admin } = demo;
    // 1. The integration account: a bot with post:all. (A regular user works the same way.)
    const bot = await demo.createBot('post-all-bot', `system_user ${POST_ALL}`);
    // 2. Its token. The secret is shown once, in this response; it goes straight into the client.
    const pat = await admin.createUserAccessToken(bot.user_id, 'post-all-bot (mattermost-pat example)');
    print(`admin: created a personal access token for @post-all-bot (token id ${pat.id})`);
    // 3. Three channels the bot is not a member of.
    const team = await admin.getTeamByName('ad-1');
    const townSquare = await admin.getChannelByName(team.id, 'town-square');
    const privateOne = await admin.getChannelByName(team.id, 'private-1');
    const me = await admin.getMe();
    const user1 = await admin.getUserByUsername('user-1');
    const dm = await admin.createDirectChannel([me.id, user1.id]);
    print(`admin: opened a direct-message channel between @${me.username} and @${user1.username}`);
    const targets: Target[] = [
      { kind: 'public', channelId: townSquare.id, label: '~town-square (public)' },
      { kind: 'private', channelId: privateOne.id, label: '~private-1 (private)' },
      { kind: 'direct', channelId: dm.id, label: `@${me.username} <-> @${user1.username} (direct message)` },
    ];
    return await postAll({ print, bot: connect(demo.url, secretOf(pat)), admin, targets });
  } finally {
    await demo.close();
  }
}

const isPublic = (t: Target) => t.kind === 'public' || t.kind === 'O';

/** What the docs promise for a post attempt by a non-member holding `roles`. */
function expected(roles: string, target: Target): 'ok' | 403 {
  const set = roles.split(/\s+/);
  if (set.includes(POST_ALL)) return 'ok';
  if (set.includes(POST_CHANNELS) && isPublic(target)) return 'ok';
  return 403;
}

async function postAll(args: { print: Print; bot: Client; admin: Client | undefined; targets: Target[] }): Promise<PostAllResult> {
  const { print, bot, admin, targets } = args;
  const me = await attempt(() => bot.getMe());
  check(me.ok, `the token was refused by GET /users/me (${outcome(me)})`);
  const account = me.value;
  print(`bot: the token authenticates as @${account.username} (roles "${account.roles}")`);
  check(account.roles.split(/\s+/).includes(POST_ALL), `@${account.username} lacks ${POST_ALL} (post:all): grant it first`);

  const posts: PostAllResult['posts'] = [];
  for (const target of targets) {
    if (admin !== undefined) {
      const member = await attempt(() => admin.getChannelMember(target.channelId, account.id));
      print(`bot: ${target.label}: ${member.ok ? 'member' : 'not a member'}`);
    }
    const message = `Hello from @${account.username}: posted with post:all (${new Date().toISOString()})`;
    const created = await attempt(() => bot.createPost({ channel_id: target.channelId, message }));
    check(created.ok, `posting to ${target.label} with post:all failed: ${outcome(created)}`);
    check(created.value.user_id === account.id && created.value.channel_id === target.channelId, `the post in ${target.label} has the wrong author or channel`);
    if (admin !== undefined) {
      // Read it back as someone who can see the channel: the post is really there.
      const stored = await admin.getPost(created.value.id);
      check(stored.message === message, `post ${created.value.id} in ${target.label} was not stored`);
    }
    print(`bot: posted to ${target.label} with post:all -> post ${created.value.id}`);
    posts.push({ target, postId: created.value.id });
  }

  const comparison: Attempted[] = [];
  if (admin === undefined) {
    print('(set MM_ADMIN_TOKEN to also compare with post:channels and with no post role)');
  } else {
    try {
      for (const [label, roles] of [['without post:all', 'system_user'], ['with post:channels only', `system_user ${POST_CHANNELS}`]] as const) {
        await admin.updateUserRoles(account.id, roles);
        print(`admin: roles of @${account.username} -> "${roles}" (${label}); the same token is reused`);
        for (const target of targets) {
          const result = await attempt(() => bot.createPost({ channel_id: target.channelId, message: `attempt ${label}` }));
          const got = result.ok ? 'ok' : result.status;
          const want = expected(roles, target);
          check(got === want, `${label}, posting to ${target.label} gave ${outcome(result)}, expected ${want}`);
          print(`bot: ${label}: ${target.label} -> ${result.ok ? 'posted' : outcome(result)}`);
          comparison.push({ roles, target, outcome: outcome(result) });
        }
      }
    } catch (err) {
      if (err instanceof ExampleFailure) throw err;
      throw new ExampleFailure(`role comparison failed: ${describeError(err)}`);
    } finally {
      await admin.updateUserRoles(account.id, account.roles);
      print(`admin: restored the roles of @${account.username} ("${account.roles}")`);
    }
  }
  print(`done: ${posts.length} posts with post:all${comparison.length > 0 ? `, ${comparison.length} comparison attempts as documented` : ''}`);
  return { botUserId: account.id, posts, comparison };
}

if (isMain(import.meta.url)) runMain(() => run(), { noArguments: 'usage: post-all-bot (no arguments: set MM_URL, MM_TOKEN, MM_CHANNELS [, MM_ADMIN_TOKEN], or nothing for the demo)' });
