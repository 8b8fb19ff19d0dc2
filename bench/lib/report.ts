/**
 * Small statistics and formatting helpers for the benchmark output (medians, percentiles,
 * Markdown tables, the machine description).
 *
 * @example
 * ```ts
 * median([3, 1, 2]);                       // 2
 * console.log(table(['a', 'b'], [['1', '2']]));
 * ```
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export const fixed = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
export const thousands = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const ms = (n: number, digits = 2): string => `${fixed(n, digits)} ms`;

/** A Markdown table. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'n/a';
  }
}

/** `nproc`, `free -h`, the CPU model, node version and load average. */
export function machine(): string {
  let cpu = 'n/a';
  try {
    cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'n/a';
  } catch { /* not Linux */ }
  return [
    `nproc: ${run('nproc', [])} (availableParallelism ${availableParallelism()})`,
    `CPU: ${cpu}`,
    `node: ${process.version}`,
    `load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    'free -h:',
    ...run('free', ['-h']).split('\n').map((l) => `    ${l}`),
  ].join('\n');
}

/** `met` / `MISSED by …` for a figure against a bound. */
export function verdict(value: number, bound: number, kind: 'min' | 'max', unit = ''): string {
  if (!Number.isFinite(value)) return 'n/a';
  const ok = kind === 'min' ? value >= bound : value <= bound;
  if (ok) return 'met';
  const by = Math.abs(value - bound);
  return `MISSED by ${by < 0.1 ? by.toFixed(3) : by < 10 ? by.toFixed(2) : Math.round(by)}${unit}`;
}
