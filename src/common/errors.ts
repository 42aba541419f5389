// Error types that carry an exit code and a one-line, user-facing message (common, every plane).
import { ExitCode, type ExitCodeValue } from './exit-codes.js';

/**
 * A mistake the user can fix (bad flag, bad profile, missing model). The message is one line that
 * says what is wrong, where, and how to fix it; the CLI prints it without a stack trace.
 */
export class UserError extends Error {
  readonly exitCode: ExitCodeValue;
  /** Extra lines shown under the message (for example every problem of a profile). */
  readonly details: readonly string[];
  constructor(message: string, opts: { exitCode?: ExitCodeValue; details?: readonly string[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'UserError';
    this.exitCode = opts.exitCode ?? ExitCode.Usage;
    this.details = opts.details ?? [];
  }
}

/** The thing to talk to is not there (connection refused, cluster not running). Exit code 3. */
export class UnreachableError extends UserError {
  constructor(message: string, opts: { details?: readonly string[]; cause?: unknown } = {}) {
    super(message, { ...opts, exitCode: ExitCode.Unreachable });
    this.name = 'UnreachableError';
  }
}

/** Message of any thrown value, without a stack. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
