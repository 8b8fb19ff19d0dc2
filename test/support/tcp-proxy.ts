/**
 * A TCP proxy in front of a server, for cutting a client's connections without touching either
 * end: `cut()` destroys every proxied connection (the client sees its socket die, the server its
 * peer go away), as a network failure would.
 */
import net from 'node:net';

export interface TcpProxy {
  /** `http://127.0.0.1:<port>` of the proxy. */
  readonly url: string;
  /** Connections proxied so far. */
  readonly accepted: number;
  /** Destroy every open connection (new ones are still accepted). */
  cut(): void;
  /** Cut, and refuse new connections until `up()` (a network partition). */
  down(): void;
  up(): void;
  close(): Promise<void>;
}

/** Proxy `127.0.0.1:<free port>` to `target` (an `http://host:port` URL). */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const { hostname, port } = new URL(target);
  const open = new Set<net.Socket>();
  let accepted = 0;
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) { client.destroy(); return; }
    accepted++;
    const upstream = net.connect(Number(port), hostname);
    open.add(client);
    open.add(upstream);
    const drop = () => { client.destroy(); upstream.destroy(); open.delete(client); open.delete(upstream); };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    get accepted() { return accepted; },
    cut() { for (const s of [...open]) s.destroy(); open.clear(); },
    down() { refusing = true; for (const s of [...open]) s.destroy(); open.clear(); },
    up() { refusing = false; },
    close() {
      for (const s of [...open]) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
