/**
 * Loopback TCP helpers for starting a child server (redis-server) on a port chosen up front, as
 * examples/fleet.ts and bench/fleet.ts both do: a free port, and one RESP `PING` probe to tell
 * when the child answers. Another process may take the port between `freePort()` and the
 * child's bind; the child then exits, which both callers report.
 */
import net, { type AddressInfo } from 'node:net';

/** Bind port 0 on 127.0.0.1, read the port the kernel chose, close, and return it. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One attempt: does a Redis on 127.0.0.1:`port` answer `PING` with `+PONG`? (false on any error) */
export function answersPing(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => { socket.destroy(); resolve(d.toString().startsWith('+PONG')); });
    socket.once('error', () => { socket.destroy(); resolve(false); });
  });
}
