/**
 * HTTP helpers for the hardening tests: a request that must answer within a bound (default 2 s)
 * or fails the test, raw paths sent as given (no URL normalisation, so `../` and `%00` reach the
 * server), and a raw-socket sender for header abuse the HTTP client would refuse to send.
 */
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import type { Readable } from 'node:stream';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
}

export interface SendOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  /** A string/Buffer body, or a stream (e.g. one that never ends). */
  body?: string | Buffer | Readable;
  /** The answer must arrive within this many ms. Default 2000. */
  timeoutMs?: number;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Send one request to `base` (`http://127.0.0.1:PORT`) with `path` exactly as given. */
export function send(base: string, path: string, options: SendOptions = {}): Promise<Reply> {
  const { method = 'GET', headers = {}, body, timeoutMs = 2000 } = options;
  const url = new URL(base);
  return new Promise<Reply>((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parse(text) });
        req.destroy();
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    if (body === undefined) req.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

export interface RawReply {
  status: number;
  /** Everything the server sent. */
  raw: string;
  /** The body after the blank line. */
  body: string;
}

/** Write raw bytes on a socket and read until the server closes it (or `timeoutMs`). */
export function sendRaw(base: string, bytes: Buffer | string, timeoutMs = 2000): Promise<RawReply> {
  const url = new URL(base);
  return new Promise<RawReply>((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const finish = () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1] ?? 0);
      const at = raw.indexOf('\r\n\r\n');
      resolve({ status, raw, body: at < 0 ? '' : raw.slice(at + 4) });
    };
    const timer = setTimeout(() => {
      socket.destroy();
      if (chunks.length > 0) finish();
      else reject(new Error(`raw request: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', finish);
    socket.on('error', (err) => {
      if (chunks.length > 0) finish();
      else {
        clearTimeout(timer);
        reject(err);
      }
    });
    socket.write(bytes);
  });
}
