/**
 * Mattermost's "Personal access tokens" guide, every step clicked in a real browser (Debian's
 * chromium) against the mock's web console, in the guide's order. After each step the effect is
 * checked from outside the page through the REST API (config flag, roles string, the token's
 * `is_active` or its absence, the user's `delete_at`), and the token copied from the page is used
 * as `Authorization: Bearer` on `GET /api/v4/users/me`.
 *
 * Two browser contexts: the system admin's and the user's. The mock starts with personal access
 * tokens off, so the guide's first step visibly turns them on, and with strict CSRF enforcement,
 * so `X-Requested-With` alone would not let the page's cookie requests through.
 */
import { expect } from 'chai';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { defaultSeed, type MockServer } from '../../mock-server/index.js';
import { startMockServer } from '../support/fast-seed-mock.js';
import { launchChromium, rest, restLogin, SCREENSHOT_DIR, watchPage, type PageWatch } from './support.js';

interface TokenJson { id: string; user_id: string; description: string; is_active: boolean }
interface UserJson { id: string; username: string; roles: string; delete_at: number }

describe('console: the personal access tokens guide, clicked in chromium', function () {
  this.timeout(30_000);

  let mock: MockServer;
  let browser: Browser;
  let adminContext: BrowserContext;
  let userContext: BrowserContext;
  let admin: Page;
  let user: Page;
  const watches: PageWatch[] = [];
  /** Refusals the walk provokes on purpose; each shows in the page, and chromium logs it as a network error. */
  const provoked: Array<{ status: number; path: RegExp }> = [];
  let adminToken: string;
  let userId: string;
  /** Secrets copied from the page, by description. */
  const secrets = new Map<string, string>();
  const tokenIds = new Map<string, string>();

  const shot = (page: Page, name: string) => page.screenshot({ path: `${SCREENSHOT_DIR}/${name}.png`, fullPage: true });
  const me = (token: string) => rest(mock.url, 'GET', '/users/me', { token });
  const tokensOf = async (id: string) => (await rest(mock.url, 'GET', `/users/${id}/tokens?per_page=200`, { token: adminToken })).body as TokenJson[];
  const userById = async (id: string) => (await rest(mock.url, 'GET', `/users/${id}`, { token: adminToken })).body as UserJson;

  async function signIn(page: Page, username: string, password: string): Promise<void> {
    await page.getByLabel('Email or Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText(`Signed in as @${username}`).waitFor();
  }

  async function sessionCookie(context: BrowserContext): Promise<{ value: string; httpOnly: boolean } | undefined> {
    return (await context.cookies(mock.url)).find((c) => c.name === 'MMAUTHTOKEN');
  }

  /** The token list entry naming `tokenId`. */
  const tokenItem = (page: Page, tokenId: string): Locator => page.getByRole('main').getByRole('listitem').filter({ hasText: tokenId });

  async function openUserMenu(username: string): Promise<void> {
    await admin.getByRole('button', { name: `Actions for @${username}` }).click();
  }

  /** Users screen, search `term` (a username, or a token id of user-1's); the row of user-1. */
  async function searchUser(term: string): Promise<Locator> {
    await admin.getByRole('link', { name: 'Users' }).click();
    await admin.getByLabel('Search users').fill(term);
    await admin.getByLabel('Search users').press('Enter');
    const row = admin.getByRole('row').filter({ hasText: '@user-1' });
    await row.waitFor();
    return row;
  }

  before(async function () {
    this.timeout(60_000);
    const seed = defaultSeed();
    mock = await startMockServer({ port: 0, inMemory: true, seed: {
      ...seed,
      // Tokens off, so step 1 turns them on; strict CSRF, so every cookie write must carry the session's X-CSRF-Token.
      config: { ServiceSettings: { EnableUserAccessTokens: false, ExperimentalStrictCSRFEnforcement: true } },
    } });
    browser = await launchChromium();
    const origin = new URL(mock.url).origin;
    adminContext = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    userContext = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    await userContext.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    admin = await adminContext.newPage();
    user = await userContext.newPage();
    for (const page of [admin, user]) page.setDefaultTimeout(8_000);
    watches.push(watchPage(admin, origin), watchPage(user, origin));
    adminToken = await restLogin(mock.url, 'sysadmin', 'Sys@dmin-sample1');
    userId = mock.seeded.users['user-1']?.id ?? '';
    expect(userId).to.match(/^[a-z0-9]{26}$/);
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    const name = (this.currentTest.title.split('.')[0] ?? 'step').replace(/\W+/g, '-');
    await Promise.all([shot(admin, `failed-${name}-admin`), shot(user, `failed-${name}-user`)]).catch(() => undefined);
  });

  after(async () => {
    await browser?.close();
    await mock?.close();
  });

  it('1. System Console > Integrations > Integration Management: Enable Personal Access Tokens', async () => {
    await admin.goto(`${mock.url}/`);
    await signIn(admin, 'sysadmin', 'Sys@dmin-sample1');
    const cookie = await sessionCookie(adminContext);
    expect(cookie?.httpOnly, 'login sets the HttpOnly MMAUTHTOKEN cookie').to.equal(true);

    // Tokens are off: creating one answers 501, and the page says so in words.
    await admin.getByRole('button', { name: 'Create Token' }).click();
    await admin.getByLabel('Token Description').fill('too early');
    await admin.getByRole('button', { name: 'Save' }).click();
    const confirm = admin.getByRole('dialog', { name: 'Create System Admin Personal Access Token' });
    await confirm.getByText('You are generating a personal access token with System Admin permissions.').waitFor();
    await confirm.getByRole('button', { name: 'Yes, Create' }).click();
    provoked.push({ status: 501, path: /^\/api\/v4\/users\/[a-z0-9]{26}\/tokens$/ });
    await confirm.getByRole('alert').getByText('Personal access tokens are disabled on this server').waitFor();
    expect(await confirm.getByRole('alert').textContent()).to.contain('501 Not Implemented').and.contain('app.user_access_token.disabled');
    await confirm.getByRole('button', { name: 'Cancel' }).click();

    await admin.getByRole('link', { name: 'Integration Management' }).click();
    const toggle = admin.getByRole('switch', { name: 'Enable Personal Access Tokens' });
    expect(await toggle.isChecked()).to.equal(false);
    await toggle.check();
    await admin.getByRole('button', { name: 'Save' }).click();
    await admin.getByRole('status').getByText('Saved: personal access tokens are enabled.').waitFor();
    await shot(admin, '01-integration-management');

    const config = (await rest(mock.url, 'GET', '/config', { token: adminToken })).body as { ServiceSettings: { EnableUserAccessTokens: boolean } };
    expect(config.ServiceSettings.EnableUserAccessTokens).to.equal(true);
  });

  it('2. System Console > User Management > Users: search the user, Manage Roles, allow personal access tokens and post:all, Save', async () => {
    // Before the grant, the user is refused: 403 in words.
    await user.goto(`${mock.url}/`);
    await signIn(user, 'user-1', 'SampleUs@r-1');
    await user.getByRole('button', { name: 'Create Token' }).click();
    await user.getByLabel('Token Description').fill('not allowed yet');
    await user.getByRole('button', { name: 'Save' }).click();
    // user-1 may neither create nor list tokens yet: both answers are 403, both shown.
    provoked.push({ status: 403, path: /^\/api\/v4\/users\/[a-z0-9]{26}\/tokens(\?.*)?$/ });
    const refusal = user.getByRole('alert');
    await refusal.getByText('You do not have the appropriate permissions.').waitFor();
    expect(await refusal.textContent()).to.contain('403 Forbidden').and.contain('api.context.permissions.app_error');
    expect(await tokensOf(userId)).to.deep.equal([]);

    const row = await searchUser('user-1');
    expect(await row.getByLabel('Roles of @user-1').textContent()).to.equal('system_user');
    await openUserMenu('user-1');
    await admin.getByRole('menuitem', { name: 'Manage Roles' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Manage Roles' });
    await dialog.getByRole('checkbox', { name: 'Allow this account to generate personal access tokens' }).check();
    await dialog.getByRole('checkbox', { name: /post:all/ }).check();
    expect(await dialog.getByRole('checkbox', { name: /post:channels/ }).isChecked(), 'post:all implies post:channels').to.equal(true);
    await shot(admin, '02-manage-roles');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row.getByLabel('Roles of @user-1').getByText('system_user system_user_access_token system_post_all').waitFor();

    expect((await userById(userId)).roles).to.equal('system_user system_user_access_token system_post_all');
  });

  it('3. Sign in as that user (log out, log in: the cookie goes and comes)', async () => {
    const before = await sessionCookie(userContext);
    expect(before?.value).to.be.a('string');
    expect((await me(before?.value ?? '')).status).to.equal(200);
    await user.getByRole('button', { name: 'Log out' }).click();
    await user.getByRole('button', { name: 'Log in' }).waitFor();
    expect(await sessionCookie(userContext), 'logout clears MMAUTHTOKEN').to.equal(undefined);
    expect((await me(before?.value ?? '')).status, 'the logged-out session is refused').to.equal(401);

    await signIn(user, 'user-1', 'SampleUs@r-1');
    const after = await sessionCookie(userContext);
    const answer = await me(after?.value ?? '');
    expect(answer.status).to.equal(200);
    expect((answer.body as UserJson).username).to.equal('user-1');
  });

  it('4. Profile > Security > Personal Access Tokens: Create Token, a description, Save; copy the token (shown once)', async () => {
    await user.getByRole('link', { name: 'Security' }).click();
    for (const description of ['ci-deploy', 'chat-bot', 'nightly-report']) {
      await user.getByRole('button', { name: 'Create Token' }).click();
      await user.getByLabel('Token Description').fill(description);
      await user.getByRole('button', { name: 'Save' }).click();
      const created = user.getByRole('region', { name: 'New personal access token' });
      await created.getByText("Please copy the access token below. You won't be able to see it again!").waitFor();
      await created.getByText(`Token Description: ${description}`).waitFor();
      await created.getByRole('button', { name: 'Copy' }).click();
      await created.getByRole('status').getByText('Copied to the clipboard.').waitFor();
      // Expressions as strings: the tests' TypeScript has no DOM types.
      const copied = await user.evaluate<string>('navigator.clipboard.readText()');
      expect(copied).to.equal(await created.getByLabel('Access Token').textContent());
      expect(copied).to.match(/^[a-z0-9]{26}$/);
      if (description === 'ci-deploy') await shot(user, '04-token-created');

      const answer = await me(copied);
      expect(answer.status, `${description}: the copied token authenticates`).to.equal(200);
      expect((answer.body as UserJson).username).to.equal('user-1');
      const listed = (await tokensOf(userId)).find((t) => t.description === description);
      expect(listed?.is_active).to.equal(true);
      expect(await created.textContent()).to.contain(listed?.id);
      secrets.set(description, copied);
      tokenIds.set(description, listed?.id ?? '');
    }

    // Leave the page and come back: the list shows ids and status, and no secret anywhere.
    await user.goto('about:blank');
    await user.goto(`${mock.url}/#/profile/security`);
    for (const id of tokenIds.values()) await tokenItem(user, id).getByText('Active').waitFor();
    const html = await user.content();
    for (const secret of secrets.values()) expect(html).not.to.contain(secret);
    await shot(user, '04-token-list');
  });

  it('5. Delete a token, with a confirmation: it is refused from then on', async () => {
    const id = tokenIds.get('ci-deploy') ?? '';
    await tokenItem(user, id).getByRole('button', { name: 'Delete' }).click();
    const dialog = user.getByRole('dialog', { name: 'Delete Token?' });
    await dialog.getByText('Any integrations using this token will no longer be able to access the Mattermost API.').waitFor();
    expect(await dialog.textContent()).to.contain('ci-deploy');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await me(secrets.get('ci-deploy') ?? '')).status, 'Cancel deletes nothing').to.equal(200);

    await tokenItem(user, id).getByRole('button', { name: 'Delete' }).click();
    await user.getByRole('dialog', { name: 'Delete Token?' }).getByRole('button', { name: 'Yes, Delete' }).click();
    await tokenItem(user, id).waitFor({ state: 'detached' });

    expect((await tokensOf(userId)).map((t) => t.id)).not.to.include(id);
    expect((await me(secrets.get('ci-deploy') ?? '')).status).to.equal(401);
  });

  it('6. Deactivate a token (confirmed) and activate it again', async () => {
    const id = tokenIds.get('chat-bot') ?? '';
    const item = tokenItem(user, id);
    await item.getByRole('button', { name: 'Deactivate' }).click();
    const dialog = user.getByRole('dialog', { name: 'Deactivate Token?' });
    expect(await dialog.textContent()).to.contain('chat-bot');
    await dialog.getByRole('button', { name: 'Yes, Deactivate' }).click();
    await item.getByText('Inactive').waitFor();
    await shot(user, '06-token-inactive');
    expect((await rest(mock.url, 'GET', `/users/tokens/${id}`, { token: adminToken })).body).to.include({ is_active: false });
    expect((await me(secrets.get('chat-bot') ?? '')).status).to.equal(401);

    await item.getByRole('button', { name: 'Activate' }).click();
    await item.getByText('Active', { exact: true }).waitFor();
    expect((await rest(mock.url, 'GET', `/users/tokens/${id}`, { token: adminToken })).body).to.include({ is_active: true });
    expect((await me(secrets.get('chat-bot') ?? '')).status).to.equal(200);
  });

  it('7. System Console > User Management > Users > Manage Tokens > Delete', async () => {
    const id = tokenIds.get('nightly-report') ?? '';
    // Search by token id finds the token's owner (the Integration Management help says so).
    const row = await searchUser(id);
    expect(await row.getByLabel('Roles of @user-1').count()).to.equal(1);
    await admin.getByRole('status').getByText(`Owner of token ${id}.`).waitFor();
    await openUserMenu('user-1');
    await admin.getByRole('menuitem', { name: 'Manage Tokens' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Manage Personal Access Tokens' });
    await tokenItem(admin, id).waitFor();
    expect(await dialog.getByRole('listitem').count(), 'the deleted token is not listed').to.equal(2);
    await shot(admin, '07-manage-tokens');
    await tokenItem(admin, id).getByRole('button', { name: 'Delete' }).click();
    await tokenItem(admin, id).waitFor({ state: 'detached' });
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await dialog.waitFor({ state: 'detached' });

    expect((await tokensOf(userId)).map((t) => t.id)).to.deep.equal([tokenIds.get('chat-bot')]);
    expect((await me(secrets.get('nightly-report') ?? '')).status).to.equal(401);
  });

  it('8. System Console > Logs: the misbehaving token\'s lines, found by its id', async () => {
    // chat-bot's integration kept calling while its token was inactive (step 6): refused and logged.
    const id = tokenIds.get('chat-bot') ?? '';
    const lines = (await rest(mock.url, 'GET', '/logs', { token: adminToken })).body as string[];
    expect(lines.filter((l) => l.includes(id) && l.includes('token refused'))).to.have.length.greaterThan(0);

    await admin.getByRole('link', { name: 'Logs' }).click();
    await admin.getByLabel('Search logs').fill(id);
    const shown = admin.getByRole('list', { name: 'Log lines' }).getByRole('listitem');
    await shown.filter({ hasText: 'token refused' }).first().waitFor();
    const texts = await shown.allTextContents();
    for (const text of texts) expect(text).to.contain(id);
    expect(texts.some((t) => t.includes('"reason":"token_disabled"')), 'the refusal says why').to.equal(true);
    expect(texts.some((t) => t.includes('personal access token created'))).to.equal(true);
    expect(texts.some((t) => t.includes('personal access token disabled'))).to.equal(true);
    const status = await admin.getByRole('status').textContent();
    const [, count, total] = /(\d+) of (\d+) lines/.exec(status ?? '') ?? [];
    expect(Number(count)).to.equal(texts.length);
    expect(Number(total)).to.be.greaterThan(texts.length);
    await shot(admin, '08-logs');
  });

  it('9. Deactivate the user, then reactivate them: the token works again (by keyboard)', async () => {
    const secret = secrets.get('chat-bot') ?? '';
    await searchUser('user-1');
    // The menu and the dialog by keyboard: Enter opens, arrows move, focus stays in the dialog.
    await admin.getByRole('button', { name: 'Actions for @user-1' }).focus();
    await admin.keyboard.press('Enter');
    await admin.waitForFunction("document.activeElement?.getAttribute('role') === 'menuitem'");
    expect(await admin.evaluate('document.activeElement?.textContent')).to.equal('Manage Roles');
    await admin.keyboard.press('ArrowDown');
    await admin.keyboard.press('ArrowDown');
    expect(await admin.evaluate('document.activeElement?.textContent')).to.equal('Deactivate');
    await admin.keyboard.press('Enter');
    const dialog = admin.getByRole('dialog', { name: 'Deactivate @user-1' });
    await dialog.waitFor();
    for (let i = 0; i < 6; i++) {
      await admin.keyboard.press('Tab');
      expect(await admin.evaluate("document.activeElement?.closest('dialog') !== null"), 'focus stays in the dialog').to.equal(true);
    }
    // Escape cancels and gives focus back to the menu button; then the same path again, for real.
    await admin.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await admin.waitForFunction("document.activeElement?.getAttribute('aria-label') === 'Actions for @user-1'");
    expect((await userById(userId)).delete_at, 'Escape deactivates nobody').to.equal(0);
    await admin.keyboard.press('Enter');
    await admin.waitForFunction("document.activeElement?.getAttribute('role') === 'menuitem'");
    await admin.keyboard.press('ArrowUp');
    expect(await admin.evaluate('document.activeElement?.textContent')).to.equal('Deactivate');
    await admin.keyboard.press('Enter');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Deactivate' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = admin.getByRole('row').filter({ hasText: '@user-1' });
    await row.getByText('Deactivated').waitFor();
    await shot(admin, '09-user-deactivated');
    expect((await userById(userId)).delete_at).to.be.greaterThan(0);
    expect((await me(secret)).status, 'a deactivated user\'s token is refused').to.equal(401);
    // The user's own browser session went with the deactivation: the next request says so and shows the login form.
    await user.getByRole('button', { name: 'Create Token' }).click();
    await user.getByLabel('Token Description').fill('after deactivation');
    await user.getByRole('button', { name: 'Save' }).click();
    provoked.push({ status: 401, path: /^\/api\/v4\/users\/[a-z0-9]{26}\/tokens(\?.*)?$/ });
    await user.getByRole('status').getByText('Please log in again').waitFor();
    await user.getByRole('button', { name: 'Log in' }).waitFor();

    await openUserMenu('user-1');
    await admin.getByRole('menuitem', { name: 'Activate' }).click();
    await row.getByText('Active', { exact: true }).waitFor();
    expect((await userById(userId)).delete_at).to.equal(0);
    expect((await me(secret)).status, 'the token works again').to.equal(200);
    await signIn(user, 'user-1', 'SampleUs@r-1');
    await tokenItem(user, tokenIds.get('chat-bot') ?? '').getByText('Active', { exact: true }).waitFor();
  });

  it('every write the page sent carried X-Requested-With and, once signed in, the session\'s CSRF token', () => {
    const writes = watches.flatMap((w) => w.writes);
    expect(writes.length).to.be.greaterThan(15);
    for (const write of writes) {
      expect(write.requestedWith, `${write.method} ${write.path}`).to.equal('XMLHttpRequest');
      if (write.path !== '/api/v4/users/login') expect(write.csrf, `${write.method} ${write.path}`).to.match(/^[a-z0-9]{26}$/);
    }
    expect(writes.map((w) => `${w.method} ${w.path}`)).to.include.members([
      'POST /api/v4/users/login', 'POST /api/v4/users/logout', 'PUT /api/v4/config/patch', `PUT /api/v4/users/${userId}/roles`,
      `POST /api/v4/users/${userId}/tokens`, 'POST /api/v4/users/tokens/revoke', 'POST /api/v4/users/tokens/disable',
      'POST /api/v4/users/tokens/enable', `PUT /api/v4/users/${userId}/active`,
    ]);
  });

  it('the walk made no request to another origin and raised no console error but the provoked refusals', async () => {
    for (const watch of watches) expect(watch.foreign).to.deep.equal([]);
    // A server without Mattermost's user list and search answers those routes 404; the Users
    // screen then falls back to exact username and token id (and says so on the page).
    const hasUserList = (await rest(mock.url, 'GET', '/users?per_page=1', { token: adminToken })).status === 200;
    if (!hasUserList) provoked.push({ status: 404, path: /^\/api\/v4\/users(\/search|\?.*)$/ });
    const failures = watches.flatMap((w) => w.failures);
    for (const failure of failures) {
      expect(provoked.some((p) => p.status === failure.status && p.path.test(failure.path)), `unexpected ${JSON.stringify(failure)}`).to.equal(true);
    }
    for (const p of provoked) expect(failures.some((f) => f.status === p.status && p.path.test(f.path)), `provoked ${p.status} ${p.path} seen`).to.equal(true);
    const errors = watches.flatMap((w) => w.errors);
    const networkErrors = errors.filter((e) => /^Failed to load resource: the server responded with a status of \d+/.test(e));
    expect(errors.filter((e) => !networkErrors.includes(e)), 'console errors other than the provoked refusals').to.deep.equal([]);
    expect(networkErrors).to.have.length(failures.length);
  });
});
