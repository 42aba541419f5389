// Whether `serve up` starts with the hosts it reached (control plane, hosts, pure): a host that
// cannot be reached now (nothing answers, the connection is refused or drops while it is prepared)
// is started without, shown down and retried, as if it had been lost a second later. A mistake
// that waiting cannot fix (an unknown or changed host key, a refused user key, another serve
// version there) stops the start, and so does having no host at all to place on.
import { UnreachableError, UserError, errorMessage } from '../../common/errors.js';

/** A host that cannot be reached now, and may come up: not a reason to stop `serve up`. Exit 3 when no host is left. */
export class HostDownError extends UnreachableError {
  constructor(message: string) {
    super(message);
    this.name = 'HostDownError';
  }
}

/** How the first attempt at one host ended. */
export interface StartOutcome {
  name: string;
  /** Undefined: up and prepared. */
  failure?: unknown;
}

export type StartVerdict =
  { start: true; down: Array<{ name: string; why: string }> } | { start: false; error: UserError };

/** Starts with the hosts that are up when every failure is a host down and at least one host is up. */
export function startVerdict(outcomes: readonly StartOutcome[]): StartVerdict {
  const failed = outcomes.filter((x) => x.failure !== undefined);
  const failures = failed.map((x) => x.failure);
  const fatal = failures.filter((f) => !(f instanceof HostDownError));
  if (fatal.length > 0) return { start: false, error: startError(fatal) };
  if (failed.length === outcomes.length && failed.length > 0) return { start: false, error: startError(failures) };
  return { start: true, down: failed.map((x) => ({ name: x.name, why: errorMessage(x.failure) })) };
}

/**
 * One error for the failures that stop a start: exit 3 when every one is a host not reachable (or
 * a key problem), the one UserError itself when it is alone, else a UserError listing them all.
 */
export function startError(failures: readonly unknown[]): UserError {
  const messages = failures.map(errorMessage);
  const first = messages[0] ?? 'no host could be used';
  const details = messages.slice(1);
  if (failures.every((f) => f instanceof UnreachableError)) return new UnreachableError(first, { details });
  if (failures.length === 1 && failures[0] instanceof UserError) return failures[0];
  return new UserError(first, { details });
}

/** The warning for a host started without (`nextAttemptInMs` from now). */
export function downAtStartMessage(name: string, why: string, nextAttemptInMs: number): string {
  return (
    `host ${name} is down at the start: ${why}; serve starts with the other hosts and tries it ` +
    `again (next attempt in ${(nextAttemptInMs / 1000).toFixed(1)}s)`
  );
}
