/**
 * What every route module of the mock server receives: the store, the hook bus, the log buffer,
 * the session guards (the middleware's `authenticate()`), and a clock. Route modules export
 * `function <area>Routes(router: Router, server: MockContext): void` and never touch lowdb:
 * they call services (`mock-server/services/*`) which use `server.store`.
 */
import type { Middleware } from 'koa';
import type { ServiceContext } from './services/context.js';

/** In-memory server log (`GET /api/v4/logs`): newest last, bounded. */
export interface LogBuffer {
  /** Append one line (already formatted, never containing a secret). */
  write(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
  /** Lines, oldest first; `page`/`perPage` as Mattermost's `logs_per_page`. */
  lines(page?: number, perPage?: number): string[];
  readonly size: number;
}

/** A {@link ServiceContext} plus what only the HTTP side needs. */
export interface MockContext extends ServiceContext {
  readonly logs: LogBuffer;
  /** `authenticate()` for APISessionRequired routes: missing or bad token → 401. */
  readonly requireSession: Middleware;
  /** `authenticate()` for APIHandler routes (login, ping): a bad token is ignored. */
  readonly optionalSession: Middleware;
}
