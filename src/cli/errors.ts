// The one place that turns thrown errors into messages and exit codes (cli).
import { CommanderError } from 'commander';
import { UnreachableError, UserError, errorMessage } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';

/** Prints `err` the way a user should see it and returns the exit code to use. */
export function reportError(err: unknown, write: (s: string) => void = (s) => process.stderr.write(s)): number {
  if (err instanceof CommanderError) {
    // commander already printed its message; help and version are not errors.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
      return ExitCode.Ok;
    return ExitCode.Usage;
  }
  if (err instanceof UserError) {
    write(`serve: error: ${err.message}\n`);
    for (const d of err.details) write(`  ${d}\n`);
    return err.exitCode;
  }
  write(`serve: internal error: ${errorMessage(err)}\n`);
  if (process.env.SERVE_DEBUG) write(`${(err as Error)?.stack ?? ''}\n`);
  else write('  This is a bug in serve. Run again with SERVE_DEBUG=1 for a stack trace and report it.\n');
  return ExitCode.Internal;
}

/**
 * Wraps a command action: runs it, and on error prints one clear line and sets process.exitCode.
 * The action may return an exit code (for gates); undefined means 0.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void> | number | void) {
  return async (...args: A): Promise<void> => {
    try {
      const code = await fn(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (err) {
      process.exitCode = reportError(err);
    }
  };
}

/** The exit code of a load run (`serve bench`, `serve demo`); a run whose every request failed to connect throws. */
export function runExitCode(outcome: 'passed' | 'failed' | 'unreachable' | 'interrupted', url: string): number {
  switch (outcome) {
    case 'interrupted':
      return ExitCode.Interrupted;
    case 'unreachable':
      throw new UnreachableError(`every request failed to connect to ${url}: is the server still running?`);
    case 'failed':
      return ExitCode.TargetMissed;
    case 'passed':
      return ExitCode.Ok;
  }
}
