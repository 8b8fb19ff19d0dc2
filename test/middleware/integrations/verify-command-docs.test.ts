/**
 * The docs cannot rot: the snippet in docs/integrations.md that mounts verifyCommand() next to
 * authenticate() is extracted, compiled and run: a PAT reaches /api/me, the command token is
 * refused there and accepted on the Mattermost routes.
 */
import { expect } from 'chai';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type Koa from 'koa';
import type { TokenStore } from '../../../middleware/types.js';
import { listen } from '../../support/koa-harness.js';
import { memoryTokenStore } from '../../support/memory-token-store.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const COMMAND_TOKEN = 'x4ofdusg3tgbjbgb8z1srcw6ec';

describe('docs/integrations.md: verifyCommand next to authenticate()', () => {
  let dir: string;
  // Inside the repository (its git-ignored tmp/), so the snippet resolves koa and @koa/router.
  before(async () => {
    await mkdir(join(ROOT, 'tmp'), { recursive: true });
    dir = await mkdtemp(join(ROOT, 'tmp', 'docs-snippet-'));
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it('the snippet runs as documented', async () => {
    const doc = await readFile(join(ROOT, 'docs/integrations.md'), 'utf8');
    const snippet = /```ts\n([\s\S]*?verifyCommand[\s\S]*?)```/.exec(doc)?.[1];
    expect(snippet, 'a ```ts block using verifyCommand').to.be.a('string');
    const source = snippet!.replaceAll("from 'mattermost-pat'", `from '${pathToFileURL(join(ROOT, 'middleware/index.ts')).href}'`);
    const file = join(dir, 'snippet.mts');
    await writeFile(file, source);
    const { buildApp } = await import(pathToFileURL(file).href) as { buildApp: (store: TokenStore, tokens: () => string[]) => Koa };

    const store = memoryTokenStore();
    const user = store.addUser({ username: 'alice' });
    const { secret } = store.addToken(user.id);
    const h = await listen(buildApp(store, () => [COMMAND_TOKEN]));
    try {
      expect((await h.http.get('/api/me').set('Authorization', `Bearer ${secret}`)).body).to.deep.equal({ username: 'alice' });
      expect((await h.http.get('/api/me').set('Authorization', `Token ${COMMAND_TOKEN}`)).status).to.equal(401);
      const deploy = await h.http.post('/mattermost/deploy').set('Authorization', `Token ${COMMAND_TOKEN}`).type('form')
        .send(new URLSearchParams({ token: COMMAND_TOKEN, command: '/deploy', text: 'api', user_name: 'alice' }).toString());
      expect(deploy.body).to.deep.equal({ response_type: 'in_channel', text: '@alice deploys api' });
      const outgoing = await h.http.post('/mattermost/outgoing').send({ token: COMMAND_TOKEN, trigger_word: 'deploy', text: 'deploy now' });
      expect(outgoing.body).to.deep.equal({ text: 'seen: deploy' });
      expect((await h.http.post('/mattermost/deploy').set('Authorization', `Bearer ${secret}`).send({})).status).to.equal(401);
    } finally {
      await h.close();
    }
  });
});
