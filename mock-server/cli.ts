#!/usr/bin/env node
/**
 * `mattermost-pat-mock`: start the mock Mattermost server from the command line.
 *
 * Prints exactly one `listening on http://HOST:PORT` line on stdout (and, when the database was
 * just created, the seeded logins: passwords only for the built-in sample seed, never from a seed
 * file). SIGINT/SIGTERM flush pending writes and exit 0; so does losing the process that launched
 * it (see `parent-watch.ts`: a SIGKILLed `npm start` must not leave the server holding the lock and
 * the port). Bad flags print the usage and exit 2; a corrupt or locked database, a bad seed file
 * or a busy port print a clear message and exit 1 (the database file is left untouched).
 *
 * Every flag has an environment variable too (`MM_MOCK_PORT`, `MM_MOCK_DB`, …: the table is in
 * the usage text and docs/testing.md), for containers and CI services; a flag wins over its
 * variable. `--version` prints the package version. Output to a closed pipe (`… | head -1`) ends
 * the process quietly: writing stops, the server shuts down cleanly and exits 0.
 *
 * The webhook secret is best given in a file (`--webhook-secret-file`) or the environment
 * (`MM_MOCK_WEBHOOK_SECRET`, or `MM_PAT_WEBHOOK_SECRET` shared with the receiving service):
 * `--webhook-secret <s>` still works but shows the secret in `ps` to every local user.
 *
 * @example
 * ```sh
 * npx mattermost-pat-mock --port 8065 --db ./.mattermost-mock/db.json
 * npx mattermost-pat-mock --port 0 --in-memory --webhook http://127.0.0.1:3000/mattermost-pat/events
 * ```
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startMockServer, type MockServer, type MockServerOptions } from './index.js';
import type { OnUnhandledRequest } from './app.js';
import { packageVersion } from './package-version.js';
import { watchParents } from './parent-watch.js';

const USAGE = `usage: mattermost-pat-mock [options]

  option                  environment variable        meaning
  --port <n>              MM_MOCK_PORT                port to listen on (default 8065; 0 = any free port)
  --host <addr>           MM_MOCK_HOST                interface to bind (default 127.0.0.1)
  --db <file>             MM_MOCK_DB                  database file (default ./.mattermost-mock/db.json)
  --in-memory             MM_MOCK_IN_MEMORY=1         keep everything in memory, write no file
  --seed <file.json>      MM_MOCK_SEED                seed for a fresh database (default: built-in sample data)
  --reset                 MM_MOCK_RESET=1             discard the existing database and start from the seed
  --webhook <url>         MM_MOCK_WEBHOOK             deliver signed token/user/config events to <url>
                                                      (repeatable; the variable takes a comma-separated list)
  --webhook-secret-file <f>
                          MM_MOCK_WEBHOOK_SECRET_FILE file holding the HS256 secret for --webhook; without
                                                      one events are signed with Ed25519 (JWKS at
                                                      /.well-known/jwks.json)
  --webhook-secret <s>    MM_MOCK_WEBHOOK_SECRET      the secret itself (the flag is discouraged: visible to
                          (or MM_PAT_WEBHOOK_SECRET)  local users in ps; prefer the variable or the file)
  --webhook-wait <ms>     MM_MOCK_WEBHOOK_WAIT        wait up to <ms> for webhook delivery before answering a
                                                      request that emitted events (default 0: answer at once)
  --redis <url>           MM_MOCK_REDIS               publish hook events to the fleet's Redis Stream (docs/fleet.md)
  --developer             MM_MOCK_DEVELOPER=1         include detailed_error in error bodies
  --log                   MM_MOCK_LOG=1               echo server log lines to stderr
  --no-console            MM_MOCK_NO_CONSOLE=1        do not serve the web console at /
  --test-controls         MM_MOCK_TEST_CONTROLS=1     serve the mock-only test controls under /__mock/
                                                      (reset, clock; not Mattermost: docs/testing.md)
  --cors <origin>         MM_MOCK_CORS                answer CORS requests from <origin> (repeatable, or *;
                                                      the variable takes a comma-separated list)
  --on-unhandled-request <warn|error|off>
                          MM_MOCK_ON_UNHANDLED_REQUEST
                                                      a request no route serves: 404 + warn line (default),
                                                      501 + error line, or 404 alone
  -V, --version                                       print the version and exit
  -h, --help                                          show this help

  A flag wins over its variable. Boolean variables take 1/true/yes or 0/false/no.
`;

class UsageError extends Error {}

type FlagType = 'string' | 'boolean' | 'list';

/** Every configuration flag and its environment variable (help and version have none). */
const FLAGS = {
  port: { env: 'MM_MOCK_PORT', type: 'string' },
  host: { env: 'MM_MOCK_HOST', type: 'string' },
  db: { env: 'MM_MOCK_DB', type: 'string' },
  'in-memory': { env: 'MM_MOCK_IN_MEMORY', type: 'boolean' },
  seed: { env: 'MM_MOCK_SEED', type: 'string' },
  reset: { env: 'MM_MOCK_RESET', type: 'boolean' },
  webhook: { env: 'MM_MOCK_WEBHOOK', type: 'list' },
  'webhook-secret': { env: 'MM_MOCK_WEBHOOK_SECRET', type: 'string' },
  'webhook-secret-file': { env: 'MM_MOCK_WEBHOOK_SECRET_FILE', type: 'string' },
  'webhook-wait': { env: 'MM_MOCK_WEBHOOK_WAIT', type: 'string' },
  redis: { env: 'MM_MOCK_REDIS', type: 'string' },
  developer: { env: 'MM_MOCK_DEVELOPER', type: 'boolean' },
  log: { env: 'MM_MOCK_LOG', type: 'boolean' },
  'no-console': { env: 'MM_MOCK_NO_CONSOLE', type: 'boolean' },
  'test-controls': { env: 'MM_MOCK_TEST_CONTROLS', type: 'boolean' },
  cors: { env: 'MM_MOCK_CORS', type: 'list' },
  'on-unhandled-request': { env: 'MM_MOCK_ON_UNHANDLED_REQUEST', type: 'string' },
} as const satisfies Record<string, { env: string; type: FlagType }>;

type FlagName = keyof typeof FLAGS;
type Value = string | boolean | string[];

/** Flags that configure one thing together: a flag of the group overrides the group's variables. */
const GROUPS: readonly (readonly FlagName[])[] = [['db', 'in-memory'], ['webhook-secret', 'webhook-secret-file']];

/** Environment variables read besides {@link FLAGS}: the secret shared with the receiving service. */
const SHARED_SECRET_ENV = 'MM_PAT_WEBHOOK_SECRET';

function envBoolean(name: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (v === '1' || v === 'true' || v === 'yes' || v === 'on') return true;
  if (v === '' || v === '0' || v === 'false' || v === 'no' || v === 'off') return false;
  throw new UsageError(`${name} must be 1/true/yes or 0/false/no, got "${raw}"`);
}

/** The configuration in the environment, by flag name (unset and empty variables are absent). */
function fromEnv(env: NodeJS.ProcessEnv): Map<FlagName, Value> {
  const values = new Map<FlagName, Value>();
  for (const [flag, { env: name, type }] of Object.entries(FLAGS) as [FlagName, { env: string; type: FlagType }][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (type === 'boolean') values.set(flag, envBoolean(name, raw));
    else if (type === 'list') values.set(flag, raw.split(',').map((item) => item.trim()).filter((item) => item !== ''));
    else values.set(flag, raw);
  }
  if (!values.has('webhook-secret') && env[SHARED_SECRET_ENV]) values.set('webhook-secret', env[SHARED_SECRET_ENV]);
  return values;
}

/** Parse argv and the environment into server options (throws UsageError). */
function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): MockServerOptions | 'help' | 'version' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(Object.entries(FLAGS).map(([flag, { type }]) => [flag, type === 'list' ? { type: 'string', multiple: true } : { type }])),
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      } as Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>,
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const flags = parsed.values as Partial<Record<FlagName | 'help' | 'version', Value>>;
  if (flags.help === true) return 'help';
  if (flags.version === true) return 'version';
  const envValues = fromEnv(env);
  for (const group of GROUPS) {
    if (group.some((flag) => flags[flag] !== undefined)) for (const flag of group) envValues.delete(flag);
  }
  /** Where a value came from, for the error message: the flag or its variable. */
  const source = (flag: FlagName) => (flags[flag] !== undefined ? `--${flag}` : FLAGS[flag].env);
  const get = (flag: FlagName): Value | undefined => flags[flag] ?? envValues.get(flag);
  const str = (flag: FlagName) => get(flag) as string | undefined;
  const bool = (flag: FlagName) => get(flag) === true;
  const list = (flag: FlagName) => (get(flag) as string[] | undefined) ?? [];

  const options: MockServerOptions = {};
  const port = str('port');
  if (port !== undefined) {
    if (!/^\d+$/.test(port) || Number(port) > 65535) throw new UsageError(`${source('port')} must be an integer from 0 to 65535, got "${port}"`);
    options.port = Number(port);
  }
  const host = str('host');
  if (host !== undefined) {
    if (host === '') throw new UsageError('--host must not be empty');
    options.host = host;
  }
  const db = str('db');
  if (db !== undefined) {
    if (db === '') throw new UsageError('--db must not be empty');
    options.dbFile = db;
  }
  if (bool('in-memory') && db !== undefined) {
    throw new UsageError(`${source('in-memory')} and ${source('db')} exclude each other`);
  }
  // The CLI keeps its documented persistent default (./.mattermost-mock/db.json).
  options.inMemory = bool('in-memory');
  const seed = str('seed');
  if (seed !== undefined) options.seed = seed;
  options.reset = bool('reset');
  const webhooks = list('webhook');
  for (const url of webhooks) {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new UsageError(`${source('webhook')} must be an http(s) URL, got "${url}"`);
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new UsageError(`${source('webhook')} must be an http(s) URL, got "${url}"`);
  }
  options.webhooks = webhooks;
  const secret = webhookSecret(str('webhook-secret'), str('webhook-secret-file'), source);
  if (secret !== undefined && secret !== '') {
    if (Buffer.byteLength(secret) < 32) throw new UsageError('--webhook-secret must be at least 32 bytes');
    options.webhookSecret = secret;
  }
  const redis = str('redis');
  if (redis !== undefined) {
    if (!/^rediss?:\/\/./.test(redis)) throw new UsageError(`${source('redis')} must be a redis:// or rediss:// URL, got "${redis}"`);
    options.redis = redis;
  }
  const wait = str('webhook-wait');
  if (wait !== undefined) {
    if (!/^\d+$/.test(wait)) throw new UsageError(`${source('webhook-wait')} must be a whole number of milliseconds, got "${wait}"`);
    options.webhookWaitMs = Number(wait);
  }
  options.developerMode = bool('developer');
  options.logToConsole = bool('log');
  options.console = !bool('no-console');
  options.testControls = bool('test-controls');
  const origins = list('cors');
  for (const origin of origins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) throw new UsageError(`${source('cors')} must be * or an origin such as http://localhost:5173, got "${origin}"`);
  }
  if (origins.length > 0) options.cors = { origin: origins };
  const unhandled = str('on-unhandled-request');
  if (unhandled !== undefined) {
    if (unhandled !== 'warn' && unhandled !== 'error' && unhandled !== 'off') throw new UsageError(`${source('on-unhandled-request')} must be warn, error or off, got "${unhandled}"`);
    options.onUnhandledRequest = unhandled satisfies OnUnhandledRequest;
  }
  return options;
}

/** The secret itself, else the file's content (one trailing newline dropped). */
function webhookSecret(secret: string | undefined, file: string | undefined, source: (flag: FlagName) => string): string | undefined {
  if (secret !== undefined && file !== undefined) throw new UsageError(`${source('webhook-secret')} and ${source('webhook-secret-file')} exclude each other`);
  if (file === undefined) return secret;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${source('webhook-secret-file')}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const fromFile = text.replace(/\r?\n$/, '');
  if (fromFile === '') throw new UsageError(`${source('webhook-secret-file')}: ${file} is empty`);
  return fromFile;
}

/**
 * Output to a closed pipe (`mattermost-pat-mock | head -1`): stop writing and shut down quietly,
 * instead of Node's EPIPE stack trace. `onClosed` runs once, for the first stream that breaks.
 */
function quietOnClosedPipe(onClosed: () => void): { write(stream: 'stdout' | 'stderr', text: string): void } {
  const broken = { stdout: false, stderr: false };
  let notified = false;
  for (const name of ['stdout', 'stderr'] as const) {
    process[name].on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
      broken[name] = true;
      if (!notified) {
        notified = true;
        onClosed();
      }
    });
  }
  return {
    write(stream, text) {
      if (!broken[stream] && !process[stream].destroyed) process[stream].write(text);
    },
  };
}

async function main(): Promise<void> {
  let stop: (reason: string) => void = () => process.exit(0);
  const out = quietOnClosedPipe(() => stop('closed output'));
  let options: MockServerOptions | 'help' | 'version';
  try {
    options = parseCli(process.argv.slice(2));
  } catch (err) {
    out.write('stderr', `mattermost-pat-mock: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options === 'help') {
    out.write('stdout', USAGE);
    return;
  }
  if (options === 'version') {
    out.write('stdout', `${packageVersion()}\n`);
    return;
  }
  let mock: MockServer;
  try {
    mock = await startMockServer(options);
  } catch (err) {
    out.write('stderr', `mattermost-pat-mock: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  let stopping = false;
  stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    mock.close().then(
      () => process.exit(0),
      (err: unknown) => {
        out.write('stderr', `mattermost-pat-mock: error while stopping on ${reason}: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Also the signals a dying terminal or wrapper sends.
  process.on('SIGHUP', () => stop('SIGHUP'));
  watchParents({
    onOrphaned(reason) {
      out.write('stderr', `mattermost-pat-mock: ${reason}: shutting down\n`);
      stop('orphaning');
    },
  });
  // Announce only once the signal handlers are in place: a supervisor may signal right after the line.
  out.write('stdout', `listening on ${mock.url}\n`);
  if (mock.fresh) {
    // The built-in sample passwords are public (README); a seed file's are the user's secrets.
    const sample = typeof options.seed !== 'string';
    for (const u of Object.values(mock.seeded.users)) {
      out.write('stdout', sample ? `seeded login: ${u.username} / ${u.password} (${u.roles})\n` : `seeded login: ${u.username} (${u.roles})\n`);
    }
  }
}

void main();
