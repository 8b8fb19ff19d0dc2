/**
 * How the console's browser code is bundled (one definition for the build and for running from
 * source): esbuild bundles `app/main.js` (Preact + htm, no JSX, so no compile step of its own) and
 * the CSS it imports into `console.js` + `console.css`, ES2022, minified, with no external import:
 * the page needs nothing but the mock's own origin.
 *
 * @example
 * ```ts
 * const esbuild = await import('esbuild');
 * await esbuild.build(consoleBuildOptions({ outdir: 'dist/mock-server/console/static' }));
 * ```
 */
import { fileURLToPath } from 'node:url';

/** The subset of esbuild's `BuildOptions` the console uses (esbuild is a dev dependency: no type import at run time). */
export interface ConsoleBuildOptions {
  entryPoints: Record<string, string>;
  bundle: true;
  format: 'esm';
  target: string;
  minify: boolean;
  sourcemap: boolean;
  legalComments: 'none' | 'eof';
  outdir: string;
  write: boolean;
  logLevel: 'error' | 'silent';
}

/**
 * The entry file of the browser app. It exists in the source tree only (`tsc` does not copy
 * `.js` sources): `dist/` holds the built bundle instead.
 */
export const CONSOLE_ENTRY = fileURLToPath(new URL('./app/main.js', import.meta.url));

/**
 * esbuild options for the console bundle.
 *
 * @example
 * ```ts
 * const result = await esbuild.build(consoleBuildOptions({ outdir: '/unused', write: false }));
 * ```
 */
export function consoleBuildOptions(options: { outdir: string; write?: boolean }): ConsoleBuildOptions {
  return {
    entryPoints: { console: CONSOLE_ENTRY },
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    legalComments: 'eof',
    outdir: options.outdir,
    write: options.write ?? true,
    logLevel: 'error',
  };
}
