/**
 * The mocha and node:test hook modules, run for real: a fixture suite per runner starts the mock
 * in its before hook, resets it before each test and closes it after; a wrong expectation in the
 * fixture (FIXTURE_EXPECT_BOTS) makes the run fail, so these can fail.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const MOCHA = fileURLToPath(new URL('../../node_modules/mocha/bin/mocha.js', import.meta.url));

function runFixture(runner: 'mocha' | 'node-test', env: NodeJS.ProcessEnv = {}) {
  const args = runner === 'mocha'
    ? [MOCHA, '--no-config', '-n', 'import=tsx', '--timeout', '30000', '--exit', fixture('mocha-suite.fixture.ts')]
    : ['--import', 'tsx', '--test', '--test-reporter=tap', fixture('node-test-suite.fixture.ts')];
  return spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 90_000 });
}

describe('mattermost-pat/testing: runner hooks for real', function runners() {
  this.timeout(120_000);

  it('mocha: useTestMattermost({ resetEach }) starts, resets and closes the mock around the tests', () => {
    const ok = runFixture('mocha');
    expect(ok.status, ok.stdout + ok.stderr).to.equal(0);
    expect(ok.stdout).to.include('2 passing');
    const bad = runFixture('mocha', { FIXTURE_EXPECT_BOTS: '1' });
    expect(bad.status).to.equal(1);
    expect(bad.stdout).to.include('1 passing').and.include('1 failing');
  });

  it('node:test: useTestMattermost({ resetEach }) starts, resets and closes the mock around the tests', () => {
    const ok = runFixture('node-test');
    expect(ok.status, ok.stdout + ok.stderr).to.equal(0);
    expect(ok.stdout).to.match(/# pass 2\n/).and.match(/# fail 0\n/);
    const bad = runFixture('node-test', { FIXTURE_EXPECT_BOTS: '1' });
    expect(bad.status).to.equal(1);
    expect(bad.stdout).to.match(/# pass 1\n/).and.match(/# fail 1\n/);
  });
});
