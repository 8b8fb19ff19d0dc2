/**
 * The mock server's log buffer (`GET /api/v4/logs`): a ring of JSON log lines, like Mattermost's
 * own JSON log file. Lines never contain secrets: callers pass token ids.
 *
 * Whatever the traffic, the buffer costs bounded memory and bounded stderr:
 * - the ring is bounded in lines (`capacity`) and in bytes (`maxBytes`): the oldest lines go first;
 * - long fields (a path, a user agent…) are cut to `maxFieldLength` characters, with a marker that
 *   says how much was cut, so one line stays small;
 * - repeated lines are coalesced: at most `repeatBurst` lines with the same level and message per
 *   `repeatWindowMs`; the rest are counted and one `log lines suppressed` line reports them when
 *   the window is over (a flood of refused tokens writes a few lines per window, not one per request);
 * - with `echo`, a line is not queued on stderr while more than `maxEchoBacklog` bytes are already
 *   waiting there (a slow or blocked reader); the dropped lines are counted and reported.
 *
 * @example
 * ```ts
 * const logs = createLogBuffer({ capacity: 1000 });
 * logs.write('warn', 'token refused', { token_id: 'abc…', reason: 'token_revoked' });
 * logs.lines(); // ['{"time":"…","level":"warn","msg":"token refused","token_id":"abc…","reason":"token_revoked"}']
 * ```
 */
import type { LogBuffer } from './context.js';
import type { Logger } from '../middleware/logger.js';

/** Where echoed lines go (`process.stderr` by default). */
export interface LogSink {
  write(chunk: string): boolean;
  /** Bytes queued and not yet written (a Node stream's `writableLength`). */
  readonly writableLength?: number;
}

export interface LogBufferOptions {
  /** Most lines kept (oldest dropped first). Default 10000 (Mattermost's max `logs_per_page`). */
  capacity?: number;
  /** Most bytes (UTF-8) kept over all lines. Default 4 MiB. */
  maxBytes?: number;
  /** String fields (and the message) longer than this are cut. Default 512 characters. */
  maxFieldLength?: number;
  /** Lines with the same level and message written per window before the rest are counted instead. Default 100. */
  repeatBurst?: number;
  /** The coalescing window. Default 10 000 ms. */
  repeatWindowMs?: number;
  /** Also print each line to stderr (or `sink`). Default false. */
  echo?: boolean;
  /** Echo destination. Default `process.stderr`. */
  sink?: LogSink;
  /** Echoed lines are dropped (and counted) while the sink has more than this many bytes queued. Default 1 MiB. */
  maxEchoBacklog?: number;
  /** Clock (tests). */
  now?: () => number;
}

/** A {@link LogBuffer} that also reports what it holds. */
export interface BoundedLogBuffer extends LogBuffer {
  /** UTF-8 bytes of the lines kept (≤ `maxBytes`). */
  readonly bytes: number;
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

/** A line kept past every other bound still never exceeds this (fields are dropped beyond it). */
const MAX_LINE_BYTES = 16 * 1024;

/** Top-level fields a line may carry; more are dropped (a caller passing a big object). */
const MAX_FIELDS = 32;

function cut(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max)}…[cut ${value.length - max} chars]`;
}

/** Field values as they go into a line: strings cut, nested values serialized (and cut) once. */
function boundedFields(fields: Record<string, unknown>, max: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [key, value] of Object.entries(fields)) {
    if (++n > MAX_FIELDS) {
      out.fields_dropped = Object.keys(fields).length - MAX_FIELDS;
      break;
    }
    const name = cut(key, 64);
    if (typeof value === 'string') out[name] = cut(value, max);
    else if (value === null || typeof value === 'number' || typeof value === 'boolean' || value === undefined) out[name] = value;
    else {
      let text: string;
      try {
        text = JSON.stringify(value) ?? String(value);
      } catch {
        text = String(value);
      }
      out[name] = text.length <= max ? value : cut(text, max);
    }
  }
  return out;
}

interface Repeats {
  windowStart: number;
  written: number;
  suppressed: number;
  level: Parameters<LogBuffer['write']>[0];
}

/** Most distinct (level, message) pairs tracked for coalescing; messages are code literals, so this is never reached in practice. */
const MAX_TRACKED_MESSAGES = 1000;

/**
 * Create a bounded log buffer.
 *
 * @example
 * ```ts
 * const logs = createLogBuffer({ capacity: 100, echo: true });
 * ```
 */
export function createLogBuffer(options: LogBufferOptions = {}): BoundedLogBuffer {
  const {
    capacity = LOGS_PER_PAGE_MAX, maxBytes = 4 * 1024 * 1024, maxFieldLength = 512, repeatBurst = 100, repeatWindowMs = 10_000,
    echo = false, sink = process.stderr, maxEchoBacklog = 1024 * 1024, now = Date.now,
  } = options;
  const maxLines = Math.max(1, capacity);
  // A queue with a moving head: push at the end, drop at `head`, compact now and then (amortized O(1)).
  let lines: string[] = [];
  let sizes: number[] = [];
  let head = 0;
  let total = 0;
  const repeats = new Map<string, Repeats>();
  /** When the oldest tracked window ends (settling before then has nothing to do). */
  let nextSettle = Infinity;
  let echoDropped = 0;

  const keep = (line: string) => {
    const size = Buffer.byteLength(line);
    lines.push(line);
    sizes.push(size);
    total += size;
    while (lines.length - head > maxLines || (total > maxBytes && lines.length - head > 1)) {
      total -= sizes[head] ?? 0;
      head++;
    }
    if (head > 1024 && head * 2 > lines.length) {
      lines = lines.slice(head);
      sizes = sizes.slice(head);
      head = 0;
    }
  };

  const emit = (line: string) => {
    keep(line);
    if (!echo) return;
    if ((sink.writableLength ?? 0) > maxEchoBacklog) {
      echoDropped++;
      return;
    }
    if (echoDropped > 0) {
      const dropped = echoDropped;
      echoDropped = 0;
      sink.write(`${JSON.stringify({ time: new Date(now()).toISOString(), level: 'warn', msg: 'log lines not echoed', reason: 'stderr backlog', count: dropped })}\n`);
    }
    sink.write(`${line}\n`);
  };

  const format = (level: string, message: string, fields: Record<string, unknown>, at: number) => {
    let line = JSON.stringify({ time: new Date(at).toISOString(), level, msg: cut(message, maxFieldLength), ...boundedFields(fields, maxFieldLength) });
    if (line.length > MAX_LINE_BYTES / 4 && Buffer.byteLength(line) > MAX_LINE_BYTES) {
      line = JSON.stringify({ time: new Date(at).toISOString(), level, msg: cut(message, maxFieldLength), fields_dropped: Object.keys(fields).length });
    }
    return line;
  };

  /** Report the windows that are over: one summary line per message that had lines suppressed. */
  const settle = (at: number) => {
    if (at < nextSettle) return;
    nextSettle = Infinity;
    for (const [message, r] of repeats) {
      if (at - r.windowStart < repeatWindowMs) {
        nextSettle = Math.min(nextSettle, r.windowStart + repeatWindowMs);
        continue;
      }
      repeats.delete(message);
      if (r.suppressed > 0) {
        emit(format(r.level, 'log lines suppressed', { suppressed_msg: message.slice(message.indexOf(' ') + 1), count: r.suppressed, window_ms: repeatWindowMs }, at));
      }
    }
  };

  return {
    write(level, message, fields = {}) {
      const at = now();
      settle(at);
      const key = `${level} ${message}`;
      let r = repeats.get(key);
      if (r === undefined) {
        if (repeats.size >= MAX_TRACKED_MESSAGES) repeats.clear();
        repeats.set(key, (r = { windowStart: at, written: 0, suppressed: 0, level }));
        nextSettle = Math.min(nextSettle, at + repeatWindowMs);
      }
      if (r.written >= repeatBurst) {
        r.suppressed++;
        return;
      }
      r.written++;
      emit(format(level, message, fields, at));
    },
    /**
     * Page `page` of `perPage` lines counted from the newest: page 0 is the newest `perPage`
     * lines. Each page is returned oldest first. O(perPage).
     */
    lines(page = 0, perPage = LOGS_PER_PAGE_MAX) {
      settle(now());
      const count = lines.length - head;
      if (perPage <= 0 || page < 0 || page * perPage >= count) return [];
      const end = count - page * perPage;
      return lines.slice(head + Math.max(0, end - perPage), head + end);
    },
    get size() {
      return lines.length - head;
    },
    get bytes() {
      return total;
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
