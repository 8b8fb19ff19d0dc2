/**
 * A real Redis for a test: Debian's `/usr/bin/redis-server` on a free loopback port, nothing
 * persisted (`--save '' --appendonly no`), its own process per test. `kill()` and `restart()`
 * (same port, empty data, as a crashed Redis without persistence comes back), `pause()` /
 * `resume()` (SIGSTOP / SIGCONT: a Redis that accepts connections but answers nothing).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** SIGKILL the server and wait for it to exit. */
  kill(): Promise<void>;
  /** Start it again on the same port (empty). */
  restart(): Promise<void>;
  pause(): void;
  resume(): void;
  /** Stop it for good (idempotent). */
  stop(): Promise<void>;
}

/** A free loopback TCP port (bound, read, released). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function launch(port: number): Promise<ChildProcess> {
  const child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${stderr}`)));
    const deadline = Date.now() + 5_000;
    // Ready when it accepts a connection and answers PING.
    const probe = () => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.write('PING\r\n'); });
      socket.once('data', (d) => {
        socket.destroy();
        if (d.toString().startsWith('+PONG')) { child.removeAllListeners('exit'); resolve(child); } else retry();
      });
      socket.once('error', () => { socket.destroy(); retry(); });
    };
    const retry = () => {
      if (Date.now() > deadline) { child.kill('SIGKILL'); reject(new Error(`redis-server did not start: ${stderr}`)); return; }
      setTimeout(probe, 20);
    };
    probe();
  });
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) resolve(); else child.once('exit', () => resolve());
});

/** Start a Redis for one test. */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined = await launch(port);
  const kill = async () => {
    const c = child;
    child = undefined;
    if (c === undefined) return;
    c.kill('SIGCONT');
    c.kill('SIGKILL');
    await exited(c);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    async restart() { await kill(); child = await launch(port); },
    pause() { child?.kill('SIGSTOP'); },
    resume() { child?.kill('SIGCONT'); },
    stop: kill,
  };
}
