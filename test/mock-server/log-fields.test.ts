/**
 * Log field names are one spelling everywhere: `time` (not `timestamp`) and `request_id` (not
 * `requestId`), snake_case like the rest of the mock's fields and Mattermost's own JSON logs.
 * Checked on lines written by the mock, the error boundary and the rate limit, and in the sources.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { createMockApp } from '../support/fast-seed-mock.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return /\.(ts|js)$/.test(e.name) ? [full] : [];
  });
}

describe('log fields: one spelling of time and request id', () => {
  it('lines of the mock carry time and request_id, never timestamp or requestId', async () => {
    const mock = await createMockApp();
    try {
      // Rate limit on, so its warning is written too.
      mock.store.config.RateLimitSettings = { ...mock.store.config.RateLimitSettings, Enable: true, PerSec: 1, MaxBurst: 1, VaryByRemoteAddr: true };
      const http = request(mock.app.callback());
      await http.get('/api/v4/nowhere');
      for (let i = 0; i < 5; i++) await http.get('/api/v4/system/ping');
      const lines = mock.logs.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
      const messages = lines.map((l) => l.msg);
      expect(messages).to.include('unhandled request').and.include('request rate limited');
      for (const line of lines) {
        expect(line.time, JSON.stringify(line)).to.match(/^\d{4}-\d\d-\d\dT/);
        expect(line).to.not.have.any.keys('timestamp', 'requestId');
      }
      for (const line of lines.filter((l) => l.msg === 'unhandled request' || l.msg === 'request rate limited')) {
        expect(line.request_id, JSON.stringify(line)).to.be.a('string').with.lengthOf(26);
      }
    } finally {
      await mock.close();
    }
  });

  it('no logger call in middleware/ or mock-server/ writes a requestId or timestamp field', () => {
    const offenders: string[] = [];
    for (const file of [...sources(path.join(ROOT, 'middleware')), ...sources(path.join(ROOT, 'mock-server'))]) {
      const text = readFileSync(file, 'utf8');
      // Whole calls, over several lines: the fields object is often on the next line.
      for (const call of text.matchAll(/\b(?:logger|log|logs)\.(?:info|warn|error|write)\(([^;]*?)\);/gs)) {
        if (/(?<=[{,]\s*)(requestId|timestamp)\s*[:,}]/.test(call[1]!)) offenders.push(`${path.relative(ROOT, file)}: ${call[0].slice(0, 80)}`);
      }
      if (/\btimestamp:\s*new Date/.test(text)) offenders.push(`${path.relative(ROOT, file)}: timestamp field`);
    }
    expect(offenders).to.deep.equal([]);
  });
});
