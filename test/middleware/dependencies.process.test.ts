/**
 * The middleware is a library: importing an entry must not load the mock server or the packages
 * only the mock (lowdb, @koa/router, ws, valibot, busboy, koa-bodyparser) or only the events entry
 * (jose; valibot for the signed-event payload schemas) need, and only mattermost-pat/fleet loads ioredis (an optional peer dependency). Each entry is imported in a fresh Node process whose loader hooks record every
 * module it resolves.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REGISTER = fileURLToPath(new URL('./support/record-loads-register.mjs', import.meta.url));

/** Packages and folders no middleware entry may load. */
const MOCK_ONLY = ['node_modules/lowdb/', 'node_modules/@koa/router/', 'node_modules/ws/', 'node_modules/valibot/', 'node_modules/busboy/', 'node_modules/koa-bodyparser/', 'mock-server/'];
const JOSE = 'node_modules/jose/';
/** ioredis is an optional peer dependency: only mattermost-pat/fleet may load it. */
const IOREDIS = 'node_modules/ioredis/';
const VALIBOT = 'node_modules/valibot/';

/** Import `entry` (repo-relative source file) in a fresh process; the module URLs it resolved. */
async function modulesLoadedBy(entry: string): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mmpat-loads-'));
  const out = path.join(dir, 'loads.txt');
  try {
    const url = pathToFileURL(path.join(ROOT, entry)).href;
    const { stdout } = await run(process.execPath, [
      '--import', 'tsx', '--import', REGISTER, '--input-type=module',
      '-e', `const m = await import(${JSON.stringify(url)}); console.log(Object.keys(m).length);`,
    ], { cwd: ROOT, env: { ...process.env, RECORD_LOADS_OUT: out } });
    expect(Number(stdout.trim()), `${entry} exports something`).to.be.greaterThan(0);
    return [...new Set(readFileSync(out, 'utf8').split('\n').filter((l) => l !== ''))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The recorded URLs (real paths: node_modules is a symlink) that fall under one of `patterns`. */
function offending(urls: readonly string[], patterns: readonly string[]): string[] {
  const repo = pathToFileURL(ROOT).href;
  return urls.filter((u) => patterns.some((p) => u.includes(`/${p}`) && (p !== 'mock-server/' || u.startsWith(`${repo}mock-server/`))));
}

describe('middleware dependencies', function () {
  this.timeout(60_000);

  it('the recorder sees what an entry loads (the mock server loads lowdb and @koa/router)', async () => {
    const urls = await modulesLoadedBy('mock-server/index.ts');
    expect(offending(urls, ['node_modules/lowdb/'])).to.not.deep.equal([]);
    expect(offending(urls, ['node_modules/@koa/router/'])).to.not.deep.equal([]);
    expect(urls.some((u) => u.endsWith('/middleware/index.ts') || u.includes('/middleware/'))).to.equal(true);
  });

  it('mattermost-pat loads neither the mock nor its packages, nor jose', async () => {
    const urls = await modulesLoadedBy('middleware/index.ts');
    expect(urls.some((u) => u.endsWith('/middleware/auth/authenticate.ts'))).to.equal(true);
    expect(offending(urls, [...MOCK_ONLY, JOSE, IOREDIS])).to.deep.equal([]);
    expect(urls.filter((u) => u.includes('/middleware/events/') || u.includes('/middleware/remote/'))).to.deep.equal([]);
  });

  it('mattermost-pat/remote loads neither the mock nor its packages, nor jose', async () => {
    const urls = await modulesLoadedBy('middleware/remote/index.ts');
    expect(urls.some((u) => u.endsWith('/middleware/remote/remote-resolver.ts'))).to.equal(true);
    expect(offending(urls, [...MOCK_ONLY, JOSE, IOREDIS])).to.deep.equal([]);
  });

  it('mattermost-pat/watch loads ws, but not the mock, its other packages, jose or ioredis', async () => {
    const urls = await modulesLoadedBy('middleware/watch/index.ts');
    expect(offending(urls, ['node_modules/ws/'])).to.not.deep.equal([]);
    expect(offending(urls, [...MOCK_ONLY.filter((p) => p !== 'node_modules/ws/'), JOSE, IOREDIS])).to.deep.equal([]);
  });

  it('mattermost-pat/fleet loads ioredis (and valibot: it checks event payloads with their schemas), but not the mock, its other packages or jose', async () => {
    const urls = await modulesLoadedBy('middleware/fleet/index.ts');
    expect(offending(urls, [IOREDIS])).to.not.deep.equal([]);
    expect(offending(urls, [...MOCK_ONLY.filter((p) => p !== VALIBOT), JOSE])).to.deep.equal([]);
  });

  it('mattermost-pat/events loads jose and valibot (payload schemas) but not the mock or its other packages', async () => {
    const urls = await modulesLoadedBy('middleware/events/index.ts');
    expect(offending(urls, [JOSE])).to.not.deep.equal([]);
    expect(offending(urls, [VALIBOT])).to.not.deep.equal([]);
    expect(offending(urls, [...MOCK_ONLY.filter((p) => p !== VALIBOT), IOREDIS])).to.deep.equal([]);
  });
});
