// Stable process exit codes (common, every plane). CI pipelines depend on these: never renumber.

/** Exit codes of every `serve` command. Documented in the README under "Exit codes". */
export const ExitCode = {
  /** Success; for `serve bench` every target was met. */
  Ok: 0,
  /** A performance target or a baseline comparison failed (the run itself worked). */
  TargetMissed: 1,
  /** Bad flag, bad profile, bad model: the user can fix the input. */
  Usage: 2,
  /** The target could not be reached: nothing listening, cluster not running, model not served. */
  Unreachable: 3,
  /**
   * `serve bench` could not decide: a target's confidence interval straddles it, or the load
   * generator itself fell behind (an unreliable run). `--inconclusive pass|fail` maps it to 0 or 1.
   */
  Inconclusive: 4,
  /** A bug in serve itself. */
  Internal: 70,
  /** Interrupted by SIGINT before finishing. */
  Interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
