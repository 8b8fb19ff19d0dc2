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
import { watchParents } from './parent-watch.js';

const USAGE = `usage: mattermost-pat-mock [options]

  --port <n>              port to listen on (default 8065; 0 = any free port)
  --host <addr>           interface to bind (default 127.0.0.1)
  --db <file>             database file (default ./.mattermost-mock/db.json)
  --in-memory             keep everything in memory, write no file
  --seed <file.json>      seed for a fresh database (default: built-in sample data)
  --reset                 discard the existing database and start from the seed
  --webhook <url>         deliver signed token/user/config events to <url> (repeatable)
  --webhook-secret-file <f>
                          file holding the HS256 secret for --webhook (or env
                          MM_MOCK_WEBHOOK_SECRET / MM_PAT_WEBHOOK_SECRET); without one events
                          are signed with Ed25519 (JWKS at /.well-known/jwks.json)
  --webhook-secret <s>    the secret itself (discouraged: visible to local users in ps)
  --webhook-wait <ms>     wait up to <ms> for webhook delivery before answering a request
                          that emitted events (default 0: answer at once)
  --redis <url>           publish hook events to the fleet's Redis Stream (docs/fleet.md)
  --developer             include detailed_error in error bodies
  --log                   echo server log lines to stderr
  --no-console            do not serve the web console at /
  -h, --help              show this help
`;

class UsageError extends Error {}

/** Parse argv into server options (throws UsageError). */
function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): MockServerOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        db: { type: 'string' },
        'in-memory': { type: 'boolean' },
        seed: { type: 'string' },
        reset: { type: 'boolean' },
        webhook: { type: 'string', multiple: true },
        'webhook-secret': { type: 'string' },
        'webhook-secret-file': { type: 'string' },
        'webhook-wait': { type: 'string' },
        redis: { type: 'string' },
        developer: { type: 'boolean' },
        log: { type: 'boolean' },
        'no-console': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return 'help';
  const options: MockServerOptions = {};
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port) || Number(values.port) > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, got "${values.port}"`);
    options.port = Number(values.port);
  }
  if (values.host !== undefined) {
    if (values.host === '') throw new UsageError('--host must not be empty');
    options.host = values.host;
  }
  if (values.db !== undefined) {
    if (values.db === '') throw new UsageError('--db must not be empty');
    options.dbFile = values.db;
  }
  if (values['in-memory'] && values.db !== undefined) throw new UsageError('--in-memory and --db exclude each other');
  options.inMemory = values['in-memory'] === true;
  if (values.seed !== undefined) options.seed = values.seed;
  options.reset = values.reset === true;
  const webhooks = values.webhook ?? [];
  for (const url of webhooks) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UsageError(`--webhook must be an http(s) URL, got "${url}"`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`--webhook must be an http(s) URL, got "${url}"`);
  }
  options.webhooks = webhooks;
  const secret = webhookSecret(values['webhook-secret'], values['webhook-secret-file'], env);
  if (secret !== undefined && secret !== '') {
    if (Buffer.byteLength(secret) < 32) throw new UsageError('--webhook-secret must be at least 32 bytes');
    options.webhookSecret = secret;
  }
  if (values.redis !== undefined) {
    if (!/^rediss?:\/\/./.test(values.redis)) throw new UsageError(`--redis must be a redis:// or rediss:// URL, got "${values.redis}"`);
    options.redis = values.redis;
  }
  if (values['webhook-wait'] !== undefined) {
    if (!/^\d+$/.test(values['webhook-wait'])) throw new UsageError(`--webhook-wait must be a whole number of milliseconds, got "${values['webhook-wait']}"`);
    options.webhookWaitMs = Number(values['webhook-wait']);
  }
  options.developerMode = values.developer === true;
  options.logToConsole = values.log === true;
  options.console = values['no-console'] !== true;
  return options;
}

/** The secret from the flag, else the file (one trailing newline dropped), else the environment. */
function webhookSecret(flag: string | undefined, file: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (flag !== undefined && file !== undefined) throw new UsageError('--webhook-secret and --webhook-secret-file exclude each other');
  if (flag !== undefined) return flag;
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`--webhook-secret-file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    const secret = text.replace(/\r?\n$/, '');
    if (secret === '') throw new UsageError(`--webhook-secret-file: ${file} is empty`);
    return secret;
  }
  return env.MM_MOCK_WEBHOOK_SECRET || env.MM_PAT_WEBHOOK_SECRET;
}

async function main(): Promise<void> {
  let options: MockServerOptions | 'help';
  try {
    options = parseCli(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`mattermost-pat-mock: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  let mock: MockServer;
  try {
    mock = await startMockServer(options);
  } catch (err) {
    process.stderr.write(`mattermost-pat-mock: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    mock.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`mattermost-pat-mock: error while stopping on ${signal}: ${err instanceof Error ? err.message : String(err)}\n`);
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
      process.stderr.write(`mattermost-pat-mock: ${reason}: shutting down\n`);
      stop('orphaning');
    },
  });
  // Announce only once the signal handlers are in place: a supervisor may signal right after the line.
  process.stdout.write(`listening on ${mock.url}\n`);
  if (mock.fresh) {
    // The built-in sample passwords are public (README); a seed file's are the user's secrets.
    const sample = typeof options.seed !== 'string';
    for (const u of Object.values(mock.seeded.users)) {
      process.stdout.write(sample ? `seeded login: ${u.username} / ${u.password} (${u.roles})\n` : `seeded login: ${u.username} (${u.roles})\n`);
    }
  }
}

void main();
