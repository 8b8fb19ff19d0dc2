/**
 * The mock server's log buffer (`GET /api/v4/logs`): a bounded ring of JSON log lines, like
 * Mattermost's own JSON log file. Lines never contain secrets: callers pass token ids.
 *
 * @example
 * ```ts
 * const logs = createLogBuffer({ capacity: 1000 });
 * logs.write('warn', 'token refused', { token_id: 'abc…', reason: 'token_revoked' });
 * logs.lines(); // ['{"timestamp":"…","level":"warn","msg":"token refused","token_id":"abc…","reason":"token_revoked"}']
 * ```
 */
import type { LogBuffer } from './context.js';
import type { Logger } from '../middleware/logger.js';

export interface LogBufferOptions {
  /** Most lines kept (oldest dropped first). Default 10000 (Mattermost's max `logs_per_page`). */
  capacity?: number;
  /** Also print each line to stderr. Default false. */
  echo?: boolean;
  /** Clock (tests). */
  now?: () => number;
}

/**
 * Mattermost's default and maximum `logs_per_page`.
 *
 * @example
 * ```ts
 * logs.lines(0, LOGS_PER_PAGE_MAX);
 * ```
 */
export const LOGS_PER_PAGE_MAX = 10000;

/**
 * Create a bounded log buffer.
 *
 * @example
 * ```ts
 * const logs = createLogBuffer({ capacity: 100, echo: true });
 * ```
 */
export function createLogBuffer(options: LogBufferOptions = {}): LogBuffer {
  const { capacity = LOGS_PER_PAGE_MAX, echo = false, now = Date.now } = options;
  const ring: string[] = [];
  let start = 0; // index of the oldest line in `ring` once it is full

  return {
    write(level, message, fields = {}) {
      const line = JSON.stringify({ timestamp: new Date(now()).toISOString(), level, msg: message, ...fields });
      if (ring.length < capacity) ring.push(line);
      else {
        ring[start] = line;
        start = (start + 1) % capacity;
      }
      if (echo) process.stderr.write(`${line}\n`);
    },
    /**
     * Page `page` of `perPage` lines counted from the newest: page 0 is the newest `perPage`
     * lines. Each page is returned oldest first.
     */
    lines(page = 0, perPage = LOGS_PER_PAGE_MAX) {
      const ordered = ring.length < capacity ? ring : [...ring.slice(start), ...ring.slice(0, start)];
      const end = ordered.length - page * perPage;
      if (end <= 0 || perPage <= 0) return [];
      return ordered.slice(Math.max(0, end - perPage), end);
    },
    get size() {
      return ring.length;
    },
  };
}

/**
 * A {@link Logger} writing to a log buffer.
 *
 * @example
 * ```ts
 * const logger = bufferLogger(logs);
 * logger.warn('token refused', { token_id: tokenId, reason: 'token_disabled' });
 * ```
 */
export function bufferLogger(logs: LogBuffer): Logger {
  return {
    info: (message, fields) => logs.write('info', message, fields),
    warn: (message, fields) => logs.write('warn', message, fields),
    error: (message, fields) => logs.write('error', message, fields),
  };
}
