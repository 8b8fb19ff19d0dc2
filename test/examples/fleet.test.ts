import { expect } from 'chai';
import { Redis } from 'ioredis';
import { run } from '../../examples/fleet.js';
import { ExampleFailure } from '../../examples/lib/cli.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { bareEnv, collector, runExample } from './support/run-example.js';

describe('examples/fleet', () => {
  let redis: TestRedis | undefined;
  afterEach(async () => { await redis?.stop(); redis = undefined; });

  it('with REDIS_URL: three instances accept the token (one upstream call), then all refuse it once revoked', async () => {
    redis = await startRedis();
    const out = collector();
    const result = await run({ env: { REDIS_URL: redis.url }, print: out.print });
    expect(result.startedRedis).to.equal(false);
    expect(result.instances.map((i) => [i.before, i.after])).to.deep.equal([[200, 401], [200, 401], [200, 401]]);
    expect(result.upstreamCalls).to.equal(1);
    // The mock's revocation went through that Redis.
    const raw = new Redis(redis.url);
    try {
      const entries = await raw.xrange('mattermost-pat:events', '-', '+');
      expect(entries.some(([, fields]) => fields.includes('token.revoked'))).to.equal(true);
    } finally {
      raw.disconnect();
    }
    expect(out.text()).to.include(`redis: using ${redis.url}`);
    expect(out.lines.at(-1)).to.equal('fleet: all 3 instances refuse the revoked token');
  });

  it('a REDIS_URL that is not one, or an argument: usage error (exit 2) before anything starts', async () => {
    for (const options of [{ env: { REDIS_URL: 'localhost:6379' } }, { env: {}, argv: ['--now'] }]) {
      const err = await run({ ...options, print: () => {} }).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(ExampleFailure);
      expect((err as ExampleFailure).exitCode).to.equal(2);
    }
  });

  it('as a process with no environment: starts its own redis-server and exits 0', async () => {
    const res = await runExample('fleet', [], bareEnv());
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stderr).to.equal('');
    expect(res.stdout).to.match(/^redis: started redis-server at redis:\/\/127\.0\.0\.1:\d+$/m);
    expect(res.stdout).to.match(/^fleet: 1 call\(s\) to \/users\/me for 3 instances/m);
    for (const n of [1, 2, 3]) expect(res.stdout).to.match(new RegExp(`^instance ${n}: GET /api/me with the revoked token: 401 `, 'm'));
    expect(res.stdout.trimEnd().split('\n').at(-1)).to.equal('fleet: all 3 instances refuse the revoked token');
  });
});
