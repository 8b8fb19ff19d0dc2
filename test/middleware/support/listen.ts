/** Serve a Koa app (or a plain handler) on 127.0.0.1, port 0; `close()` also drops keep-alive sockets. */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';

export interface Listening {
  readonly url: string;
  close(): Promise<void>;
}

export async function listen(app: Koa | RequestListener): Promise<Listening> {
  const server = createServer(typeof app === 'function' ? app : app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
