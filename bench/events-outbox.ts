/**
 * Figures for the signed-event outbox (issue 9 item 7): `npx tsx bench/events-outbox.ts`.
 * Prints: outbox append+ack cost in memory; revoke latency on a file-backed mock with and without
 * a webhook (the outbox commit and the wait for it before answering); catch-up rate of a receiver
 * that comes back after missing 2,000 revocations. Never fails on a figure.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOutbox, memoryOutboxStorage } from '../middleware/events/event-outbox.js';
import { createEventSender } from '../middleware/events/event-sender.js';
import { createHookBus } from '../middleware/hooks/hook-bus.js';
import { newId } from '../middleware/util/ids.js';
import { startMockServer } from '../mock-server/index.js';

const SECRET = 'bench-event-secret-0123456789abcdef-0123456789';
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

// 1. Outbox bookkeeping alone.
{
  const outbox = createOutbox({ storage: memoryOutboxStorage(), targets: ['http://t'] });
  const n = 100_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const e = outbox.append('token.revoked', { tokenId: newId(), userId: newId() }, { eventId: newId(), emittedAt: 0, remote: false });
    outbox.ack('http://t', e.seq);
  }
  console.log(`outbox append+ack (memory): ${((performance.now() - t0) * 1000 / n).toFixed(2)} µs per event (${n})`);
}

// 2. Revoke latency on a file-backed mock, without and with a webhook.
const sink = createServer((req, res) => { req.resume(); req.on('end', () => { res.statusCode = 204; res.end(); }); });
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/mattermost-pat/events`;
for (const webhooks of [[], [sinkUrl]]) {
  const dir = await mkdtemp(join(tmpdir(), 'mmpat-bench-outbox-'));
  const mock = await startMockServer({ port: 0, dbFile: join(dir, 'db.json'), webhooks, webhookSecret: SECRET });
  const login = await fetch(`${mock.url}/api/v4/users/login`, { method: 'POST', body: JSON.stringify({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' }) });
  const auth = { Authorization: `Bearer ${login.headers.get('Token') ?? ''}` };
  const lat: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = await (await fetch(`${mock.url}/api/v4/users/me/tokens`, { method: 'POST', headers: auth, body: JSON.stringify({ description: 'b' }) })).json() as { id: string };
    const t0 = performance.now();
    await (await fetch(`${mock.url}/api/v4/users/tokens/revoke`, { method: 'POST', headers: auth, body: JSON.stringify({ token_id: t.id }) })).text();
    lat.push(performance.now() - t0);
  }
  await mock.flushEvents();
  console.log(`revoke answer, file db, ${webhooks.length ? 'webhook (outbox commit awaited)' : 'no webhook'}: p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms (200)`);
  await mock.close();
  await rm(dir, { recursive: true, force: true });
}

// 3. Catch-up: 2,000 revocations queued while the receiver was down, then delivered.
{
  let down = true;
  let got = 0;
  const rx = createServer((req, res) => {
    if (down) { req.socket.destroy(); return; }
    req.resume();
    req.on('end', () => { got++; res.statusCode = 200; res.end(); });
  });
  await new Promise<void>((resolve) => rx.listen(0, '127.0.0.1', resolve));
  const hooks = createHookBus();
  const sender = createEventSender({ hooks, targets: [`http://127.0.0.1:${(rx.address() as AddressInfo).port}/e`], signing: { alg: 'HS256', secret: SECRET }, retryBaseMs: 10, retryMaxMs: 50, heartbeatMs: 0 });
  for (let i = 0; i < 2_000; i++) hooks.emit('token.revoked', { tokenId: newId(), userId: newId() });
  await new Promise((resolve) => setTimeout(resolve, 200));
  down = false;
  const t0 = performance.now();
  await sender.flush();
  const s = (performance.now() - t0) / 1000;
  console.log(`catch-up after downtime: ${sender.delivered} events in ${s.toFixed(2)} s (${Math.round(sender.delivered / s)} events/s, one in flight), ${got} received`);
  await sender.close();
  await new Promise<void>((resolve) => { rx.close(() => resolve()); rx.closeAllConnections(); });
}
await new Promise<void>((resolve) => { sink.close(() => resolve()); sink.closeAllConnections(); });
