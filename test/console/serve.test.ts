/**
 * How the mock serves the console: `/` and two assets under `/static/console/`, with a CSP that
 * allows only the page's own origin; off with `console: false` and `--no-console`, where `/`
 * answers Mattermost's 404 body as any unknown route does. The built `dist/` serves the bundle
 * made by `npm run build` (no esbuild at run time); the source tree bundles in memory.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MockServer } from '../../mock-server/index.js';
import { startMockServer, withFastSeedPasswords } from '../support/fast-seed-mock.js';

const CLI = fileURLToPath(new URL('../../mock-server/cli.ts', import.meta.url));
const DIST_INDEX = fileURLToPath(new URL('../../dist/mock-server/index.js', import.meta.url));

describe('console: served by the mock', function () {
  this.timeout(30_000);
  let mock: MockServer | undefined;
  afterEach(async () => {
    await mock?.close();
    mock = undefined;
  });

  it('serves / and its assets from the source tree, same origin only', async () => {
    mock = await startMockServer({ port: 0, inMemory: true });
    const page = await fetch(`${mock.url}/`);
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).to.contain("default-src 'none'").and.contain("connect-src 'self'").and.contain("script-src 'self'");
    const html = await page.text();
    expect(html).to.contain('/static/console/console.js').and.contain('/static/console/console.css');
    expect(html, 'no absolute URL to another host').not.to.match(/(src|href)="(https?:)?\/\//);

    const js = await fetch(`${mock.url}/static/console/console.js`);
    expect(js.status).to.equal(200);
    expect(js.headers.get('content-type')).to.equal('text/javascript; charset=utf-8');
    const code = await js.text();
    expect(code).to.contain('/api/v4').and.contain('X-Requested-With');
    expect(code, 'the bundle imports nothing from elsewhere').not.to.match(/\bimport\s*\(?\s*["']https?:/);
    const css = await fetch(`${mock.url}/static/console/console.css`);
    expect(css.status).to.equal(200);
    expect(css.headers.get('content-type')).to.equal('text/css; charset=utf-8');
    expect(await css.text()).not.to.match(/url\(\s*["']?https?:/);

    const unknown = await fetch(`${mock.url}/static/console/other.js`);
    expect(unknown.status).to.equal(404);
    expect(((await unknown.json()) as { id: string }).id).to.equal('api.context.404.app_error');
    const post = await fetch(`${mock.url}/`, { method: 'POST' });
    expect(post.status, 'only GET and HEAD are served').to.equal(404);
  });

  it('console: false: / is the API\'s 404 and the API still answers', async () => {
    mock = await startMockServer({ port: 0, inMemory: true, console: false });
    const page = await fetch(`${mock.url}/`);
    expect(page.status).to.equal(404);
    expect(((await page.json()) as { id: string }).id).to.equal('api.context.404.app_error');
    expect((await fetch(`${mock.url}/static/console/console.js`)).status).to.equal(404);
    expect((await fetch(`${mock.url}/api/v4/system/ping`)).status).to.equal(200);
  });

  it('dist/ serves the bundle built by npm run build', async function () {
    if (!existsSync(DIST_INDEX)) throw new Error('dist/ is missing: run npm run build first');
    const dist = (await import(DIST_INDEX)) as typeof import('../../mock-server/index.js');
    mock = await dist.startMockServer(withFastSeedPasswords({ port: 0, inMemory: true }));
    const js = await fetch(`${mock.url}/static/console/console.js`);
    expect(js.status).to.equal(200);
    expect(await js.text()).to.contain('/api/v4');
  });

  it('the CLI\'s --no-console turns it off', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--port', '0', '--in-memory', '--no-console'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          const match = /listening on (http:\/\/\S+)\n/.exec(out);
          if (match?.[1] !== undefined) resolve(match[1]);
        });
        child.on('exit', (code) => reject(new Error(`CLI exited with ${String(code)}`)));
      });
      expect((await fetch(`${url}/`)).status).to.equal(404);
      expect((await fetch(`${url}/api/v4/system/ping`)).status).to.equal(200);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
