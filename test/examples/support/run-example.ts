/**
 * Helpers for the example tests: run an example as a real process (`node --import tsx
 * examples/<name>.ts`, with no MM_* variables), and collect what an in-process run printed.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of a process started "with no environment": only what node itself needs. */
export function bareEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'SYSTEMROOT']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...extra };
}

/**
 * Spawn `node --import tsx examples/<name>.ts ...args` from the repository root and wait for it.
 * A process still running after `timeoutMs` (below mocha's 20 s) is killed: `code` null, `signal` SIGKILL.
 */
export function runExample(name: string, args: readonly string[] = [], env: Record<string, string> = bareEnv(), timeoutMs = 15_000): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `examples/${name}.ts`, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

/** A `print` that collects lines, for in-process runs. */
export function collector(): { print: (line: string) => void; lines: string[]; text: () => string } {
  const lines: string[] = [];
  return { print: (line) => { lines.push(line); }, lines, text: () => lines.join('\n') };
}
