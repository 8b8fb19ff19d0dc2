/**
 * The journal: an append-only file beside the snapshot, one line per group commit:
 *
 * ```
 * {"seq":42,"commits":[[41,[...mutations]],[42,[...mutations]]],"crc":"1c291ca3"}\n
 * ```
 *
 * `seq` is the last commit number in the line; `crc` is the CRC-32 of everything before
 * `,"crc":`. Reading tolerates only a *torn* last line, one without its newline (a crash
 * mid-append: that commit was never acknowledged, since a line is acknowledged once all of it,
 * newline included, is written). Any other damage, a complete last line with a bad checksum
 * included (an acknowledged commit damaged on disk), is refused with a {@link StoreCorruptError}.
 *
 * @example
 * ```ts
 * const line = formatLine([{ seq: 7, json: JSON.stringify(mutations) }]);
 * const parsed = parseJournal('/data/db.json.journal', Buffer.from(line));
 * parsed.lines[0].commits[0].seq; // 7
 * ```
 */
import { crc32 } from 'node:zlib';
import type { Mutation } from './schema.js';
import { StoreCorruptError } from './errors.js';

/** One commit waiting to be written: its number and its mutations as JSON. */
export interface PendingCommit {
  seq: number;
  json: string;
}

export interface JournalCommit {
  seq: number;
  mutations: Mutation[];
}

export interface JournalLine {
  /** Last commit number in the line. */
  seq: number;
  commits: JournalCommit[];
}

export interface ParsedJournal {
  lines: JournalLine[];
  /** Bytes of intact lines: the file is truncated to this when `tornBytes > 0`. */
  validBytes: number;
  /** Bytes of a torn last line, one without its newline (0 when the file ends cleanly). */
  tornBytes: number;
}

const CRC_TAIL = /,"crc":"([0-9a-f]{8})"\}$/;
const CRC_TAIL_LENGTH = ',"crc":"00000000"}'.length;

function hex(value: number): string {
  return value.toString(16).padStart(8, '0');
}

/** One journal line (with its trailing newline) for a group of commits, in order. */
export function formatLine(commits: readonly PendingCommit[]): string {
  const last = commits[commits.length - 1];
  if (!last) throw new RangeError('formatLine needs at least one commit');
  let body = `{"seq":${last.seq},"commits":[`;
  body += commits.map((c) => `[${c.seq},${c.json}]`).join(',');
  body += ']';
  return `${body},"crc":"${hex(crc32(body))}"}\n`;
}

/** Check and decode one line (without its newline); returns a reason string when it is damaged. */
function decodeLine(text: string): JournalLine | string {
  const tail = CRC_TAIL.exec(text);
  if (!tail) return 'no checksum';
  const body = text.slice(0, text.length - CRC_TAIL_LENGTH);
  if (hex(crc32(body)) !== tail[1]) return 'checksum mismatch';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'invalid JSON';
  }
  const { seq, commits } = value as { seq?: unknown; commits?: unknown };
  if (!Number.isSafeInteger(seq) || !Array.isArray(commits) || commits.length === 0) return 'bad line shape';
  const out: JournalCommit[] = [];
  for (const entry of commits as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2 || !Number.isSafeInteger(entry[0]) || !Array.isArray(entry[1])) return 'bad commit shape';
    out.push({ seq: entry[0] as number, mutations: entry[1] as Mutation[] });
  }
  return { seq: seq as number, commits: out };
}

/**
 * Split a journal file into checked lines. A final line without its newline (an interrupted
 * append, or the zero-filled tail a crash can leave) is reported as `tornBytes`; any other
 * damage, in a newline-terminated line anywhere, throws.
 */
export function parseJournal(file: string, content: Buffer): ParsedJournal {
  const lines: JournalLine[] = [];
  let offset = 0;
  let lineNo = 0;
  while (offset < content.length) {
    lineNo += 1;
    const end = content.indexOf(0x0a, offset);
    // No newline: the append was interrupted before it completed, so it was never acknowledged.
    if (end === -1) return { lines, validBytes: offset, tornBytes: content.length - offset };
    const decoded = decodeLine(content.toString('utf8', offset, end));
    if (typeof decoded === 'string') {
      const last = end + 1 >= content.length ? ', the last line, complete with its newline: an acknowledged commit' : '';
      throw new StoreCorruptError(file, `journal line is damaged (${decoded}${last})`, { line: lineNo, offset });
    }
    lines.push(decoded);
    offset = end + 1;
  }
  return { lines, validBytes: offset, tornBytes: 0 };
}
