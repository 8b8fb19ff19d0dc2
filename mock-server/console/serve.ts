/**
 * Serves the web console (`mock-server/console/app/`) at `/` and its two assets under
 * `/static/console/`. The server only serves files: the console is a client of `/api/v4`, like
 * Mattermost's webapp, and has no endpoint of its own.
 *
 * From `dist/` the bundle built by `npm run build` is read from `./static/` next to this module.
 * From the source tree (`npm start` runs `tsx`) there is no such folder: the bundle is made in
 * memory with esbuild on first request, so the console served is always the current source.
 *
 * @example
 * ```ts
 * app.use(consoleAssets());   // before the /api/v4 router
 * ```
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Koa from 'koa';
import { consoleBuildOptions } from './bundle.js';

/** URL prefix of the console's assets. */
export const CONSOLE_STATIC_PREFIX = '/static/console/';

interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

const TYPES: Record<string, string> = {
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};

/** The page allows nothing but its own origin: a stray CDN link or beacon fails loudly in the browser. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mattermost mock console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${CONSOLE_STATIC_PREFIX}console.css">
<script type="module" src="${CONSOLE_STATIC_PREFIX}console.js"></script>
</head>
<body>
<div id="app"></div>
<noscript>The console needs JavaScript. The REST API is at /api/v4.</noscript>
</body>
</html>
`;

async function readBuilt(dir: string): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  for (const name of Object.keys(TYPES)) {
    assets.set(name, { body: await readFile(`${dir}/${name}`), type: TYPES[name] ?? 'application/octet-stream' });
  }
  return assets;
}

async function bundleFromSource(): Promise<Map<string, Asset>> {
  // esbuild is a dev dependency, present wherever the source tree runs.
  const esbuild = await import('esbuild');
  const result = await esbuild.build(consoleBuildOptions({ outdir: '/console-in-memory', write: false }));
  const assets = new Map<string, Asset>();
  for (const file of result.outputFiles ?? []) {
    const name = basename(file.path);
    const type = TYPES[name];
    if (type !== undefined) assets.set(name, { body: Buffer.from(file.contents), type });
  }
  return assets;
}

/**
 * Koa middleware serving the console. Only `GET`/`HEAD` of `/` and of the assets are answered;
 * everything else goes on down the chain (to `/api/v4` and the 404 of unknown routes).
 *
 * @example
 * ```ts
 * const app = new Koa();
 * app.use(consoleAssets());
 * ```
 */
export function consoleAssets(): Koa.Middleware {
  const builtDir = fileURLToPath(new URL('./static', import.meta.url));
  let loading: Promise<Map<string, Asset>> | undefined;
  const load = () => {
    loading ??= (existsSync(`${builtDir}/console.js`) ? readBuilt(builtDir) : bundleFromSource()).catch((err: unknown) => {
      loading = undefined; // try again on the next request (e.g. after `npm run build`)
      throw err;
    });
    return loading;
  };

  return async function serveConsole(ctx, next) {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    let asset: Asset | undefined;
    if (ctx.path === '/') {
      asset = { body: Buffer.from(INDEX_HTML), type: 'text/html; charset=utf-8' };
      ctx.set('Cache-Control', 'no-store');
    } else if (ctx.path.startsWith(CONSOLE_STATIC_PREFIX)) {
      const name = ctx.path.slice(CONSOLE_STATIC_PREFIX.length);
      if (TYPES[name] === undefined) return next();
      try {
        asset = (await load()).get(name);
      } catch (err) {
        ctx.status = 503;
        ctx.type = 'text/plain; charset=utf-8';
        ctx.body = `The console is not built (${err instanceof Error ? err.message : String(err)}). Run npm run build.\n`;
        return;
      }
      if (asset === undefined) return next();
      ctx.set('Cache-Control', 'no-cache');
    } else {
      return next();
    }
    ctx.status = 200;
    ctx.set('Content-Type', asset.type);
    ctx.set('Content-Security-Policy', CSP);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.body = asset.body;
  };
}
