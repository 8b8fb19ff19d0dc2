/**
 * Child-process entry of the WebSocket benchmark's server: the mock (`startMockServer`, in
 * memory, default WebSocket options) seeded with {@link wsBenchSeed}, alone in its process so the
 * listeners and the load never share its event loop.
 * `node --expose-gc --import tsx bench/lib/ws-server.ts '{"bots":1000}'`; over IPC it sends
 * {@link WsServerReady} once listening and answers `{ type: 'stats', id }` with memory taken after
 * two full collections (hence `--expose-gc`), so "RSS with sockets minus without" compares settled
 * heaps, not garbage. Exits when the runner disconnects or on SIGTERM.
 */
import { startMockServer } from '../../mock-server/index.js';
import { botName, CHANNEL, TEAM, wsBenchSeed, type WsServerConfig, type WsServerMessage, type WsServerRequest, type WsServerStats } from './ws-messages.js';

const config = JSON.parse(process.argv[2] ?? '{}') as WsServerConfig;
const send = (message: WsServerMessage) => process.send?.(message);
const gc = (globalThis as { gc?: () => void }).gc;

const mock = await startMockServer({ port: 0, inMemory: true, seed: wsBenchSeed(config.bots), console: false });
const team = mock.store.findOne('teams', 'name', TEAM);
const channel = team === undefined ? undefined : mock.store.findOne('channels', 'team_name', `${team.id}:${CHANNEL}`);
if (channel === undefined) throw new Error('ws-server: the seed has no bench channel');
const botIds = Array.from({ length: config.bots }, (_, i) => {
  const bot = mock.store.findOne('users', 'username', botName(i));
  if (bot === undefined) throw new Error(`ws-server: no ${botName(i)}`);
  return bot.id;
});

function stats(collect: boolean): WsServerStats {
  if (collect) {
    gc?.();
    gc?.();
  }
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external, arrayBuffers: memory.arrayBuffers,
    cpuUs: cpu.user + cpu.system, ...mock.websocket.stats(), posts: mock.store.count('posts'),
  };
}

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void mock.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
process.on('message', (raw) => {
  const message = raw as WsServerRequest;
  if (message.type === 'stats') send({ type: 'stats', id: message.id, data: stats(message.gc !== false) });
});
gc?.();
send({ type: 'ready', url: mock.url, channelId: channel.id, botIds });
