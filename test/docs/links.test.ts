/**
 * Every relative link of README.md and docs/*.md points to a file of the repository, and every
 * `#anchor` to a heading of its page (GitHub's slugs), so moving text between pages cannot leave
 * a reader at a dead end.
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** GitHub's heading anchor: the rendered text, lower-cased, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*_]/g, (c) => (c === '_' ? '_' : ''));
  return text.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** Lines outside fenced code blocks, with their 1-based numbers. */
function prose(text: string): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  let fence: string | undefined;
  text.split('\n').forEach((line, i) => {
    const m = /^\s*(`{3,}|~{3,})/.exec(line);
    if (m !== null) {
      if (fence === undefined) fence = m[1];
      else if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') fence = undefined;
      return;
    }
    if (fence === undefined) out.push([i + 1, line]);
  });
  return out;
}

function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, line] of prose(readFileSync(file, 'utf8'))) {
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (m === null) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

describe('docs: links', () => {
  const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

  it('slugs follow GitHub (code spans, links and punctuation in headings)', () => {
    expect(slug('`cachedResolver(inner, options?)`')).to.equal('cachedresolverinner-options');
    expect(slug('WebSocket API ([websocket.md](websocket.md))')).to.equal('websocket-api-websocketmd');
    expect(slug('Quick start: the mock in your test suite')).to.equal('quick-start-the-mock-in-your-test-suite');
  });

  it('every relative link of README.md and docs/*.md reaches a file, and its anchor a heading', () => {
    const broken: string[] = [];
    for (const page of pages) {
      for (const [n, line] of prose(readFileSync(join(ROOT, page), 'utf8'))) {
        // Links inside code spans are text, not links.
        const text = line.replace(/`[^`]*`/g, '');
        for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
          const target = m[1]!;
          if (/^[a-z]+:/i.test(target)) continue;
          const [file = '', anchor] = target.split('#');
          const path = file === '' ? join(ROOT, page) : normalize(join(ROOT, dirname(page), file));
          if (!existsSync(path)) { broken.push(`${page}:${n} ${target} (no such file)`); continue; }
          if (anchor !== undefined && path.endsWith('.md') && !anchors(path).has(anchor)) {
            broken.push(`${page}:${n} ${target} (no such heading)`);
          }
        }
      }
    }
    expect(broken).to.deep.equal([]);
  });
});
