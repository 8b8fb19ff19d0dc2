/**
 * The mock's CLI as a child process, for the tests that start it (`cli.test.ts`,
 * `cli-config.process.test.ts`): its output collected, its exit awaited, and the URL it listens on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../../mock-server/cli.ts', import.meta.url));
/** tsx by URL: a child started in another working directory cannot resolve the bare name. */
const TSX = import.meta.resolve('tsx');

export interface CliRun { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null> }

/** The environment without any MM_MOCK_* / MM_PAT_* variable of the caller, plus `extra`. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MM_MOCK_') && !k.startsWith('MM_PAT_')));
  return { ...env, ...extra };
}

/** Start `mock-server/cli.ts` with `args`, in a clean environment plus `env`. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): CliRun {
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv(env), cwd });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => { out += c; });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => { err += c; });
  const exited = new Promise<number | null>((resolve) => { child.on('exit', (code) => resolve(code)); });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** The URL of the CLI's `listening on` line; throws if it exits first or never prints it (30 s). */
export async function listening(r: CliRun): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const match = /listening on (http:\/\/[^\s]+)\n/.exec(r.stdout());
    if (match?.[1] !== undefined) return match[1];
    if (r.child.exitCode !== null) throw new Error(`CLI exited early: ${r.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no listening line: ${r.stdout()} ${r.stderr()}`);
}
