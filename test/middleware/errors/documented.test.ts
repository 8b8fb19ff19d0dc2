/**
 * fastify-style: every error id in the registry must be documented (docs/errors.md, with its exact
 * status and message, or at least mentioned in the README), and the docs must not list ids
 * the registry no longer has. On failure the message contains the rows to paste.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ERRORS } from '../../../middleware/errors/registry.js';

const ROW = /^\| `([^`]+)` \| (\d{3}) \| (.*) \|$/;

/** The docs/errors.md table row for a registry entry. */
function errorRow(id: string, def: { status: number; message: string }): string {
  return `| \`${id}\` | ${def.status} | ${def.message.replace(/\|/g, '\\|')} |`;
}

function read(path: string): string {
  return readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
}

describe('error registry documentation', () => {
  const errorsDoc = read('docs/errors.md');
  const readme = read('README.md');
  const rows = new Map<string, { status: number; message: string }>();
  for (const line of errorsDoc.split('\n')) {
    const m = ROW.exec(line.trim());
    if (m) rows.set(m[1], { status: Number(m[2]), message: m[3].replace(/\\\|/g, '|') });
  }

  it('documents every registry id (docs/errors.md with status and message, or the README)', () => {
    const missing = Object.entries(ERRORS)
      .filter(([id]) => !rows.has(id) && !readme.includes(`\`${id}\``))
      .map(([id, def]) => errorRow(id, def));
    expect(missing, `add these rows to docs/errors.md:\n${missing.join('\n')}\n`).to.deep.equal([]);
  });

  it('docs/errors.md states each id with the registry status and message', () => {
    const wrong: string[] = [];
    for (const [id, doc] of rows) {
      const def = (ERRORS as Record<string, { status: number; message: string }>)[id];
      if (def === undefined) wrong.push(`${id}: documented but not in the registry`);
      else if (def.status !== doc.status || def.message !== doc.message) wrong.push(`${id}: should read ${errorRow(id, def)}`);
    }
    expect(wrong, wrong.join('\n')).to.deep.equal([]);
  });
});
