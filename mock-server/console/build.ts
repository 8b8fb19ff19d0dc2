/**
 * `npm run build` step (run from the source tree with tsx, after `tsc`): bundle the console into
 * `dist/mock-server/console/static/`, next to the compiled `serve.js` that serves it from `dist/`.
 *
 * @example
 * ```sh
 * tsc -p tsconfig.build.json && tsx mock-server/console/build.ts
 * ```
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONSOLE_ENTRY, consoleBuildOptions } from './bundle.js';

if (!existsSync(CONSOLE_ENTRY)) {
  process.stderr.write(`console build: ${CONSOLE_ENTRY} not found; run this script from the source tree (tsx mock-server/console/build.ts)\n`);
  process.exit(1);
}
const outdir = fileURLToPath(new URL('../../dist/mock-server/console/static/', import.meta.url));
// esbuild is a dev dependency: only the build and the source-tree server import it.
const esbuild = await import('esbuild');
await esbuild.build(consoleBuildOptions({ outdir }));
process.stdout.write(`console bundled into ${outdir}\n`);
