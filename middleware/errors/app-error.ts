/**
 * The error mechanism: {@link AppError} carries a registry id, its HTTP status and rendered
 * message; one boundary (`errorBoundary()`) renders any AppError as Mattermost's JSON error body.
 * The middleware's own ids are in `registry.ts`; an application adds its ids with
 * {@link defineErrors}, which returns an AppError class bound to the merged table (the mock server
 * does this in `mock-server/errors.ts`).
 *
 * @example
 * ```ts
 * import { defineErrors } from 'mattermost-pat';
 * const AppError = defineErrors({ 'app.widget.missing.app_error': { status: 404, message: 'No widget {{.Name}}.' } });
 * throw new AppError('app.widget.missing.app_error', { params: { Name: 'w1' } });
 * ```
 */
import { ERRORS, type ErrorId } from './registry.js';

/** An id's HTTP status and English message template (`{{.Name}}` placeholders). */
export interface ErrorDefinition {
  readonly status: number;
  readonly message: string;
}

/** A registry: error id → definition. */
export type ErrorTable = Readonly<Record<string, ErrorDefinition>>;

export interface AppErrorOptions {
  /** Values for `{{.Name}}`-style placeholders in the message. */
  params?: Record<string, string | number>;
  /** Developer detail (e.g. `userId=…, permission=…`). Rendered only in developer mode. */
  detailed?: string;
  /** Override the registry status (Mattermost does this in a few places). */
  status?: number;
  /** Extra response headers (e.g. `WWW-Authenticate`, `Retry-After`). */
  headers?: Record<string, string>;
  /** Internal cause, never rendered. */
  cause?: unknown;
}

/** Mattermost's JSON error body, keys in Go struct order. */
export interface AppErrorBody {
  id: string;
  message: string;
  detailed_error: string;
  request_id?: string;
  status_code?: number;
  is_oauth?: boolean;
}

/** Render a Mattermost message template: `{{.Name}}` -> params.Name. */
export function renderMessage(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (whole, key: string) =>
    Object.prototype.hasOwnProperty.call(params, key) ? String(params[key]) : whole);
}

/**
 * A Mattermost error: a registry id, its status and message. Throw it from any handler or
 * middleware; `errorBoundary()` renders it. `AppError` itself takes the middleware's ids
 * ({@link ErrorId}); a class from {@link defineErrors} takes an application's ids as well. `Id`
 * is the closed union of ids, so `switch (err.id)` narrows.
 */
export class AppError<Id extends string = ErrorId> extends Error {
  /** The table this class looks ids up in; {@link defineErrors} classes override it. */
  static readonly errors: ErrorTable = ERRORS;
  readonly id: Id;
  readonly status: number;
  readonly detailed: string;
  readonly params: Record<string, string | number>;
  readonly headers: Record<string, string>;
  /** Koa convention: the message is safe to show to clients. */
  readonly expose = true;

  // NoInfer: the id is checked against `Id` (the registry), never widens it.
  constructor(id: NoInfer<Id>, options: AppErrorOptions = {}) {
    const table = (new.target as unknown as { readonly errors: ErrorTable }).errors;
    const def = Object.hasOwn(table, id) ? table[id] : undefined;
    if (def === undefined) throw new TypeError(`unknown error id: ${id}`);
    super(renderMessage(def.message, options.params), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.id = id;
    this.status = options.status ?? def.status;
    this.detailed = options.detailed ?? '';
    this.params = options.params ?? {};
    this.headers = options.headers ?? {};
  }
}

/** An AppError class bound to a registry (what {@link defineErrors} returns). */
export interface AppErrorClass<Id extends string> {
  new (id: Id, options?: AppErrorOptions): AppError<Id>;
  /** The merged table: the middleware's ids and the application's. */
  readonly errors: Readonly<Record<Id, ErrorDefinition>>;
}

/**
 * Define an application's error ids on top of the middleware's. The returned class takes both
 * sets of ids; its errors are AppErrors, so `isAppError()` and `errorBoundary()` treat them alike.
 * Redefining a middleware id throws (one id, one meaning).
 */
export function defineErrors<const T extends ErrorTable>(table: T): AppErrorClass<ErrorId | (keyof T & string)> {
  for (const id of Object.keys(table)) {
    if (Object.hasOwn(ERRORS, id)) throw new TypeError(`${id} is already a middleware error id`);
  }
  const errors = Object.freeze({ ...ERRORS, ...table });
  return class extends AppError<ErrorId | (keyof T & string)> {
    static override readonly errors: ErrorTable = errors;
  } as AppErrorClass<ErrorId | (keyof T & string)>;
}

/** True for an AppError of any registry (the middleware's or one from {@link defineErrors}). */
export function isAppError(err: unknown): err is AppError<string> {
  return err instanceof AppError;
}
