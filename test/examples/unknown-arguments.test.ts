/**
 * Every example refuses an unknown command-line argument with exit 2 and its usage, before doing
 * anything (the demo would otherwise start and print); examples configured only by their
 * environment print their usage for --help.
 */
import { expect } from 'chai';
import { ExampleFailure, rejectArguments } from '../../examples/lib/cli.js';
import { runExample } from './support/run-example.js';

describe('examples: unknown arguments exit 2', function unknownArguments() {
  this.timeout(60_000);

  for (const name of ['post-all-bot', 'deactivate-reactivate', 'rotate-token', 'koa-app']) {
    it(`${name} --no-such-flag: exit 2, the usage on stderr, nothing run`, async () => {
      const res = await runExample(name, ['--no-such-flag']);
      expect(res.code, res.stderr).to.equal(2);
      expect(res.stderr).to.match(/^error: .*(no-such-flag|unknown).*usage: /);
      expect(res.stdout).to.equal('');
    });
  }

  for (const name of ['post-all-bot', 'deactivate-reactivate']) {
    it(`${name} --help: its usage on stdout, exit 0; a stray positional: exit 2`, async () => {
      const help = await runExample(name, ['--help']);
      expect(help.code).to.equal(0);
      expect(help.stdout).to.match(new RegExp(`^usage: ${name} \\(no arguments: set MM_URL`));
      const stray = await runExample(name, ['extra']);
      expect([stray.code, stray.stdout]).to.deep.equal([2, '']);
      expect(stray.stderr).to.include('unknown arguments: extra');
    });
  }

  it('rejectArguments: none is fine, any is an ExampleFailure with exit code 2', () => {
    expect(() => rejectArguments([], 'usage: x')).to.not.throw();
    try {
      rejectArguments(['-v', 'y'], 'usage: x');
      expect.fail('no throw');
    } catch (err) {
      expect(err).to.be.instanceOf(ExampleFailure);
      expect([(err as ExampleFailure).exitCode, (err as Error).message]).to.deep.equal([2, 'unknown arguments: -v y (usage: x)']);
    }
  });
});
