// The text after `serve bench --help`'s options (cli): examples, where output goes, verdicts, exit codes.
import { VERDICT_HELP } from './verdict.js';
import { COMPARE_HELP } from './compare.js';

export const BENCH_HELP =
  `
Examples:
  $ serve bench --url http://127.0.0.1:8000 --rps 200 --duration ` +
  `30s --p99 100ms
  $ serve bench --profile local --baseline bench.json --json > ` +
  `new.json
  $ serve bench --url http://127.0.0.1:8000 --rps 50:1000:50 --step ` +
  `10s --p99 100ms
  $ serve bench --url http://127.0.0.1:8000 --rps 200 ` +
  `--duration 60s --p99 100ms --html bench.html
  $ serve bench --url http://new:8000 --against http://old:8000 --rps 200 ` +
  `--duration 30s
  $ serve bench --url http://127.0.0.1:8000 --rps 200 --duration 30s ` +
  `--calibrate
  $ SERVE_TOKEN=$(cat ` +
  `~/.serve-token) serve bench --url https://gw:8443 --ca ca.pem --rps ` +
  `200

Through a serve gateway every answer names its model version ` +
  `(X-Model-Version): --json has a
byVersion object, and when answers came from ` +
  `more than one version (a rollout) the report adds a
line per version (its ` +
  `answers, failures and percentiles); the targets judge all answers ` +
  `together.

Where output goes: the table on stdout (with --json, on stderr); ` +
  `when stdout is not a terminal, the
verdict line also on stderr, so a CI log ` +
  `says why a run failed. With GITHUB_ACTIONS=true the run is
also appended to ` +
  `$GITHUB_STEP_SUMMARY as Markdown, and each failed check is an ::error ` +
  `annotation
(on stderr, which the runner reads for workflow commands as it reads ` +
  `stdout).
${VERDICT_HELP}${COMPARE_HELP}
Exit codes: 0 targets met, 1 a target missed or no ` +
  `request succeeded, 2 bad flags, 3 unreachable (or no answer within --timeout), ` +
  `4 inconclusive or unreliable (see --inconclusive), 130 interrupted. With ` +
  `--against: 1 regression, 0 none, 4 undecided.`;
