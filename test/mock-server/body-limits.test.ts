import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import type { MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';

const FIVE_MB = Buffer.alloc(5 * 1024 * 1024, 0x61);
const TOO_LARGE = 'api.context.request_body_too_large.app_error';

/** Open a raw socket to the mock; collects everything it receives; `closed` resolves on close (with the error code, if any). */
function raw(mock: MockServer, allowHalfOpen = false): { socket: Socket; received: () => string; closed: Promise<string> } {
  const socket = connect({ port: mock.port, host: '127.0.0.1', allowHalfOpen });
  let got = '';
  socket.on('data', (d: Buffer) => { got += d.toString('latin1'); });
  const closed = new Promise<string>((resolve) => {
    let code = '';
    socket.on('error', (e: NodeJS.ErrnoException) => { code = e.code ?? 'error'; });
    socket.on('close', () => resolve(code));
  });
  return { socket, received: () => got, closed };
}

describe('mock server: request bodies over the limit (413 with lingering close)', function () {
  this.timeout(60_000);
  let mock: MockServer;
  before(async () => { mock = await startMockServer({ port: 0, inMemory: true }); });
  after(async () => { await mock.close(); });

  it('Node fetch: 20 consecutive 5 MB uploads all read the 413 body', async () => {
    const read: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${mock.url}/api/v4/users/login`, { method: 'POST', body: FIVE_MB, headers: { 'Content-Type': 'application/json' } });
      expect(res.status).to.equal(413);
      expect(res.headers.get('connection')).to.equal('close');
      read.push(((await res.json()) as { id: string }).id);
    }
    expect(read).to.deep.equal(Array.from({ length: 20 }, () => TOO_LARGE));
  });

  for (const framing of ['Content-Length', 'chunked'] as const) {
    it(`raw socket (${framing}): 20 consecutive 5 MB uploads written in full without EPIPE, each reads the 413 body, then the server closes`, async () => {
      for (let i = 0; i < 20; i++) {
        const { socket, received, closed } = raw(mock);
        const head = framing === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${FIVE_MB.length}`;
        socket.write(`POST /api/v4/users/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${head}\r\n\r\n`);
        if (framing === 'chunked') {
          socket.write(`${FIVE_MB.length.toString(16)}\r\n`);
          socket.write(FIVE_MB);
          socket.end('\r\n0\r\n\r\n');
        } else socket.end(FIVE_MB);
        const error = await closed;
        expect(error, `upload ${i}`).to.equal('');
        expect(received()).to.match(/^HTTP\/1\.1 413 /).and.include('Connection: close').and.include(TOO_LARGE);
      }
    });
  }

  it('a client that keeps sending past the linger bound is cut off (bounded in bytes)', async () => {
    const small = await startMockServer({ port: 0, inMemory: true, bodyLimit: 1024 });
    try {
      // Half-open: the client goes on writing after the server's FIN, as a stubborn uploader would.
      const { socket, received, closed } = raw(small, true);
      socket.on('error', () => undefined);
      socket.write('POST /api/v4/users/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 999999999999\r\n\r\n');
      // 80 MB more than the 64 MiB the server discards: the server must close before the end.
      let sent = 0;
      const chunk = Buffer.alloc(1 << 20);
      let open = true;
      void closed.then(() => { open = false; });
      while (open && sent < 80 * (1 << 20)) {
        if (!socket.write(chunk)) await new Promise((resolve) => { socket.once('drain', resolve); socket.once('close', resolve); });
        sent += chunk.length;
      }
      await closed;
      expect(sent).to.be.below(80 * (1 << 20)).and.at.least(64 * (1 << 20));
      expect(received()).to.match(/^HTTP\/1\.1 413 /);
    } finally {
      await small.close();
    }
  });
});

describe('mock server: slow and absent clients (timeouts)', function () {
  this.timeout(30_000);
  let mock: MockServer;
  before(async () => {
    mock = await startMockServer({ port: 0, inMemory: true, timeouts: { headersMs: 300, requestMs: 800, bodyMs: 200, idleMs: 300 } });
  });
  after(async () => { await mock.close(); });

  it('a body that stops arriving answers 408 (invalid_body_param) with Connection: close, and the socket is closed', async () => {
    const { socket, received, closed } = raw(mock);
    socket.write('POST /api/v4/users/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"login_id":');
    await closed;
    expect(received()).to.match(/^HTTP\/1\.1 408 /).and.include('Connection: close').and.include('api.context.invalid_body_param.app_error');
    // The server is fine afterwards.
    expect((await fetch(`${mock.url}/api/v4/system/ping`)).status).to.equal(200);
  });

  it('headers that never finish: the server closes the socket', async () => {
    const { socket, received, closed } = raw(mock);
    socket.write('GET /api/v4/system/ping HTTP/1.1\r\nHost: x\r\n');
    await closed;
    expect(received()).to.not.include('200 OK');
  });

  it('a body trickled byte by byte is cut at the request timeout, answered 408', async () => {
    const { socket, received, closed } = raw(mock);
    socket.write('POST /api/v4/users/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n');
    const trickle = setInterval(() => { if (!socket.destroyed) socket.write(' '); }, 50);
    try {
      await closed;
    } finally {
      clearInterval(trickle);
    }
    expect(received()).to.match(/^HTTP\/1\.1 408 /);
  });

  it('answers never read: the socket is destroyed, so they are not held forever', async () => {
    // A 16 KB answer: a post with a long message.
    const login = await fetch(`${mock.url}/api/v4/users/login`, { method: 'POST', body: JSON.stringify({ login_id: mock.seeded.sysadmin.username, password: mock.seeded.sysadmin.password }) });
    const token = login.headers.get('token') ?? '';
    const channel = mock.seeded.channels['town-square']?.id ?? '';
    const made = await fetch(`${mock.url}/api/v4/posts`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify({ channel_id: channel, message: 'x'.repeat(16_000) }) });
    expect(made.status).to.equal(201);
    const { id } = (await made.json()) as { id: string };
    const { socket, received, closed } = raw(mock);
    // 4000 pipelined requests (64 MB of answers), never read: the server's writes stall once the
    // socket buffers are full, and the stalled socket must be dropped at the idle timeout (300 ms).
    socket.pause();
    const count = 4000;
    socket.write(`GET /api/v4/posts/${id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`.repeat(count));
    // Read again only once the server has given up (reading earlier would restart its writes).
    await new Promise((resolve) => setTimeout(resolve, 2000));
    socket.resume();
    const code = await closed;
    const answered = received().split('HTTP/1.1 200').length - 1;
    expect(answered, `answers received before the server dropped the socket (${code})`).to.be.below(count);
  });
});

describe('mock server: a request body that arrives in pieces', function () {
  this.timeout(30_000);
  let mock: MockServer;
  before(async () => { mock = await startMockServer({ port: 0, inMemory: true }); });
  after(async () => { await mock.close(); });

  const login = JSON.stringify({ login_id: 'sysadmin', password: 'Sys@dmin-sample1' });
  const head = (framing: string) => `POST /api/v4/users/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${framing}Connection: close\r\n\r\n`;
  /** Write `pieces` one at a time, each after the server has had a turn to read the previous one. */
  async function send(socket: Socket, pieces: string[]): Promise<void> {
    for (const piece of pieces) {
      socket.write(piece);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('framed by Content-Length, in three writes: the whole body is read (200, the user)', async () => {
    const { socket, received, closed } = raw(mock);
    const third = Math.ceil(login.length / 3);
    await send(socket, [head(`Content-Length: ${Buffer.byteLength(login)}\r\n`) + login.slice(0, third), login.slice(third, 2 * third), login.slice(2 * third)]);
    await closed;
    expect(received()).to.match(/^HTTP\/1\.1 200 /).and.include('"username":"sysadmin"');
  });

  it('chunked, in three chunks: the whole body is read (200, the user)', async () => {
    const { socket, received, closed } = raw(mock);
    const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
    const half = Math.ceil(login.length / 2);
    await send(socket, [head('Transfer-Encoding: chunked\r\n') + chunk(login.slice(0, half)), chunk(login.slice(half)), '0\r\n\r\n']);
    await closed;
    expect(received()).to.match(/^HTTP\/1\.1 200 /).and.include('"username":"sysadmin"');
  });

  it('a body that ends exactly at its Content-Length leaves the next pipelined request alone: both answered, in order', async () => {
    const { socket, received, closed } = raw(mock);
    const first = `POST /api/v4/users/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(login)}\r\n\r\n${login}`;
    socket.write(`${first}GET /api/v4/system/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    await closed;
    const answers = received().split(/(?=HTTP\/1\.1 )/);
    expect(answers).to.have.length(2);
    expect(answers[0]).to.match(/^HTTP\/1\.1 200 /).and.include('"username":"sysadmin"');
    expect(answers[1]).to.match(/^HTTP\/1\.1 200 /).and.include('"status":"OK"');
  });
});
