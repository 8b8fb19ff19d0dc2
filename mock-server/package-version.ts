/**
 * The version of the installed `mattermost-pat` package, read from its package.json (found by
 * walking up from this module: `mock-server/` under tsx, `dist/mock-server/` once built).
 *
 * @example
 * ```ts
 * packageVersion(); // '0.1.0'
 * ```
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's version, or `'unknown'` when its package.json cannot be found.
 *
 * @example
 * ```ts
 * process.stdout.write(`mattermost-pat-mock ${packageVersion()}\n`);
 * ```
 */
export function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'mattermost-pat' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here: keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}
