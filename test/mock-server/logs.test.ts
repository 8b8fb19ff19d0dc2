import { expect } from 'chai';
import { createLogBuffer, type LogSink } from '../../mock-server/logs.js';
import type { MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';

const parse = (line: string) => JSON.parse(line) as Record<string, unknown>;

describe('mock server: log buffer', () => {
  it('is bounded in bytes as well as lines: the oldest lines go first, the newest are kept', () => {
    const logs = createLogBuffer({ capacity: 10_000, maxBytes: 64 * 1024, repeatBurst: Infinity });
    for (let i = 0; i < 5_000; i++) logs.write('info', 'request', { n: i, path: `/api/v4/${'p'.repeat(400)}` });
    expect(logs.bytes).to.be.at.most(64 * 1024);
    expect(logs.size).to.be.below(5_000).and.above(100);
    const all = logs.lines();
    expect(all.reduce((sum, l) => sum + Buffer.byteLength(l), 0)).to.equal(logs.bytes);
    expect(parse(all.at(-1) ?? '{}').n).to.equal(4_999);
    expect(parse(all[0] ?? '{}').n).to.equal(5_000 - all.length);
    const byCount = createLogBuffer({ capacity: 3, repeatBurst: Infinity });
    for (let i = 0; i < 10; i++) byCount.write('info', 'x', { n: i });
    expect(byCount.lines().map((l) => parse(l).n)).to.deep.equal([7, 8, 9]);
  });

  it('cuts long fields (path, user agent, message, nested values) and says how much was cut', () => {
    const logs = createLogBuffer({ maxFieldLength: 100 });
    logs.write('warn', `m${'e'.repeat(300)}`, { path: `/${'a'.repeat(20_000)}`, user_agent: 'u'.repeat(5_000), nested: { deep: 'd'.repeat(1_000) }, short: 'ok', n: 7 });
    const [line = ''] = logs.lines();
    expect(line.length).to.be.below(700);
    const entry = parse(line);
    expect(entry.path).to.equal(`/${'a'.repeat(99)}…[cut 19901 chars]`);
    expect(entry.user_agent).to.equal(`${'u'.repeat(100)}…[cut 4900 chars]`);
    expect(String(entry.msg)).to.have.lengthOf.below(130).and.include('[cut 201 chars]');
    expect(entry.nested).to.be.a('string').and.include('…[cut');
    expect(entry).to.include({ short: 'ok', n: 7, level: 'warn' });
  });

  it('coalesces repeated lines: at most repeatBurst per message per window, then one line with the suppressed count', () => {
    let clock = 1_000_000;
    const logs = createLogBuffer({ repeatBurst: 5, repeatWindowMs: 10_000, now: () => clock });
    for (let i = 0; i < 1_000; i++) logs.write('warn', 'token refused', { reason: 'unknown_token', n: i });
    logs.write('info', 'login', { user_id: 'u1' }); // another message is not affected
    expect(logs.lines().filter((l) => l.includes('token refused'))).to.have.lengthOf(5);
    expect(logs.lines().at(-1)).to.include('"msg":"login"');
    clock += 10_000;
    const lines = logs.lines(); // the window is over: the count is reported
    const summary = parse(lines.at(-1) ?? '{}');
    expect(summary).to.include({ level: 'warn', msg: 'log lines suppressed', suppressed_msg: 'token refused', count: 995, window_ms: 10_000 });
    logs.write('warn', 'token refused', { n: 'again' }); // a new window starts with a fresh burst
    expect(parse(logs.lines().at(-1) ?? '{}').n).to.equal('again');
    expect(logs.lines().filter((l) => l.includes('log lines suppressed'))).to.have.lengthOf(1);
  });

  it('echoes the same bounded lines to stderr, and drops (then reports) lines while stderr has a backlog', () => {
    const written: string[] = [];
    let backlog = 0;
    const sink: LogSink = { write: (s) => { written.push(s); return true; }, get writableLength() { return backlog; } };
    const logs = createLogBuffer({ echo: true, sink, maxEchoBacklog: 1_000, maxFieldLength: 50 });
    logs.write('info', 'one', { path: 'x'.repeat(10_000) });
    expect(written).to.have.lengthOf(1);
    expect(written[0]?.length).to.be.below(200);
    backlog = 5_000; // a reader that stopped reading
    for (let i = 0; i < 100; i++) logs.write('info', `busy ${i}`);
    expect(written).to.have.lengthOf(1);
    expect(logs.size).to.equal(101); // the ring still has them
    backlog = 0;
    logs.write('info', 'two');
    expect(written).to.have.lengthOf(3);
    expect(parse(written[1] ?? '{}')).to.include({ msg: 'log lines not echoed', count: 100 });
    expect(parse(written[2] ?? '{}').msg).to.equal('two');
  });

  it('pages from the newest (Mattermost\'s page and logs_per_page); out-of-range pages are empty', () => {
    const logs = createLogBuffer({ repeatBurst: Infinity });
    for (let i = 0; i < 25; i++) logs.write('info', 'x', { n: i });
    const page = (p: number, per: number) => logs.lines(p, per).map((l) => parse(l).n);
    expect(page(0, 10)).to.deep.equal([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
    expect(page(2, 10)).to.deep.equal([0, 1, 2, 3, 4]);
    expect(page(3, 10)).to.deep.equal([]);
    expect(page(0, 0)).to.deep.equal([]);
    expect(page(Number.MAX_SAFE_INTEGER, 10_000)).to.deep.equal([]);
  });
});

describe('mock server: a flood of refused requests with long paths', function () {
  this.timeout(120_000);
  let mock: MockServer;
  let clock = Date.now();
  before(async () => { mock = await startMockServer({ port: 0, inMemory: true, now: () => clock }); });
  after(async () => { await mock.close(); });

  it('costs bounded log memory; GET /logs stays a small paged 200 and reports the suppressed count', async () => {
    const total = 1_000;
    const longPath = `/api/v4/users/username/${'x'.repeat(6_000)}`;
    let sent = 0;
    const worker = async () => {
      while (sent < total) {
        sent++;
        const res = await fetch(`${mock.url}${longPath}?n=${sent}`, { headers: { Authorization: `Bearer ${'z'.repeat(26)}`, 'User-Agent': 'a'.repeat(4_000) } });
        await res.arrayBuffer();
        expect(res.status).to.equal(401);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const refused = mock.logs.lines().filter((l) => l.includes('"msg":"token refused"'));
    expect(refused.length).to.be.at.most(100);
    for (const line of refused) expect(line.length).to.be.below(1_500);
    const login = await fetch(`${mock.url}/api/v4/users/login`, { method: 'POST', body: JSON.stringify({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' }) });
    const admin = { Authorization: `Bearer ${login.headers.get('token') ?? ''}` };
    clock += 10_000;
    const page = await fetch(`${mock.url}/api/v4/logs?page=0&logs_per_page=50`, { headers: admin });
    expect(page.status).to.equal(200);
    const lines = await page.json() as string[];
    expect(lines.length).to.be.at.most(50);
    const summary = lines.map(parse).find((l) => l.msg === 'log lines suppressed' && l.suppressed_msg === 'token refused');
    expect(summary?.count).to.equal(total - refused.length);
    const all = await fetch(`${mock.url}/api/v4/logs`, { headers: admin });
    expect(all.status).to.equal(200);
    expect(Number(all.headers.get('content-length') ?? (await all.clone().text()).length)).to.be.below(1024 * 1024);
    expect(await all.json()).to.be.an('array');
  });
});
