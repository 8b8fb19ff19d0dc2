import { expect } from 'chai';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../examples/rotate-token.js';
import { ExampleFailure } from '../../examples/lib/cli.js';
import { connect, login, secretOf, type Client } from '../../examples/lib/client.js';
import type { MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';
import { bareEnv, collector, runExample } from './support/run-example.js';

const DESCRIPTION = 'rotated by mattermost-pat integration';

/** Record every token secret the server hands out (create answers), whoever asked for it. */
function recordSecrets(): { secrets: string[]; restore: () => void } {
  const original = globalThis.fetch;
  const secrets: string[] = [];
  globalThis.fetch = async (input, init) => {
    const res = await original(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (/\/api\/v4\/users\/[a-z0-9]+\/tokens$/.test(url) && (init?.method ?? 'GET').toUpperCase() === 'POST' && res.ok) {
      const body = await res.clone().json() as { token?: string };
      if (typeof body.token === 'string') secrets.push(body.token);
    }
    return res;
  };
  return { secrets, restore: () => { globalThis.fetch = original; } };
}

const failureOf = async (promise: Promise<unknown>): Promise<ExampleFailure> => {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).to.be.instanceOf(ExampleFailure);
  return err as ExampleFailure;
};

describe('examples/rotate-token', () => {
  let mock: MockServer;
  let admin: Client;
  let dir: string;

  beforeEach(async () => {
    mock = await startMockServer({ port: 0, inMemory: true });
    admin = await login(mock.url, mock.seeded.sysadmin.username, mock.seeded.sysadmin.password);
    dir = await mkdtemp(join(tmpdir(), 'rotate-test-'));
  });
  afterEach(async () => {
    await mock.close();
    await rm(dir, { recursive: true, force: true });
  });

  const tokensOf = (userId: string) => mock.store.findMany('tokens', 'user_id', userId);
  const meWith = async (secret: string) => {
    try {
      return (await connect(mock.url, secret).getMe()).username;
    } catch (err) {
      return (err as { status_code: number }).status_code;
    }
  };

  it('demo: creates, rotates (old refused) and leaves a young token alone; never prints a secret', async () => {
    const spy = recordSecrets();
    const out = collector();
    const tokenFile = join(dir, 'bot.token');
    let result;
    try {
      result = await run({ argv: ['--token-file', tokenFile], env: {}, print: out.print, server: mock });
    } finally {
      spy.restore();
    }
    expect(result.runs.map((r) => r.action)).to.deep.equal(['created', 'rotated', 'unchanged']);
    const [first, second, third] = result.runs;
    const bot = mock.store.findOne('users', 'username', 'rotating-bot')!;
    // On the server: only the rotated token is left; the first one is gone.
    expect(tokensOf(bot.id).map((t) => [t.id, t.description])).to.deep.equal([[second!.tokenId, DESCRIPTION]]);
    expect(mock.store.get('tokens', first!.tokenId)).to.equal(undefined);
    expect(second!.revoked).to.deep.equal([first!.tokenId]);
    expect(third!.tokenId).to.equal(second!.tokenId);
    expect(third!.revoked).to.deep.equal([]);
    // The token file holds a working secret of the bot, mode 0600; the first secret is refused.
    expect(spy.secrets).to.have.lengthOf(2);
    const secret = (await readFile(tokenFile, 'utf8')).trim();
    expect(secret).to.equal(spy.secrets[1]);
    expect((await stat(tokenFile)).mode & 0o777).to.equal(0o600);
    expect(await meWith(secret)).to.equal('rotating-bot');
    expect(await meWith(spy.secrets[0]!)).to.equal(401);
    const state = JSON.parse(await readFile(`${tokenFile}.state.json`, 'utf8')) as Record<string, unknown>;
    expect(state).to.include({ name: 'integration', user_id: bot.id, token_id: second!.tokenId });
    expect((await stat(`${tokenFile}.state.json`)).mode & 0o777).to.equal(0o600);

    const text = out.text();
    for (const s of spy.secrets) expect(text).to.not.include(s);
    expect(text).to.include(`revoked old token ${first!.tokenId}`);
    expect(text).to.include('proved: the previous token is refused (401 api.context.session_expired.app_error)');
    expect(text).to.match(/is 0 min old \(< --max-age\) and works: nothing to do/);
  });

  describe('against MM_URL with an admin MM_TOKEN', () => {
    let botId: string;
    let env: Record<string, string>;
    let tokenFile: string;
    const t0 = Date.parse('2026-01-01T00:00:00Z');

    beforeEach(async () => {
      await admin.patchConfig({ ServiceSettings: { EnableBotAccountCreation: true } });
      botId = (await admin.createBot({ username: 'cron-bot', display_name: 'cron' })).user_id;
      env = { MM_URL: mock.url, MM_TOKEN: admin.getToken() };
      tokenFile = join(dir, 'cron.token');
    });

    const rotateAt = (now: number, extra: string[] = []) => run({ argv: ['--user', 'cron-bot', '--token-file', tokenFile, ...extra], env, print: () => {}, now: () => now });

    it('--max-age: does nothing while the token is young, rotates once it is older', async () => {
      const created = (await rotateAt(t0, ['--max-age', '1h'])).runs[0]!;
      expect(created.action).to.equal('created');
      const secret1 = (await readFile(tokenFile, 'utf8')).trim();
      const same = (await rotateAt(t0 + 59 * 60_000, ['--max-age', '1h'])).runs[0]!;
      expect(same).to.include({ action: 'unchanged', tokenId: created.tokenId });
      expect((await readFile(tokenFile, 'utf8')).trim()).to.equal(secret1);
      expect(tokensOf(botId)).to.have.lengthOf(1);

      const rotated = (await rotateAt(t0 + 61 * 60_000, ['--max-age', '1h'])).runs[0]!;
      expect(rotated.action).to.equal('rotated');
      expect(rotated.revoked).to.deep.equal([created.tokenId]);
      expect(tokensOf(botId).map((t) => t.id)).to.deep.equal([rotated.tokenId]);
      expect(await meWith(secret1)).to.equal(401);
      expect(await meWith((await readFile(tokenFile, 'utf8')).trim())).to.equal('cron-bot');
    });

    it('revokes leftovers of an interrupted run, and leaves other tokens of the account alone', async () => {
      await rotateAt(t0);
      const leftover = await admin.createUserAccessToken(botId, DESCRIPTION); // created, never written anywhere
      const other = await admin.createUserAccessToken(botId, 'something else');
      const young = (await rotateAt(t0 + 1000, ['--max-age', '1d'])).runs[0]!;
      expect(young.action).to.equal('unchanged');
      expect(young.revoked).to.deep.equal([leftover.id]);
      expect(tokensOf(botId).map((t) => t.id).sort()).to.deep.equal([young.tokenId, other.id].sort());
      expect(await meWith(secretOf(other))).to.equal('cron-bot');
    });

    it('a young token that is refused (revoked behind its back) is rotated anyway', async () => {
      const first = (await rotateAt(t0)).runs[0]!;
      await admin.revokeUserAccessToken(first.tokenId);
      const next = (await rotateAt(t0 + 1000, ['--max-age', '1d'])).runs[0]!;
      expect(next.action).to.equal('rotated');
      expect(await meWith((await readFile(tokenFile, 'utf8')).trim())).to.equal('cron-bot');
    });

    it('--print-secret prints the new secret (and only then)', async () => {
      const out = collector();
      await run({ argv: ['--user', 'cron-bot', '--print-secret'], env, print: out.print });
      const line = out.lines.find((l) => l.startsWith('MM_TOKEN='));
      expect(line).to.match(/^MM_TOKEN=[a-z0-9]{26}$/);
      expect(await meWith(line!.slice('MM_TOKEN='.length))).to.equal('cron-bot');
    });

    it('exit 1 when the token in the file is not managed by the tool (it still works after the run)', async () => {
      const unmanaged = await admin.createUserAccessToken(botId, 'hand-made');
      await writeFile(tokenFile, `${secretOf(unmanaged)}\n`, { mode: 0o600 });
      const err = await failureOf(rotateAt(t0));
      expect(err.exitCode).to.equal(1);
      expect(err.message).to.equal(`the previous token in ${tokenFile} is not refused (it still works: it is not a token this tool manages; revoke it yourself)`);
      expect(err.message).to.not.include(secretOf(unmanaged));
    });

    it('exit 1 when the new token does not work (account deactivated): the new token is revoked, the file untouched', async () => {
      await rotateAt(t0);
      const before = await readFile(tokenFile, 'utf8');
      const ids = tokensOf(botId).map((t) => t.id);
      await admin.updateUserActive(botId, false);
      const err = await failureOf(rotateAt(t0 + 1000));
      expect(err.exitCode).to.equal(1);
      expect(err.message).to.match(/^the new token [a-z0-9]{26} does not authenticate as @cron-bot \(401 api\.context\.session_expired\.app_error\); revoked it, nothing else changed$/);
      expect(tokensOf(botId).map((t) => t.id)).to.deep.equal(ids);
      expect(await readFile(tokenFile, 'utf8')).to.equal(before);
    });

    it('exit 2 for usage errors, before anything is created', async () => {
      for (const [argv, message] of [
        [['--bogus'], /Unknown option '--bogus'/],
        [['--max-age', '5x'], /--max-age must be 0 or a number/],
        [['--user', 'cron-bot'], /the new secret would be lost: give --token-file/],
      ] as const) {
        const err = await failureOf(run({ argv, env, print: () => {} }));
        expect(err.exitCode, argv.join(' ')).to.equal(2);
        expect(err.message).to.match(message);
      }
      expect(tokensOf(botId)).to.deep.equal([]);
      expect((await failureOf(run({ argv: [], env: { MM_URL: mock.url }, print: () => {} }))).exitCode).to.equal(2);
    });
  });

  it('an integration rotates itself: MM_URL and --token-file, no MM_TOKEN', async () => {
    const userId = mock.seeded.user1.id;
    await admin.updateUserRoles(userId, 'system_user system_user_access_token');
    const tokenFile = join(dir, 'self.token');
    const initial = await admin.createUserAccessToken(userId, DESCRIPTION);
    await writeFile(tokenFile, `${secretOf(initial)}\n`, { mode: 0o600 });
    const out = collector();
    const result = await run({ argv: ['--token-file', tokenFile], env: { MM_URL: mock.url }, print: out.print });
    const [rotation] = result.runs;
    expect(rotation).to.include({ action: 'rotated', userId });
    expect(rotation!.revoked).to.deep.equal([initial.id]);
    expect(await meWith(secretOf(initial))).to.equal(401);
    const next = (await readFile(tokenFile, 'utf8')).trim();
    expect(await meWith(next)).to.equal('user-1');
    expect(tokensOf(userId).map((t) => t.id)).to.deep.equal([rotation!.tokenId]);
    expect(out.text()).to.not.include(next);
    expect(out.text()).to.not.include(secretOf(initial));
  });

  it('as a process with no environment: runs the demo and exits 0', async () => {
    const res = await runExample('rotate-token');
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stderr).to.equal('');
    expect(res.stdout).to.match(/^revoked old token [a-z0-9]{26}$/m);
    expect(res.stdout).to.include('proved: the previous token is refused (401 api.context.session_expired.app_error)');
    expect(res.stdout).to.match(/^token [a-z0-9]{26} is 0 min old \(< --max-age\) and works: nothing to do$/m);
    expect(res.stdout.trimEnd().split('\n').at(-1)).to.match(/^demo: 3 runs: created, rotated, unchanged; @rotating-bot holds exactly one token \([a-z0-9]{26}\)$/);
  });

  it('as a process with --token-file: the file is 0600 and its secret is not in the output', async () => {
    const tokenFile = join(dir, 'spawned.token');
    const res = await runExample('rotate-token', ['--token-file', tokenFile]);
    expect(res.code, res.stderr).to.equal(0);
    const secret = (await readFile(tokenFile, 'utf8')).trim();
    expect(secret).to.match(/^[a-z0-9]{26}$/);
    expect((await stat(tokenFile)).mode & 0o777).to.equal(0o600);
    expect(res.stdout + res.stderr).to.not.include(secret);
    expect(res.stdout).to.include(`switched: wrote the new token to ${tokenFile} (mode 0600)`);
  });

  it('as a process with a bad flag: exits 2 with one line', async () => {
    const res = await runExample('rotate-token', ['--max-age', 'soon'], bareEnv());
    expect(res.code).to.equal(2);
    expect(res.stdout).to.equal('');
    expect(res.stderr).to.equal('error: --max-age must be 0 or a number with s, m, h or d, got "soon"\n');
  });
});
