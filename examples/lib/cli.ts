/**
 * What every example program shares: printing steps (to stdout, or to a test's collector), the
 * failure that ends a run with a one-line reason and an exit code, and the "run me as a program"
 * guard.
 *
 * @example
 * ```ts
 * if (isMain(import.meta.url)) runMain(() => run({ print: console.log }));
 * ```
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Where an example writes its step-by-step report (one line per call). */
export type Print = (line: string) => void;

/** Exit codes of the examples. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * Something did not behave as the docs promise (exit 1), or the program was called wrongly (exit 2).
 * The message is the one line printed on stderr: it never contains a token.
 */
export class ExampleFailure extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.failed) {
    super(message);
    this.name = 'ExampleFailure';
    this.exitCode = exitCode;
  }
}

/** Throw an {@link ExampleFailure} unless `condition` holds. */
export function check(condition: boolean, reason: string): asserts condition {
  if (!condition) throw new ExampleFailure(reason);
}

/** True when the module at `moduleUrl` is the program node was started with. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  if (moduleUrl === pathToFileURL(entry).href) return true;
  try {
    return moduleUrl === pathToFileURL(realpathSync(entry)).href; // started through a symlink
  } catch {
    return false;
  }
}

/** Options of {@link runMain}. */
export interface RunMainOptions {
  /**
   * The example takes no command-line arguments (it is configured by the environment): this is
   * its usage line. Any argument then exits 2 with it (`--help`/`-h` print it and exit 0), instead
   * of being ignored.
   */
  noArguments?: string;
  /** The arguments (default `process.argv.slice(2)`). */
  argv?: readonly string[];
}

/**
 * Refuse command-line arguments for an example configured only by its environment: an unknown
 * flag (a typo such as `--chanels`) must not run the example as if it were not there.
 *
 * @example
 * ```ts
 * rejectArguments(['--verbose'], 'usage: post-all-bot'); // ExampleFailure, exit code 2
 * ```
 */
export function rejectArguments(argv: readonly string[], usage: string): void {
  if (argv.length === 0) return;
  throw new ExampleFailure(`unknown arguments: ${argv.join(' ')} (${usage})`, EXIT.usage);
}

/**
 * Run an example's `main()`: exit 0 when it resolves, otherwise print one line on stderr and exit
 * with the failure's code (1 for anything unexpected, 2 for wrong usage).
 */
export function runMain(main: () => Promise<unknown>, options: RunMainOptions = {}): void {
  const { noArguments, argv = process.argv.slice(2) } = options;
  const start = async () => {
    if (noArguments !== undefined) {
      if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) {
        process.stdout.write(`${noArguments}\n`);
        return;
      }
      rejectArguments(argv, noArguments);
    }
    await main();
  };
  start().then(
    () => { process.exitCode = EXIT.ok; },
    (err: unknown) => {
      const code = err instanceof ExampleFailure ? err.exitCode : EXIT.failed;
      const reason = err instanceof ExampleFailure ? err.message : describe(err);
      process.stderr.write(`error: ${reason.split('\n')[0]}\n`);
      process.exitCode = code;
    },
  );
}

/** One line about an unexpected error; a Client4 error shows the server's status and error id. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const { status_code: status, server_error_id: id } = err as Error & { status_code?: unknown; server_error_id?: unknown };
  return typeof status === 'number' ? `${status} ${String(id ?? '')}: ${err.message}` : err.message;
}
