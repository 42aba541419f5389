// Stable process exit codes (common, every plane). CI pipelines depend on these: never renumber.
// The meanings below are data, so `--help` and docs/reference/exit-codes.md are rendered from them.

/** Exit codes of every `serve` command. Documented in docs/reference/exit-codes.md (generated from exitCodeDocs). */
export const ExitCode = {
  /** Success; for `serve bench` every target was met. */
  Ok: 0,
  /** A performance target or a baseline comparison failed (the run itself worked). */
  TargetMissed: 1,
  /** Bad flag, bad profile, bad model: the user can fix the input. */
  Usage: 2,
  /**
   * The target could not be reached: nothing listening, cluster not running, model not served; or
   * `serve up` got fewer than replicas.min replicas ready.
   */
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

/** What one exit code means: a few words (for `--help`), a sentence, and what it means per command. */
export interface ExitCodeDoc {
  short: string;
  meaning: string;
  /** Command (as typed after `serve`) → what the code means for it, where that says more than `meaning`. */
  byCommand?: Readonly<Record<string, string>>;
}

/** The meaning of every exit code, in the words the docs and `serve --help` use. */
export const exitCodeDocs: Readonly<Record<keyof typeof ExitCode, ExitCodeDoc>> = {
  Ok: {
    short: 'ok',
    meaning: 'Success; for `serve bench` and `serve demo` every target was met.',
    byCommand: {
      bench: 'every target and baseline check met, and at least one request succeeded',
      tune: 'the recommendation met every target with confidence (also when the budget ran out after one was found)',
    },
  },
  TargetMissed: {
    short: 'a target missed',
    meaning: 'A performance target or the baseline comparison failed; the run itself worked.',
    byCommand: {
      bench:
        'a target or a baseline comparison missed, `--against` found a regression, or not one ' +
        'request succeeded (even ' +
        'without targets: `FAIL: no successful request`); the server was reached',
      tune: 'every measured configuration missed with confidence: the closest candidate is reported with what it missed',
      rollout:
        'the rollout rolled back (a missed step, a step still undecided at --max-step-time with rollout.on_inconclusive: rollback, new replicas that could not start, an abort)',
      'model compare': 'agreement below `--min-agreement`',
    },
  },
  Usage: {
    short: 'usage or config error',
    meaning: 'Usage or configuration error: bad flag, bad profile, bad model; one line says what and where.',
    byCommand: {
      bench:
        'bad flag, unreadable baseline, requests or `--ca` file, model not listed and no ' +
        '`--model`, `--url` answers discovery with something that is not HTTP, a 401 (no ' +
        'token or a refused one), a TLS certificate `--ca` does not vouch for',
      tune: 'bad flag, bad profile, an empty search space, no target rate for `--objective cost`',
      up: 'bad flag or profile, or a cluster already running in the state directory',
      scale: 'a count outside replicas.min/max without `--force`',
    },
  },
  Unreachable: {
    short: 'target unreachable (or `serve up` got fewer than replicas.min ready)',
    meaning: 'The target could not be reached: nothing listening, no cluster running, model not served.',
    byCommand: {
      up:
        'fewer than `replicas.min` replicas became ready (what started is left running ' +
        'with `--detach`, stopped in the foreground); `--allow-degraded` makes it 0',
      bench:
        'the server cannot be reached or does not answer discovery within `--timeout`, ' +
        'the model is not served, no cluster runs for `--profile`, or every request of ' +
        'the run failed to connect',
      tune: 'the tuning cluster could not be started or reached (`--attach` with nothing running)',
      status:
        'no cluster running in the state directory (or its controller died: the output ' +
        'says what became of its processes)',
      scale: 'no cluster running in the state directory',
      down:
        'a replica that a dead controller left on an SSH host could not be stopped (its host not ' +
        'reached, or no way to reach it in the journal): the output names it and how to stop it by hand',
      logs: 'no logs in the state directory',
    },
  },
  Inconclusive: {
    short: 'inconclusive (or unreliable)',
    meaning:
      'No verdict with confidence: a target lies inside the interval of its measured ' +
      'figure, or the load generator itself fell behind enough to distort the figures.',
    byCommand: {
      bench:
        'a check is inconclusive (its interval straddles the target: a longer run would ' +
        'decide it), an `--against` comparison is undecided, or the run is unreliable (the ' +
        'generator fell behind); ' +
        '`--inconclusive pass|fail` maps it to 0 or 1',
      tune:
        "nothing was decided with confidence: the recommendation's measurement was unstable or " +
        "a target's interval straddled it (after the repeats the budget allowed), or some " +
        'candidate was neither met nor missed; nothing is ' +
        'written without `--write-anyway`',
    },
  },
  Internal: {
    short: 'internal error',
    meaning: 'Internal error: a bug in serve (`SERVE_DEBUG=1` shows the stack).',
  },
  Interrupted: {
    short: 'interrupted',
    meaning:
      'Interrupted by Ctrl-C (SIGINT) before finishing; `serve bench` and `serve tune` ' +
      'still report what they have.',
  },
};

/** "0 ok, 1 a target missed, ...": the one-line summary `serve --help` prints. */
export function exitCodeSummary(): string {
  return (Object.keys(ExitCode) as (keyof typeof ExitCode)[])
    .filter((name) => name !== 'Interrupted')
    .map((name) => `${ExitCode[name]} ${exitCodeDocs[name].short}`)
    .join(', ');
}
