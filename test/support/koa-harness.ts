/**
 * Test harness for middleware tests: start a Koa app on 127.0.0.1 port 0, get a supertest agent
 * bound to it, and a logger that records every line (to assert what is logged, and what is not).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import request from 'supertest';
import type { Logger } from '../../middleware/logger.js';

export interface Harness {
  readonly url: string;
  readonly http: ReturnType<typeof request>;
  close(): Promise<void>;
}

export async function listen(app: Koa): Promise<Harness> {
  const server: Server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    http: request(url),
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    }),
  };
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

export interface RecordingLogger extends Logger {
  readonly lines: LogLine[];
  /** Every line serialised, to search for leaked secrets. */
  text(): string;
}

export function recordingLogger(): RecordingLogger {
  const lines: LogLine[] = [];
  const add = (level: LogLine['level']) => (message: string, fields: Record<string, unknown> = {}) => {
    lines.push({ level, message, fields });
  };
  return { lines, info: add('info'), warn: add('warn'), error: add('error'), text: () => JSON.stringify(lines) };
}
