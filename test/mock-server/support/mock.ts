/**
 * Test helpers for the mock server: an in-memory mock behind supertest, login, token creation,
 * and an assertion for Mattermost error bodies.
 */
import { expect } from 'chai';
import request from 'supertest';
import type { Response } from 'supertest';
import type { MockApp, MockServerOptions } from '../../../mock-server/index.js';
import { createMockApp } from '../../support/fast-seed-mock.js';

export const API = '/api/v4';

export interface TestMock {
  mock: MockApp;
  http: ReturnType<typeof request>;
  /** Login session token of sysadmin. */
  admin: string;
  /** Login session token of user-1 (roles: system_user). */
  user: string;
  adminId: string;
  userId: string;
}

/** An in-memory mock with the default seed (or `options.seed`), logged in as sysadmin and user-1. */
export async function startTestMock(options: MockServerOptions = {}): Promise<TestMock> {
  const mock = await createMockApp({ inMemory: true, ...options });
  const http = request(mock.app.callback());
  const { sysadmin, user1 } = mock.seeded;
  const admin = await login(http, sysadmin.username, sysadmin.password);
  const user = await login(http, user1.username, user1.password);
  return { mock, http, admin, user, adminId: sysadmin.id, userId: user1.id };
}

/** Log in; returns the session token from the `Token` header. */
export async function login(http: ReturnType<typeof request>, loginId: string, password: string): Promise<string> {
  const res = await http.post(`${API}/users/login`).send({ login_id: loginId, password });
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  const token = res.headers.token;
  expect(token).to.be.a('string').with.lengthOf(26);
  return token as string;
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Give a user roles through the admin API. */
export async function setRoles(t: TestMock, userId: string, roles: string): Promise<void> {
  const res = await t.http.put(`${API}/users/${userId}/roles`).set(bearer(t.admin)).send({ roles });
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
}

/** Create a token (as `session`) for `userId`; returns the full JSON. */
export async function createPat(t: TestMock, session: string, userId = 'me', body: Record<string, unknown> = { description: 'test token' }): Promise<{ id: string; token: string; user_id: string }> {
  const res = await t.http.post(`${API}/users/${userId}/tokens`).set(bearer(session)).send(body);
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body as { id: string; token: string; user_id: string };
}

/** GET /users/me status with `token`. */
export async function meStatus(t: TestMock, token: string): Promise<number> {
  return (await t.http.get(`${API}/users/me`).set(bearer(token))).status;
}

/** Assert a Mattermost error body: status, id, exact Content-Type, all five keys. */
export function expectError(res: Response, status: number, id: string): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.headers['content-type']).to.equal('application/json');
  expect(res.body).to.have.all.keys('id', 'message', 'detailed_error', 'request_id', 'status_code');
  expect(res.body.id).to.equal(id);
  expect(res.body.status_code).to.equal(status);
  expect(res.body.request_id).to.equal(res.headers['x-request-id']);
}

/** Assert a 403 permission error naming `permission` (needs developerMode for the detail). */
export function expectPermission(res: Response, permission: string): void {
  expectError(res, 403, 'api.context.permissions.app_error');
  expect(res.body.detailed_error).to.match(new RegExp(`permission=${permission}(,|$)`));
}

/** A valid id that names nothing. */
export const UNKNOWN_ID = 'aaaaaaaaaaaaaaaaaaaaaaaaaa';
