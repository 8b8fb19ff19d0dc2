/**
 * rotate-token: the answer to "can personal access tokens expire?". Classic Mattermost tokens never
 * expire, so rotate them on a schedule: create a new token, switch the integration to it (write it
 * to the file the integration reads, mode 0600), verify it, revoke the old one, and prove the old
 * one is refused. Works on every Mattermost version (it does not need the newest /tokens/rotate).
 *
 * Run it:
 *
 *     npx tsx examples/rotate-token.ts                  # demo: three runs against an in-process mock
 *     MM_URL=https://chat.example.com MM_TOKEN=<admin or owner token> \
 *       npx tsx examples/rotate-token.ts --user my-bot --token-file /etc/my-bot/token [--max-age 30d]
 *     MM_URL=https://chat.example.com npx tsx examples/rotate-token.ts --token-file ~/.my-token
 *       # no MM_TOKEN: the integration rotates itself with the token in the file
 *       # (a user account with the system_user_access_token role; bots need their owner's token)
 *
 * Options: --name <n> (default "integration": the managed token's description is
 * "rotated by mattermost-pat <n>"), --user <username|me> (default me), --token-file <path>,
 * --state-file <path> (default <token-file>.state.json, holds the token id and rotation time, no
 * secret), --max-age <0|N[smhd]> (default 0 = rotate on every run; otherwise do nothing while the
 * current token is younger), --print-secret (print the new secret on stdout; off by default).
 *
 * Safe to run from cron: every managed token but the new one is revoked (also leftovers of an
 * interrupted run); a new token that fails verification is revoked and the token file is left
 * untouched. Exit codes: 0 done (or nothing to do), 1 something did not behave as documented,
 * 2 usage. No secret is ever printed unless --print-secret is given.
 */
import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { UserAccessToken } from '@mattermost/types/users';
import { attempt, connect, outcome, secretOf, type Client } from './lib/client.js';
import { EXIT, ExampleFailure, check, isMain, runMain, type Print } from './lib/cli.js';
import { startDemo, type DemoServer } from './lib/demo.js';

export interface RotateOptions {
  /** Command-line arguments (without node and the script). Default `process.argv.slice(2)`. */
  argv?: readonly string[];
  /** Environment for MM_URL and MM_TOKEN. Default `process.env`. */
  env?: Record<string, string | undefined>;
  print?: Print;
  /** Demo only: use this mock server instead of starting one. */
  server?: DemoServer;
  /** Clock (for --max-age). Default `Date.now`. */
  now?: () => number;
}

/** What one rotation run did. */
export interface Rotation {
  action: 'created' | 'rotated' | 'unchanged';
  userId: string;
  /** Id of the token now in the token file. */
  tokenId: string;
  /** Ids of the tokens revoked by this run. */
  revoked: string[];
  tokenFile: string | undefined;
  stateFile: string | undefined;
}

export interface RotateResult {
  runs: Rotation[];
}

/** State kept next to the token file (no secret in it). */
interface State {
  name: string;
  user_id: string;
  token_id: string;
  rotated_at: string;
}

interface Flags {
  name: string;
  user: string;
  tokenFile: string | undefined;
  stateFile: string | undefined;
  maxAgeMs: number;
  printSecret: boolean;
}

const USAGE = 'usage: rotate-token [--name <n>] [--user <username|me>] [--token-file <path>] [--state-file <path>] [--max-age <0|N[smhd]>] [--print-secret]';

function parseFlags(argv: readonly string[]): Flags {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        name: { type: 'string', default: 'integration' },
        user: { type: 'string', default: 'me' },
        'token-file': { type: 'string' },
        'state-file': { type: 'string' },
        'max-age': { type: 'string', default: '0' },
        'print-secret': { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    throw new ExampleFailure(`${err instanceof Error ? err.message : String(err)} (${USAGE})`, EXIT.usage);
  }
  const age = /^(\d+)([smhd]?)$/.exec(values['max-age']);
  if (age === null) throw new ExampleFailure(`--max-age must be 0 or a number with s, m, h or d, got "${values['max-age']}"`, EXIT.usage);
  const unit = { '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as '' | 's' | 'm' | 'h' | 'd'];
  if (!/^[\w.-]{1,64}$/.test(values.name)) throw new ExampleFailure('--name must be 1-64 letters, digits, ".", "-" or "_"', EXIT.usage);
  if (values['token-file'] === '' || values['state-file'] === '') throw new ExampleFailure('file paths must not be empty', EXIT.usage);
  const tokenFile = values['token-file'];
  return {
    name: values.name,
    user: values.user,
    tokenFile,
    stateFile: values['state-file'] ?? (tokenFile === undefined ? undefined : `${tokenFile}.state.json`),
    maxAgeMs: Number(age[1]) * unit,
    printSecret: values['print-secret'],
  };
}

/**
 * Run the example: the demo when MM_URL and MM_TOKEN are both unset, otherwise one rotation.
 * Throws {@link ExampleFailure} (exit code 1, or 2 for usage) when something is not as documented.
 *
 * @example
 * ```ts
 * const { runs } = await run({
 *   argv: ['--user', 'my-bot', '--token-file', '/etc/my-bot/token', '--max-age', '30d'],
 *   env: { MM_URL: 'https://chat.example.com', MM_TOKEN: adminToken },
 * });
 * runs[0].action; // 'rotated' | 'created' | 'unchanged'
 * ```
 */
export async function run(options: RotateOptions = {}): Promise<RotateResult> {
  const { argv = process.argv.slice(2), env = process.env, print = console.log, now = Date.now } = options;
  const flags = parseFlags(argv);
  const url = env.MM_URL;
  let credential = env.MM_TOKEN;
  if (url === undefined && credential === undefined) return runDemo(flags, print, now, options.server);
  if (!url) throw new ExampleFailure('set MM_URL (and MM_TOKEN, or --token-file for an integration rotating itself)', EXIT.usage);
  if (!credential) {
    if (flags.tokenFile === undefined) throw new ExampleFailure('set MM_TOKEN, or give --token-file so the integration rotates itself with its current token', EXIT.usage);
    credential = await readSecret(flags.tokenFile);
    if (credential === undefined) throw new ExampleFailure(`no MM_TOKEN and no token in ${flags.tokenFile}`, EXIT.usage);
  }
  return { runs: [await rotate({ url, credential, flags, print, now })] };
}

/** The demo: a bot whose token is created, rotated, then left alone by a run with --max-age. */
async function runDemo(flags: Flags, print: Print, now: () => number, server?: DemoServer): Promise<RotateResult> {
  const demo = await startDemo({ print, server });
  const tmp = flags.tokenFile === undefined ? await mkdtemp(join(tmpdir(), 'rotate-token-')) : undefined;
  try {
    await demo.createBot('rotating-bot', 'system_user');
    const tokenFile = flags.tokenFile ?? join(tmp!, 'rotating-bot.token');
    const base: Flags = { ...flags, user: 'rotating-bot', tokenFile, stateFile: flags.stateFile ?? `${tokenFile}.state.json` };
    const credential = demo.admin.getToken(); // the bot's owner manages its tokens
    print('\n# run 1: no token yet: create the first one');
    const first = await rotate({ url: demo.url, credential, flags: { ...base, maxAgeMs: 0 }, print, now });
    print('\n# run 2: rotate: new token, switch, verify, revoke the old one, prove it is refused');
    const second = await rotate({ url: demo.url, credential, flags: { ...base, maxAgeMs: 0 }, print, now });
    print('\n# run 3: the same command from cron with --max-age 30d: nothing to do');
    const third = await rotate({ url: demo.url, credential, flags: { ...base, maxAgeMs: 30 * 86_400_000 }, print, now });
    const left = await demo.admin.getUserAccessTokensForUser(third.userId, 0, 200);
    check(left.length === 1 && left[0]!.id === third.tokenId, `@rotating-bot should hold exactly token ${third.tokenId}, it holds ${left.map((t) => t.id).join(', ') || 'none'}`);
    print(`\ndemo: 3 runs: ${[first, second, third].map((r) => r.action).join(', ')}; @rotating-bot holds exactly one token (${third.tokenId})`);
    return { runs: [first, second, third] };
  } finally {
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
    await demo.close();
  }
}

async function readSecret(file: string): Promise<string | undefined> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    return text === '' ? undefined : text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ExampleFailure(`cannot read ${file}: ${(err as Error).message}`);
  }
}

async function readState(file: string | undefined): Promise<State | undefined> {
  if (file === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    const s = parsed as Partial<State>;
    if (typeof s.token_id === 'string' && typeof s.user_id === 'string' && typeof s.rotated_at === 'string' && typeof s.name === 'string') return s as State;
    throw new Error('unexpected content');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ExampleFailure(`cannot use state file ${file}: ${(err as Error).message}`);
  }
}

/** Write `content` to `file` with mode 0600, atomically (a reader sees the old or the new file). */
async function writePrivate(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o600, flag: 'w' });
  await rename(tmp, file);
  const mode = (await stat(file)).mode & 0o777;
  check(mode === 0o600, `${file} has mode ${mode.toString(8)}, expected 600`);
}

async function rotate(args: { url: string; credential: string; flags: Flags; print: Print; now: () => number }): Promise<Rotation> {
  const { url, flags, print, now } = args;
  let admin: Client = connect(url, args.credential);
  const description = `rotated by mattermost-pat ${flags.name}`;

  // Whose token: --user, or the owner of the credential.
  const target = await attempt(() => (flags.user === 'me' ? admin.getMe() : admin.getUserByUsername(flags.user)));
  check(target.ok, `cannot read user ${flags.user}: ${outcome(target)}`);
  const user = target.value;
  const listed = await attempt(() => admin.getUserAccessTokensForUser(user.id, 0, 200));
  check(listed.ok, `cannot list the tokens of @${user.username}: ${outcome(listed)} (the credential needs read_user_access_token and the right to manage that account)`);
  const managed = listed.value.filter((t) => t.description === description);
  const state = await readState(flags.stateFile);
  const oldSecret = flags.tokenFile === undefined ? undefined : await readSecret(flags.tokenFile);
  print(`@${user.username}: ${managed.length} token(s) described "${description}"${state === undefined ? '' : `, current one ${state.token_id} (rotated ${state.rotated_at})`}`);

  // Nothing to do while the current token is young enough and still works.
  const current = state === undefined ? undefined : managed.find((t) => t.id === state.token_id && t.is_active);
  if (flags.maxAgeMs > 0 && state !== undefined && current !== undefined && oldSecret !== undefined) {
    const ageMs = now() - Date.parse(state.rotated_at);
    if (ageMs < flags.maxAgeMs) {
      const works = await attempt(() => connect(url, oldSecret).getMe());
      if (works.ok && works.value.id === user.id) {
        const leftovers = managed.filter((t) => t.id !== current.id);
        const revoked = await revokeAll(admin, leftovers, 'leftover of an interrupted run', print);
        print(`token ${current.id} is ${Math.floor(ageMs / 60_000)} min old (< --max-age) and works: nothing to do`);
        return { action: 'unchanged', userId: user.id, tokenId: current.id, revoked, tokenFile: flags.tokenFile, stateFile: flags.stateFile };
      }
      print(`token ${current.id} is young but refused (${outcome(works)}): rotating anyway`);
    }
  }

  if (flags.tokenFile === undefined && !flags.printSecret) {
    throw new ExampleFailure('the new secret would be lost: give --token-file <path> (written with mode 0600) or --print-secret', EXIT.usage);
  }

  // 1. Create the new token.
  const createdAttempt = await attempt(() => admin.createUserAccessToken(user.id, description));
  check(createdAttempt.ok, `cannot create a token for @${user.username}: ${outcome(createdAttempt)}`);
  const created: UserAccessToken = createdAttempt.value;
  const secret = secretOf(created);
  print(`created token ${created.id}`);

  // 2. Verify it before anything depends on it; a token that does not work is revoked again.
  const verified = await attempt(() => connect(url, secret).getMe());
  if (!verified.ok || verified.value.id !== user.id) {
    await attempt(() => admin.revokeUserAccessToken(created.id));
    throw new ExampleFailure(`the new token ${created.id} does not authenticate as @${user.username} (${verified.ok ? `@${verified.value.username}` : outcome(verified)}); revoked it, nothing else changed`);
  }
  print(`verified: GET /users/me with the new token -> @${verified.value.username}`);

  // 3. Switch the integration: it reads its token from this file (0600, replaced atomically).
  if (flags.tokenFile !== undefined) {
    await writePrivate(flags.tokenFile, `${secret}\n`);
    const rotatedAt = new Date(now()).toISOString();
    const newState: State = { name: flags.name, user_id: user.id, token_id: created.id, rotated_at: rotatedAt };
    if (flags.stateFile !== undefined) await writePrivate(flags.stateFile, `${JSON.stringify(newState, null, 2)}\n`);
    print(`switched: wrote the new token to ${flags.tokenFile} (mode 0600)`);
  }
  if (args.credential === oldSecret) admin = connect(url, secret); // rotating itself: keep working with the new token

  // 4. Revoke every other managed token: the old one and leftovers of interrupted runs.
  const revoked = await revokeAll(admin, managed, 'old', print);

  // 5. Prove the old secret is refused now (and the new one still works).
  if (oldSecret !== undefined && oldSecret !== secret) {
    const old = await attempt(() => connect(url, oldSecret).getMe());
    check(!old.ok && old.status === 401, `the previous token in ${flags.tokenFile} is not refused (${old.ok ? 'it still works: it is not a token this tool manages; revoke it yourself' : outcome(old)})`);
    print(`proved: the previous token is refused (${outcome(old)})`);
  }
  for (const id of revoked) {
    const gone = await attempt(() => admin.getUserAccessToken(id));
    check(!gone.ok && gone.status === 404, `revoked token ${id} still exists (${outcome(gone)})`);
  }
  const still = await attempt(() => connect(url, secret).getMe());
  check(still.ok, `the new token stopped working (${outcome(still)})`);

  if (flags.printSecret) print(`MM_TOKEN=${secret}`);
  const action = managed.length === 0 && oldSecret === undefined ? 'created' : 'rotated';
  print(`done: ${action} token ${created.id}${revoked.length > 0 ? `, revoked ${revoked.join(', ')}` : ''}`);
  return { action, userId: user.id, tokenId: created.id, revoked, tokenFile: flags.tokenFile, stateFile: flags.stateFile };
}

async function revokeAll(admin: Client, tokens: readonly UserAccessToken[], why: string, print: Print): Promise<string[]> {
  const revoked: string[] = [];
  for (const token of tokens) {
    const result = await attempt(() => admin.revokeUserAccessToken(token.id));
    // 404: already gone (another run got there first), which is what we wanted.
    if (!result.ok && result.status !== 404) throw new ExampleFailure(`cannot revoke token ${token.id}: ${outcome(result)}`);
    print(`revoked ${why} token ${token.id}${result.ok ? '' : ' (already gone)'}`);
    revoked.push(token.id);
  }
  return revoked;
}

if (isMain(import.meta.url)) runMain(() => run());
