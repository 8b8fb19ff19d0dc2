/**
 * Checks every error registry must pass (the middleware's and the mock's): each id documented in
 * docs/errors.md under its registry's heading with the exact status and message, no stale rows,
 * and each id thrown or used somewhere in the registry's source tree, not only defined.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ROW = /^\| `([^`]+)` \| (\d{3}) \| (.*) \|$/;

type Table = Readonly<Record<string, { readonly status: number; readonly message: string }>>;

export interface RegistryUnderTest {
  /** The registry as a table (e.g. `ERRORS`, `MOCK_ERRORS`). */
  readonly table: Table;
  /** Repo-relative path of the file defining it. */
  readonly file: string;
  /** Repo-relative folder whose sources must throw or use each id. */
  readonly tree: string;
}

/** The docs/errors.md table row for a registry entry. */
export function errorRow(id: string, def: { status: number; message: string }): string {
  return `| \`${id}\` | ${def.status} | ${def.message.replace(/\|/g, '\\|')} |`;
}

/** Rows of docs/errors.md under the `## ` heading that names `file`, up to the next `## `. */
export function documentedRows(file: string): Map<string, { status: number; message: string }> {
  const rows = new Map<string, { status: number; message: string }>();
  let inside = false;
  for (const raw of readFileSync(path.join(ROOT, 'docs/errors.md'), 'utf8').split('\n')) {
    const line = raw.trim();
    if (line.startsWith('## ')) inside = line.includes(`\`${file}\``);
    const m = inside ? ROW.exec(line) : null;
    if (m) rows.set(m[1], { status: Number(m[2]), message: m[3].replace(/\\\|/g, '|') });
  }
  return rows;
}

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|js|cjs|mjs)$/.test(e.name))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

/**
 * Ids of `registry` whose string literal appears nowhere in `registry.tree` except on the line
 * defining it (a shortcut such as `invalidUrlParam()` in the registry file counts as a use).
 */
export function unusedIds(registry: RegistryUnderTest): string[] {
  const texts = sources(registry.tree).map((f) => {
    const text = readFileSync(path.join(ROOT, f), 'utf8');
    // Drop the definition lines (`'id': { status…`) of the registry file, keep the rest of it.
    return f === registry.file ? text.split('\n').filter((l) => !/^\s*'[^']+':\s*\{\s*status:/.test(l)).join('\n') : text;
  });
  return Object.keys(registry.table).filter((id) => !texts.some((t) => t.includes(`'${id}'`) || t.includes(`"${id}"`)));
}

/** Mocha tests for one registry. */
export function describeRegistry(name: string, registry: RegistryUnderTest): void {
  describe(`${name} error registry`, () => {
    const rows = documentedRows(registry.file);

    it('gives every id a 4xx/5xx status and a message', () => {
      for (const [id, def] of Object.entries(registry.table)) {
        expect(def.status, id).to.be.within(400, 599);
        expect(def.message, id).to.be.a('string').and.not.equal('');
      }
    });

    it(`documents every id in docs/errors.md under \`${registry.file}\``, () => {
      const missing = Object.entries(registry.table).filter(([id]) => !rows.has(id)).map(([id, def]) => errorRow(id, def));
      expect(missing, `add these rows to docs/errors.md under ${registry.file}:\n${missing.join('\n')}\n`).to.deep.equal([]);
    });

    it('states each documented id with the registry status and message, and no id it lacks', () => {
      const wrong: string[] = [];
      for (const [id, doc] of rows) {
        const def = Object.hasOwn(registry.table, id) ? registry.table[id] : undefined;
        if (def === undefined) wrong.push(`${id}: documented under ${registry.file} but not in it`);
        else if (def.status !== doc.status || def.message !== doc.message) wrong.push(`${id}: should read ${errorRow(id, def)}`);
      }
      expect(wrong, wrong.join('\n')).to.deep.equal([]);
    });

    it(`holds only ids something under ${registry.tree} throws or uses`, () => {
      const unused = unusedIds(registry);
      expect(unused, `nothing under ${registry.tree} uses these ids; delete them from ${registry.file} and docs/errors.md`).to.deep.equal([]);
    });
  });
}
