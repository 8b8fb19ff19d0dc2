/**
 * bench/websocket.ts as a part of `npm run bench` (bench/run.ts): run it in a child process (it
 * starts its own server, listener and load processes) and hand back its Markdown, whole or from
 * its first section on (without its own title and machine block, which the full report has).
 *
 * @example
 * ```ts
 * const ws = await websocketBench(['--quick']);
 * say(ws.section);
 * ```
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../websocket.ts', import.meta.url));

export interface WebSocketBenchOutput {
  /** Exit code (0 unless something broke). */
  code: number;
  /** Everything it printed. */
  stdout: string;
  /** From its first `## ` heading on, or a line saying it failed. */
  section: string;
}

/** Run `bench/websocket.ts` with `args`; its progress lines go to this process's stderr. */
export function websocketBench(args: readonly string[]): Promise<WebSocketBenchOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.once('error', reject);
    child.once('exit', (code) => {
      const at = stdout.indexOf('\n## ');
      const section = code === 0 && at >= 0 ? stdout.slice(at + 1).trim() : `bench/websocket.ts ${args.join(' ')} failed (exit ${code ?? -1}); its output:\n\n\`\`\`\n${stdout.trim()}\n\`\`\``;
      resolve({ code: code ?? -1, stdout, section });
    });
  });
}
