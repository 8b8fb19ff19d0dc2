/**
 * `verifyCommand()`: the middleware for the other side of a slash command or an outgoing webhook.
 * Mattermost calls your service with the integration's token: `Authorization: Token <token>` and a
 * `token` field (slash commands: a form POST, or a GET with the fields in the query), or only the
 * `token` field (outgoing webhooks: a form, or JSON). That token is not a personal access token,
 * so `authenticate()` refuses it; mount `verifyCommand()` on the route Mattermost calls instead.
 *
 * It reads the fields (form, JSON or query; the body bounded by `limit`), checks the token
 * against the tokens you configured, in constant time (`safeEqual`, every token compared), and
 * puts the typed request on `ctx.state.command`. A missing or unknown token, or a header token
 * that differs from the body's, is refused exactly as `authenticate()` refuses: 401
 * `api.context.session_expired.app_error` with `WWW-Authenticate`, the line `authentication
 * refused` (reason, source, path, method, request id: never the token), and `onRefused`.
 *
 * @example
 * ```ts
 * import Koa from 'koa';
 * import Router from '@koa/router';
 * import { errorBoundary, requestId, verifyCommand } from 'mattermost-pat';
 * const app = new Koa();
 * const router = new Router();
 * app.use(requestId());
 * app.use(errorBoundary());
 * router.post('/deploy', verifyCommand({ tokens: [process.env.DEPLOY_COMMAND_TOKEN ?? ''] }), (ctx) => {
 *   const { userName, text } = ctx.state.command!;
 *   ctx.body = { response_type: 'in_channel', text: `@${userName} deploys ${text}` };
 * });
 * app.use(router.routes());
 * ```
 */
import type Koa from 'koa';
import { safeEqual } from '../util/digest.js';
import { AppError } from '../errors/app-error.js';
import { bearerChallenge } from '../auth/principal.js';
import { silentLogger, type Logger } from '../logger.js';

/** Where the token was found. */
export type CommandTokenSource = 'header-token' | 'form' | 'json' | 'query';

/** Why a request was refused. */
export type CommandRefusalReason = 'missing' | 'unknown_token' | 'token_mismatch';

/** What Mattermost sent, typed (`ctx.state.command`). Absent fields are ''. */
export interface CommandRequest {
  /** `slash_command` when a `command` field is present, else `outgoing_webhook`. */
  readonly kind: 'slash_command' | 'outgoing_webhook';
  readonly token: string;
  readonly teamId: string;
  readonly teamDomain: string;
  readonly channelId: string;
  readonly channelName: string;
  readonly userId: string;
  readonly userName: string;
  /** The text after the trigger (slash command) or the whole message (outgoing webhook). */
  readonly text: string;
  /** Slash commands: `/trigger`. */
  readonly command: string;
  /** Slash commands: where delayed replies go. */
  readonly responseUrl: string;
  readonly triggerId: string;
  readonly rootId: string;
  /** Outgoing webhooks. */
  readonly postId: string;
  readonly triggerWord: string;
  /** Outgoing webhooks: the post's time as sent (seconds in forms, ms in JSON). */
  readonly timestamp: number;
  /** Outgoing webhooks: comma-separated file ids, split. */
  readonly fileIds: readonly string[];
  /** Every field as sent (strings), for the ones not typed above. */
  readonly fields: Readonly<Record<string, string>>;
}

declare module 'koa' {
  interface DefaultState {
    /** The verified slash command or outgoing-webhook call, set by `verifyCommand()`. */
    command?: CommandRequest;
  }
}

/** What `onRefused` (and the log line) learns about a refused call. Never the token. */
export interface CommandRefusalInfo {
  readonly reason: CommandRefusalReason;
  readonly source: CommandTokenSource | undefined;
  readonly requestId?: string;
  readonly path: string;
  readonly method: string;
}

export interface VerifyCommandOptions {
  /**
   * The tokens Mattermost shows for your slash commands and outgoing webhooks, or a function
   * returning them (read at each request: a regenerated token can be swapped in without restart).
   */
  tokens: readonly string[] | ((ctx: Koa.Context) => readonly string[] | Promise<readonly string[]>);
  /** Where refusals go (info level, the same line as `authenticate()`). Default: silent. */
  logger?: Logger;
  /** `realm` of the `WWW-Authenticate` challenge. Default `mattermost`. */
  realm?: string;
  /** Largest body read, in bytes (413 beyond). Default 64 KiB: Mattermost's calls are small. */
  limit?: number;
  /** Called once per refused call (after logging). Exceptions from it are ignored. */
  onRefused?: (info: CommandRefusalInfo) => void;
}

const DEFAULT_LIMIT = 64 * 1024;

/** Read the raw body, at most `limit` bytes (413 beyond). */
async function readBody(ctx: Koa.Context, limit: number): Promise<string> {
  const declared = Number(ctx.get('Content-Length') || '0');
  if (Number.isFinite(declared) && declared > limit) {
    ctx.req.resume();
    throw new AppError('api.context.request_body_too_large.app_error');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > limit) {
      ctx.req.resume();
      throw new AppError('api.context.request_body_too_large.app_error');
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Flatten a parsed body to string fields (numbers and booleans as text; nested values dropped). */
function stringFields(value: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string') out[key] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[key] = String(v);
  }
  return out;
}

/** The fields of the call and where they came from: a body parsed earlier, the raw body (form or JSON), or the query. */
async function readFields(ctx: Koa.Context, limit: number): Promise<{ fields: Record<string, string>; source: CommandTokenSource }> {
  const query = new URLSearchParams(ctx.querystring);
  if (ctx.method === 'GET' || ctx.method === 'HEAD') return { fields: Object.fromEntries(query), source: 'query' };
  const preParsed = (ctx.request as { body?: unknown }).body;
  if (isRecord(preParsed)) return { fields: stringFields(preParsed), source: ctx.is('json') ? 'json' : 'form' };
  const raw = await readBody(ctx, limit);
  const type = (ctx.get('Content-Type').split(';')[0] ?? '').trim().toLowerCase();
  if (type === 'application/json' || (type === '' && raw.trimStart().startsWith('{'))) {
    try {
      const parsed: unknown = JSON.parse(raw);
      return { fields: isRecord(parsed) ? stringFields(parsed) : {}, source: 'json' };
    } catch {
      return { fields: {}, source: 'json' };
    }
  }
  return { fields: Object.fromEntries(new URLSearchParams(raw)), source: 'form' };
}

/** The token of `Authorization: Token <t>` (Mattermost's scheme for commands), if any. */
function headerToken(ctx: Koa.Context): string | undefined {
  const header = ctx.get('Authorization');
  const match = /^token\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Constant-time membership: every configured token is compared, whatever matches. */
function knownToken(token: string, tokens: readonly string[]): boolean {
  let found = false;
  for (const candidate of tokens) {
    if (candidate !== '' && safeEqual(token, candidate)) found = true;
  }
  return found;
}

function toRequest(fields: Record<string, string>, token: string): CommandRequest {
  const f = (key: string) => fields[key] ?? '';
  const timestamp = Number(f('timestamp'));
  return {
    kind: fields.command !== undefined ? 'slash_command' : 'outgoing_webhook',
    token, teamId: f('team_id'), teamDomain: f('team_domain'), channelId: f('channel_id'), channelName: f('channel_name'),
    userId: f('user_id'), userName: f('user_name'), text: f('text'), command: f('command'), responseUrl: f('response_url'),
    triggerId: f('trigger_id'), rootId: f('root_id'), postId: f('post_id'), triggerWord: f('trigger_word'),
    timestamp: Number.isFinite(timestamp) ? timestamp : 0,
    fileIds: f('file_ids') === '' ? [] : f('file_ids').split(','),
    fields: { ...fields },
  };
}

/**
 * Verify Mattermost's slash-command / outgoing-webhook token. See the module documentation.
 *
 * @example
 * ```ts
 * router.post('/hooks/mattermost', verifyCommand({ tokens: () => store.currentTokens() }), handle);
 * ```
 */
export function verifyCommand(options: VerifyCommandOptions): Koa.Middleware {
  const { tokens, logger = silentLogger, realm = 'mattermost', limit = DEFAULT_LIMIT, onRefused } = options;
  if (tokens === undefined || (typeof tokens !== 'function' && !Array.isArray(tokens))) {
    throw new TypeError('verifyCommand(): options.tokens (a list of tokens or a function returning one) is required');
  }
  const tokensOf = typeof tokens === 'function' ? tokens : () => tokens;

  const refuse = (ctx: Koa.Context, reason: CommandRefusalReason, source: CommandTokenSource | undefined): never => {
    const info: CommandRefusalInfo = { reason, source, requestId: ctx.state.requestId, path: ctx.path, method: ctx.method };
    logger.info('authentication refused', { ...info });
    if (onRefused !== undefined) {
      try {
        onRefused(info);
      } catch (err) {
        logger.error('onRefused threw', { error: err instanceof Error ? err.message : String(err) });
      }
    }
    throw new AppError('api.context.session_expired.app_error', {
      detailed: reason,
      headers: { 'WWW-Authenticate': reason === 'missing' ? bearerChallenge(realm) : bearerChallenge(realm, 'invalid_token') },
    });
  };

  return async function verifyCommandMiddleware(ctx, next) {
    const { fields, source } = await readFields(ctx, limit);
    const fromHeader = headerToken(ctx);
    const fromBody = fields.token;
    const token = fromHeader ?? fromBody;
    const tokenSource: CommandTokenSource | undefined = fromHeader !== undefined ? 'header-token' : fromBody !== undefined ? source : undefined;
    if (token === undefined || token === '') return refuse(ctx, 'missing', undefined);
    if (fromHeader !== undefined && fromBody !== undefined && !safeEqual(fromHeader, fromBody)) return refuse(ctx, 'token_mismatch', tokenSource);
    if (!knownToken(token, await tokensOf(ctx))) return refuse(ctx, 'unknown_token', tokenSource);
    ctx.state.command = toRequest(fields, token);
    await next();
  };
}
