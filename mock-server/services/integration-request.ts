/**
 * The mock's outgoing HTTP client for integrations (Mattermost's `outgoingWebhookClient`): one
 * request to a slash command's URL or an outgoing webhook's callback, bounded in time (the whole
 * exchange, body included, as Go's request context is) and in size (the body is read up to
 * `MaxIntegrationResponseSize`, 1 MiB, and the rest discarded, like `io.LimitReader`). A service
 * that never answers, answers slowly or answers gigabytes costs at most the limits.
 *
 * @example
 * ```ts
 * const res = await integrationRequest({ method: 'POST', url, headers, body }, { timeoutMs: 30_000 });
 * res.status;   // 200
 * res.body;     // at most 1 MiB of text
 * ```
 */
import { STATUS_CODES } from 'node:http';

/** Mattermost's `MaxIntegrationResponseSize`. */
export const MAX_INTEGRATION_RESPONSE_SIZE = 1024 * 1024;

/** One outgoing request. */
export interface IntegrationRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** What came back (the body cut at the size limit). */
export interface IntegrationResponse {
  readonly status: number;
  /** Go's `resp.Status`, e.g. `404 Not Found`. */
  readonly statusLine: string;
  /** The `Content-Type` header ('' when absent). */
  readonly contentType: string;
  readonly body: string;
}

/** Why a request got no answer: `timeout` (the limit passed) or `unreachable` (DNS, refused, reset, bad URL). */
export class IntegrationRequestError extends Error {
  readonly kind: 'timeout' | 'unreachable';
  constructor(kind: 'timeout' | 'unreachable', message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'IntegrationRequestError';
    this.kind = kind;
  }
}

/**
 * Send one request; resolve with the (size-bounded) answer whatever its status, reject with an
 * {@link IntegrationRequestError} when there is none within `timeoutMs`.
 *
 * @example
 * ```ts
 * try { await integrationRequest(req, { timeoutMs: 1000 }); }
 * catch (err) { if (err instanceof IntegrationRequestError && err.kind === 'timeout') log('timed out'); }
 * ```
 */
export async function integrationRequest(request: IntegrationRequest, options: { timeoutMs: number; maxBytes?: number }): Promise<IntegrationResponse> {
  const { timeoutMs, maxBytes = MAX_INTEGRATION_RESPONSE_SIZE } = options;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, timeoutMs);
  try {
    const res = await fetch(request.url, {
      method: request.method, headers: request.headers, body: request.body, signal: controller.signal, redirect: 'follow',
    });
    const body = await readBounded(res, maxBytes);
    return {
      status: res.status,
      statusLine: `${res.status} ${STATUS_CODES[res.status] ?? res.statusText}`.trim(),
      contentType: res.headers.get('content-type') ?? '',
      body,
    };
  } catch (err) {
    if (timedOut) throw new IntegrationRequestError('timeout', `no answer within ${timeoutMs} ms`, err);
    throw new IntegrationRequestError('unreachable', err instanceof Error ? describeCause(err) : String(err), err);
  } finally {
    clearTimeout(timer);
  }
}

/** The body as UTF-8 text, at most `maxBytes`; the rest of the stream is cancelled, never buffered. */
async function readBounded(res: Response, maxBytes: number): Promise<string> {
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = maxBytes - size;
      const chunk = value.length > room ? value.subarray(0, room) : value;
      chunks.push(chunk);
      size += chunk.length;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `fetch failed` says little: name the underlying cause (ECONNREFUSED, ENOTFOUND…) when there is one. */
function describeCause(err: Error): string {
  const cause = (err as Error & { cause?: unknown }).cause;
  if (cause instanceof Error) return `${err.message}: ${(cause as Error & { code?: string }).code ?? cause.message}`;
  return err.message;
}
