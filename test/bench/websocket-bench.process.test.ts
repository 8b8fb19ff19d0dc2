/**
 * The WebSocket benchmark's machinery (bench/websocket.ts, bench/lib/ws-*.ts) with tiny numbers:
 * its processes start and talk, every socket is authenticated before it counts, every post is
 * checked to reach every socket exactly once, the throughput run counts every frame, and the
 * report renders those figures. Correctness only: no duration is asserted (only the order of
 * events that causality fixes, which checks the cross-process clock).
 */
import { expect } from 'chai';
import { buildSeed } from '../../mock-server/seed.js';
import { httpClient, login } from '../../bench/lib/http.js';
import { runWebSocketBench, type WsBenchOptions, type WsRound } from '../../bench/lib/ws-bench.js';
import { ADMIN, botName, CHANNEL, wsBenchSeed } from '../../bench/lib/ws-messages.js';
import { startListeners, startWsServer, type Listeners, type WsServer } from '../../bench/lib/ws-processes.js';
import { TARGET_P99_MS, wsReport } from '../../bench/lib/ws-report.js';
import { websocketBench } from '../../bench/lib/ws-embed.js';

const TINY: WsBenchOptions = {
  sockets: 3, posts: 2, warmPosts: 1, rounds: 2, duration: 0.3, warmS: 0.2, connections: 2, pauseMs: 0, deliveryTimeoutMs: 20_000,
};

describe('bench: WebSocket benchmark machinery', function () {
  this.timeout(180_000);

  it('seeds the admin and every bot as members of one channel', async function () {
    const { data } = await buildSeed(wsBenchSeed(3));
    expect(data.users.map((u) => u.username)).to.deep.equal([ADMIN.username, botName(0), botName(1), botName(2)]);
    expect(data.bots).to.have.length(3);
    const channel = data.channels.find((c) => c.name === CHANNEL);
    expect(channel?.type).to.equal('O');
    const members = data.channelMembers.filter((m) => m.channel_id === channel?.id).map((m) => m.user_id);
    expect(members).to.have.members(data.users.map((u) => u.id));
    expect(data.config.ServiceSettings.EnableUserAccessTokens).to.equal(true);
  });

  describe('listeners against a server process', function () {
    let server: WsServer;
    let listeners: Listeners;
    let admin: string;
    let api: ReturnType<typeof httpClient>;

    before(async function () {
      server = await startWsServer({ bots: 2 });
      listeners = startListeners();
      api = httpClient(server.url, 2);
      admin = await login(api, ADMIN.username, ADMIN.password);
    });
    after(async function () {
      api.close();
      await listeners.close();
      await server.close();
    });

    const botToken = async (i: number) => {
      const res = await api.request('POST', `/api/v4/users/${server.botIds[i]}/tokens`, admin, { description: 'smoke' });
      expect(res.status).to.equal(200);
      return (JSON.parse(res.body) as { token: string }).token;
    };

    it('refuses to count a socket whose token did not authenticate, and opens none of the batch', async function () {
      const good = await botToken(0);
      let error: unknown;
      try {
        await listeners.connect(server.url, [good, 'x'.repeat(26)], { concurrency: 1, helloTimeoutMs: 1_000 });
      } catch (err) {
        error = err;
      }
      expect(String(error)).to.match(/socket 1: (no hello within 1000 ms|closed \(\d+\) before hello)/);
      expect((await listeners.counts()).open).to.equal(0);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await server.stats()).authenticated).to.equal(0);
    });

    it('checks a tracked delivery: the post the server answered, once per socket, in the channel asked for', async function () {
      const tokens = [await botToken(0), await botToken(1)];
      expect(await listeners.connect(server.url, tokens)).to.include({ sockets: 2 });
      expect((await server.stats()).authenticated).to.equal(2);

      await listeners.arm();
      const res = await api.request('POST', '/api/v4/posts', admin, { channel_id: server.channelId, message: 'smoke' });
      expect(res.status).to.equal(201);
      const delivery = await listeners.collect(server.channelId, 20_000);
      expect(delivery.postId).to.equal((JSON.parse(res.body) as { id: string }).id);
      expect(delivery.receivers).to.equal(2);
      expect(delivery.first).to.be.at.most(delivery.median);
      expect(delivery.median).to.be.at.most(delivery.last);

      // The same check refuses frames of another channel than the one asked for.
      await listeners.arm();
      expect((await api.request('POST', '/api/v4/posts', admin, { channel_id: server.channelId, message: 'smoke 2' })).status).to.equal(201);
      let error: unknown;
      try {
        await listeners.collect('a'.repeat(26), 20_000);
      } catch (err) {
        error = err;
      }
      expect(String(error)).to.match(/posted in another channel/);

      // Nothing posted: the collection fails with the count, it never reports a partial delivery.
      await listeners.arm();
      error = undefined;
      try {
        await listeners.collect(server.channelId, 300);
      } catch (err) {
        error = err;
      }
      expect(String(error)).to.match(/0 of 2 sockets got the post within 300 ms/);
      await listeners.closeSockets();
      expect((await listeners.counts()).open).to.equal(0);
    });
  });

  describe('a whole run with tiny numbers', function () {
    let rounds: WsRound[];
    before(async function () {
      rounds = await runWebSocketBench(TINY);
    });

    it('measures every post on every socket, with causal times across processes', function () {
      expect(rounds).to.have.length(2);
      for (const round of rounds) {
        expect(round.latency).to.have.length(TINY.posts);
        for (const s of round.latency) {
          expect(s.receivers).to.equal(TINY.sockets);
          // The frame cannot leave the server before the request was sent.
          expect(s.sent).to.be.below(s.first);
          expect(s.sent).to.be.below(s.answered);
          expect(s.first).to.be.at.most(s.median);
          expect(s.median).to.be.at.most(s.last);
        }
      }
    });

    it('takes memory with and without the sockets on the same server', function () {
      for (const round of rounds) {
        expect(round.without).to.include({ open: 0, authenticated: 0 });
        expect(round.halfSockets).to.equal(1);
        expect(round.half).to.include({ open: 1, authenticated: 1 });
        expect(round.with).to.include({ open: TINY.sockets, authenticated: TINY.sockets });
        expect(round.without.rss).to.be.above(0);
        expect(round.with.heapUsed).to.be.above(0);
      }
    });

    it('loads both servers in alternating order, all 201, and counts every posted frame', function () {
      expect(rounds.map((r) => r.throughput.firstMeasured)).to.deep.equal(['quiet', 'listening']);
      for (const { throughput: t } of rounds) {
        for (const result of [t.listening, t.quiet]) {
          expect(result.created).to.be.above(0);
          expect(result).to.include({ other: 0, errors: 0 });
          expect(result.statuses).to.deep.equal({ 201: result.total });
        }
        // Computed from posts the measured run created (a figure, never compared to a bound here).
        expect(Number.isFinite(t.cpuPerPost.quiet) && Number.isFinite(t.cpuPerPost.listening)).to.equal(true);
        expect(t.framesExpected).to.be.at.least(t.listening.created * TINY.sockets);
        expect(t.framesReceived).to.equal(t.framesExpected);
        expect(t.events).to.deep.equal({ posted: t.framesReceived });
        expect(t.authenticatedAfter).to.equal(TINY.sockets);
        expect(t.closes).to.deep.equal({});
      }
    });

    it('reports the figures with the verdict and the load average', function () {
      const text = wsReport(rounds, TINY, '1.00 2.00 3.00');
      expect(text).to.include(`## WebSocket fan-out: ${TINY.sockets} authenticated sockets in one channel`);
      expect(text).to.match(new RegExp(`p99 POST answered → posted on all ${TINY.sockets} ≤ ${TARGET_P99_MS} ms \\| -?\\d+\\.\\d+ ms +\\| (met|MISSED by)`));
      expect(text).to.include(`${TINY.posts * TINY.rounds} posts`);
      expect(text).to.include('## Memory per idle socket');
      expect(text).to.match(/RSS per idle authenticated socket \(with 3 minus without, \/ 3\): \*\*-?\d+\.\d KB\*\*/);
      expect(text).to.match(/Median ratio listening \/ quiet: \*\*\d+\.\d{3}\*\*/);
      expect(text).to.include('at start 1.00 2.00 3.00');
      const frames = rounds[0]?.throughput.framesReceived ?? NaN;
      expect(text).to.include(`${frames.toLocaleString('en-US')} / ${frames.toLocaleString('en-US')}`);
    });
  });

  it('bench/websocket.ts runs as npm run bench embeds it: exit 0, its three sections without its own title', async function () {
    const ws = await websocketBench(['--quick', '--sockets', '2', '--posts', '1', '--duration', '0.3']);
    expect(ws.code).to.equal(0);
    expect(ws.stdout).to.match(/^# WebSocket benchmark \(quick\)/);
    expect(ws.section).to.match(/^## WebSocket fan-out: 2 authenticated sockets in one channel/);
    for (const heading of ['## Memory per idle socket', '## POST /posts throughput: 2 listeners vs none']) expect(ws.section).to.include(heading);
    expect(ws.section).to.match(/Load average \(1, 5, 15 min\) at start [\d.]+ [\d.]+ [\d.]+, at end/);
  });
});
