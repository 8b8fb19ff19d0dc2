/**
 * Issue 9 item 7, across a SIGKILL: a revoke that answered is delivered by the next start of the
 * mock (the outbox is in its database). Runs the CLI in a child process, so it is in the full tier.
 */
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MockServer } from '../../mock-server/index.js';
import { startCli } from '../hardening/support/cli.js';
import { adminToken, api, createPat, PATH, SECRET, startService, until, type Service } from './support/outbox-service.js';

describe('mock server: revocation events survive a SIGKILL of the mock', () => {
  let service: Service;
  let dir: string | undefined;
  afterEach(async () => {
    await service.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('a revoke that answered survives a SIGKILL of the mock: the next start delivers it', async () => {
    service = await startService();
    dir = await mkdtemp(join(tmpdir(), 'mmpat-outbox-kill-'));
    const args = ['--port', '0', '--db', join(dir, 'db.json'), '--webhook', `${service.url}${PATH}`];
    const env = process.env.MM_PAT_WEBHOOK_SECRET;
    process.env.MM_PAT_WEBHOOK_SECRET = SECRET;
    try {
      const first = await startCli(args);
      const asMock = { url: first.url } as MockServer;
      service.setMattermost(first.url);
      const admin = await adminToken(asMock);
      const pat = await createPat(asMock, admin);
      await until(() => service.received.some((e) => e.event === 'token.created'), 'token.created delivered');
      expect(await service.get(pat.token)).to.equal(200);
      service.setDown(true);
      expect((await api(asMock, 'POST', '/users/tokens/revoke', admin, { token_id: pat.id })).status).to.equal(200);
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).to.equal('SIGKILL');
      expect(service.received.map((e) => e.event)).not.to.include('token.revoked');

      service.setDown(false);
      const second = await startCli(args);
      try {
        service.setMattermost(second.url);
        await until(() => service.received.some((e) => e.event === 'token.revoked'), 'token.revoked delivered by the next start');
        expect(service.resets).to.deep.equal(['source', 'boot']);
        expect(await service.get(pat.token)).to.equal(401);
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    } finally {
      if (env === undefined) delete process.env.MM_PAT_WEBHOOK_SECRET; else process.env.MM_PAT_WEBHOOK_SECRET = env;
    }
  });
});
