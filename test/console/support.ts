/**
 * Helpers of the console's browser tests: Debian's chromium driven by playwright-core (never a
 * downloaded browser), a REST client that checks every step's effect from outside the page, and
 * a watch on each page for requests to other origins and console errors.
 */
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where the walk's screenshots go (gitignored; chosen ones are copied to docs/console/). */
export const SCREENSHOT_DIR = 'test-results/console';

/**
 * Launch Debian's chromium headless, with every background service that would phone home off.
 * @example
 * ```ts
 * const browser = await launchChromium();
 * ```
 */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** What a page did that the walk forbids. */
export interface PageWatch {
  /** URLs requested outside the mock's origin. */
  readonly foreign: string[];
  /** Console messages of type error and uncaught exceptions. */
  readonly errors: string[];
  /** Answers with status ≥ 400 the page received (chromium logs each one as a console error). */
  readonly failures: Array<{ status: number; method: string; path: string }>;
  /** Every non-GET API request, with the two headers the cookie path's CSRF rule reads. */
  readonly writes: Array<{ method: string; path: string; requestedWith: string | undefined; csrf: string | undefined }>;
}

/**
 * Record every request to another origin and every console error of `page`.
 * @example
 * ```ts
 * const watch = watchPage(page, mock.url);
 * expect(watch.foreign).to.deep.equal([]);
 * ```
 */
export function watchPage(page: Page, origin: string): PageWatch {
  const watch: PageWatch = { foreign: [], errors: [], failures: [], writes: [] };
  page.on('response', (response) => {
    if (response.status() < 400) return;
    const url = new URL(response.url());
    watch.failures.push({ status: response.status(), method: response.request().method(), path: url.pathname + url.search });
  });
  page.on('request', (request) => {
    const url = request.url();
    const parsed = new URL(url);
    if (parsed.origin !== origin) watch.foreign.push(url);
    else if (request.method() !== 'GET' && parsed.pathname.startsWith('/api/v4/')) {
      const headers = request.headers();
      watch.writes.push({ method: request.method(), path: parsed.pathname, requestedWith: headers['x-requested-with'], csrf: headers['x-csrf-token'] });
    }
  });
  page.on('console', (message) => {
    if (message.type() === 'error') watch.errors.push(message.text());
  });
  page.on('pageerror', (err) => watch.errors.push(`uncaught: ${err.message}`));
  return watch;
}

/** A REST answer: status and parsed JSON body. */
export interface RestAnswer {
  readonly status: number;
  /** Parsed JSON (`{}` for an empty body); each test casts it to the shape it asserts on. */
  readonly body: unknown;
}

/**
 * Call the mock's REST API from outside the browser with a Bearer token.
 * @example
 * ```ts
 * const me = await rest(mock.url, 'GET', '/users/me', { token });
 * ```
 */
export async function rest(base: string, method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<RestAnswer> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${base}/api/v4${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as unknown) };
}

/**
 * Log in over REST (no cookies): the session token from the `Token` header.
 * @example
 * ```ts
 * const adminToken = await restLogin(mock.url, 'sysadmin', 'Sys@dmin-sample1');
 * ```
 */
export async function restLogin(base: string, loginId: string, password: string): Promise<string> {
  const res = await fetch(`${base}/api/v4/users/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ login_id: loginId, password }),
  });
  const token = res.headers.get('Token');
  if (res.status !== 200 || token === null) throw new Error(`login of ${loginId} answered ${res.status}`);
  return token;
}
