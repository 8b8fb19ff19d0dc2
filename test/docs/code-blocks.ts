/**
 * Extracts the TypeScript code blocks of Markdown pages and type-checks them with one `tsc` run,
 * so that what the README and docs/ show compiles against the built package as a user's code would.
 *
 * Convention (documented in docs/architecture.md, "Code blocks in the docs"):
 * - every ```ts / ```typescript block is a module of its own and must type-check as written;
 * - a block that is a fragment declares what it uses in a hidden context comment on the lines
 *   right before its fence: `<!-- ts-context` … `-->` (the code inside is prepended, unseen by readers);
 * - a block that cannot compile on purpose is fenced ```ts no-check <reason> (the reason is required).
 *
 * @example
 * ```ts
 * const blocks = extractBlocks('README.md', readFileSync('README.md', 'utf8'));
 * const result = typeCheck(blocks, 'test-results/code-blocks'); // { errors: [...], files }
 * ```
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

/** One fenced TypeScript block of a Markdown page. */
export interface CodeBlock {
  /** Page it comes from, relative to the repository root (e.g. `docs/events.md`). */
  page: string;
  /** 1-based line of the page holding the block's first code line. */
  line: number;
  /** The block's code, as shown. */
  code: string;
  /** The hidden context comment's code, prepended when checking ('' without one). */
  context: string;
  /** Set for ```ts no-check <reason>: the reason. */
  noCheck?: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/;
const TS_LANGS = new Set(['ts', 'typescript']);

/**
 * Every fenced ts/typescript block of `text` (fences may be indented, e.g. inside a list item).
 * Blocks of other languages are skipped; their content is never mistaken for fences.
 */
export function extractBlocks(page: string, text: string): CodeBlock[] {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (open === null) continue;
    const [, indent = '', fence = '', lang = '', rest = ''] = open;
    // The closing fence: same character, at least as long, nothing after it.
    let end = i + 1;
    while (end < lines.length) {
      const close = lines[end]!.trim();
      if (close.startsWith(fence) && /^(`+|~+)$/.test(close) && close[0] === fence[0]) break;
      end++;
    }
    if (TS_LANGS.has(lang.toLowerCase())) {
      const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()));
      const block: CodeBlock = { page, line: i + 2, code: body.join('\n'), context: contextBefore(lines, i) };
      const flag = /^no-check\b\s*(.*)$/.exec(rest.trim());
      if (flag !== null) block.noCheck = flag[1]!.trim();
      blocks.push(block);
    }
    i = end;
  }
  return blocks;
}

/** The code of a `<!-- ts-context … -->` comment ending on the line right before line `fence`. */
function contextBefore(lines: string[], fence: number): string {
  const last = fence - 1;
  if (last < 0 || !lines[last]!.trim().endsWith('-->')) return '';
  let first = last;
  while (first >= 0 && !lines[first]!.includes('<!--')) first--;
  if (first < 0) return '';
  const comment = lines.slice(first, last + 1).join('\n').trim();
  const m = /^<!--\s*ts-context\b([\s\S]*)-->$/.exec(comment);
  return m === null ? '' : m[1]!.trim();
}

/** A `tsc` diagnostic mapped back to the page and line it comes from. */
export interface BlockError {
  page: string;
  /** Line in the page; 0 when the error is inside the hidden context comment. */
  line: number;
  code: string;
  message: string;
}

export interface CheckResult {
  errors: BlockError[];
  /** Diagnostics tsc printed that belong to no block (configuration problems). */
  other: string[];
  /** The generated file of each block, in the order of `blocks`. */
  files: string[];
}

const execFileAsync = promisify(execFile);

/**
 * Write each block as a module in `dir` (with a tsconfig extending the project's) and run `tsc
 * --noEmit` once over all of them. `dir` must be inside the repository, so that the package's own
 * name resolves to it (self-reference through package.json `exports`, i.e. to `dist/`).
 */
export async function typeCheck(blocks: readonly CodeBlock[], dir: string, root: string): Promise<CheckResult> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const sources = new Map<string, { block: CodeBlock; contextLines: number }>();
  blocks.forEach((block, n) => {
    const name = `${String(n).padStart(3, '0')}-${block.page.replace(/[^A-Za-z0-9]+/g, '_')}-L${block.line}.ts`;
    const contextLines = block.context === '' ? 0 : block.context.split('\n').length;
    writeFileSync(join(dir, name), (block.context === '' ? '' : `${block.context}\n`) + `${block.code}\n`);
    files.push(join(dir, name));
    sources.set(name, { block, contextLines });
  });
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    extends: relative(dir, join(root, 'tsconfig.json')),
    compilerOptions: {
      // Each block is a module of its own (top-level await allowed, no clashes between blocks).
      moduleDetection: 'force',
      // The project's types (node, mocha): a test-suite block may use mocha's globals, as a user's test would.
      types: ['node', 'mocha'],
      noEmit: true,
      // A user's strict project: an indexed record entry may be missing.
      noUncheckedIndexedAccess: true,
    },
    include: ['*.ts'],
  }, null, 2));
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  let output = '';
  try {
    await execFileAsync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], { cwd: root, maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    if (output === '') throw err;
  }
  const errors: BlockError[] = [];
  const other: string[] = [];
  const diag = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/;
  for (const raw of output.split('\n')) {
    if (raw.trim() === '') continue;
    const m = diag.exec(raw);
    if (m === null) {
      // A continuation line of the previous diagnostic (tsc indents them).
      const prev = errors.at(-1);
      if (/^\s/.test(raw) && prev !== undefined) prev.message += `\n${raw}`;
      else other.push(raw);
      continue;
    }
    const name = relative(resolve(root, dir), resolve(root, m[1]!));
    const src = sources.get(name);
    if (src === undefined) { other.push(raw); continue; }
    const fileLine = Number(m[2]);
    const line = fileLine <= src.contextLines ? 0 : src.block.line + fileLine - src.contextLines - 1;
    errors.push({ page: src.block.page, line, code: m[4]!, message: m[5]! });
  }
  return { errors, other, files };
}
