/**
 * Every TypeScript code block of README.md and docs/*.md type-checks as written, against the built
 * package (`npm run build` first: `npm test` does). One `tsc` run over all blocks, plus a canary
 * block that must fail, so the check itself is proven to bite. Convention: test/docs/code-blocks.ts.
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractBlocks, typeCheck, type CheckResult, type CodeBlock } from './code-blocks.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
// test-results/ is gitignored and lint-ignored: the generated modules never end up in a commit.
const OUT = join(ROOT, 'test-results', 'code-blocks');

function pages(): string[] {
  const docs = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

/** Blocks that cannot compile on purpose stay rare: each one is a place the docs may be wrong. */
const MAX_NO_CHECK = 3;

// Fails on purpose: a wrong option name and a wrong type. Proves a broken block is reported, with
// the page line of the error (line 2 and 3 of the block: the context comment is not counted).
const CANARY = [
  '<!-- ts-context',
  "import { startMockServer } from 'mattermost-pat/mock-server';",
  '-->',
  '```ts',
  'const mock = await startMockServer({ port: 0 });',
  'const id: number = mock.seeded.sysadmin.id;',
  'await startMockServer({ prot: 0 });',
  '```',
].join('\n');

describe('docs: TypeScript code blocks', function () {
  this.timeout(120_000);
  let blocks: CodeBlock[];
  let result: CheckResult;

  before(async () => {
    if (!existsSync(join(ROOT, 'dist', 'middleware', 'index.d.ts')) || !existsSync(join(ROOT, 'dist', 'mock-server', 'index.d.ts'))) {
      throw new Error('dist/ is missing: run `npm run build` first (npm test does) — the blocks import the package by its name');
    }
    blocks = pages().flatMap((page) => extractBlocks(page, readFileSync(join(ROOT, page), 'utf8')));
    const checked = blocks.filter((b) => b.noCheck === undefined);
    result = await typeCheck([...checked, ...extractBlocks('canary.md', CANARY)], OUT, ROOT);
  });

  after(() => {
    // Keep the generated modules of a failing run for a look; drop them otherwise.
    if (result !== undefined && result.errors.every((e) => e.page === 'canary.md') && result.other.length === 0) {
      rmSync(OUT, { recursive: true, force: true });
    }
  });

  it('the extractor finds the README\'s blocks, with their page lines and hidden context', () => {
    const readme = blocks.filter((b) => b.page === 'README.md');
    expect(readme.length, 'README.md has TypeScript blocks').to.be.greaterThan(1);
    const text = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
    for (const b of readme) {
      expect(text[b.line - 2], `fence before README.md:${b.line}`).to.match(/^\s*```(ts|typescript)\b/);
      expect(text[b.line - 1]!.trim(), `first code line at README.md:${b.line}`).to.equal(b.code.split('\n')[0]!.trim());
    }
    const canary = extractBlocks('canary.md', CANARY);
    expect(canary).to.have.lengthOf(1);
    expect(canary[0]!.context).to.equal("import { startMockServer } from 'mattermost-pat/mock-server';");
    expect(canary[0]!.line).to.equal(5);
  });

  it('a broken block is reported at its page line (the canary)', () => {
    const canary = result.errors.filter((e) => e.page === 'canary.md').map((e) => `${e.line} ${e.code}`);
    expect(canary).to.deep.equal(['6 TS2322', '7 TS2353']);
  });

  it('every ts/typescript block of README.md and docs/*.md type-checks against the built package', () => {
    const docErrors = result.errors.filter((e) => e.page !== 'canary.md');
    const report = docErrors.map((e) => `${e.page}:${e.line === 0 ? '(context)' : e.line} ${e.code} ${e.message}`);
    expect(result.other, 'tsc configuration problems').to.deep.equal([]);
    expect(report, `${report.length} block error(s)`).to.deep.equal([]);
    expect(blocks.filter((b) => b.noCheck === undefined).length, 'blocks checked').to.be.greaterThan(10);
  });

  it(`blocks exempt from the check (\`\`\`ts no-check <reason>) are at most ${MAX_NO_CHECK} and each says why`, () => {
    const exempt = blocks.filter((b) => b.noCheck !== undefined);
    for (const b of exempt) expect(b.noCheck, `reason of the no-check block at ${b.page}:${b.line}`).to.not.equal('');
    expect(exempt.map((b) => `${b.page}:${b.line}`)).to.have.length.at.most(MAX_NO_CHECK);
  });
});
