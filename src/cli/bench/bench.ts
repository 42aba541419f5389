// `serve bench` (cli): open-loop load against any OIP v2 server, the SLO table, CI gates and result
// files. The work is loadtest/runBench; this file parses flags, prints and picks the exit code.
import type { Command } from 'commander';
import { ExitCode } from '../../common/exit-codes.js';
import {
  evaluateGates,
  runOutcome,
  readBaseline,
  renderHgrm,
  renderJunit,
  renderProgressLine,
  runAB,
  runBench,
  windowsField,
  windowsOfEncoded,
  type ABRun,
  type RunResult,
} from '../../loadtest/index.js';
import { parseBenchFlags, type BenchFlags } from '../../loadtest/flags.js';
import { readClusterState } from '../../client/cluster-state.js';
import { DEFAULT_STATE_DIR } from '../../common/state-layout.js';
import { action, runExitCode } from '../errors.js';
import { printRun, renderTable } from './report.js';
import { renderBenchHtml } from './html.js';
import { onOutput, openHdrLog, prepareOutput, readCa, type Output } from './files.js';
import { BENCH_HELP } from './help.js';
import { addCompareOptions, compareWith, parseCompareFlags, type CompareFlags } from './compare.js';
import { calibrate, printCalibration } from './calibrate.js';
import {
  addVerdictOptions,
  judgeRun,
  parseVerdictFlags,
  verdictExitCode,
  watchRun,
  type VerdictFlags,
} from './verdict.js';

export { renderProgressLine, renderTable };

interface CliFlags extends BenchFlags, VerdictFlags, CompareFlags {
  profile?: string;
  stateDir: string;
  baseline?: string;
  json?: boolean;
  junit?: string;
  hdrLog?: string;
  hgrm?: string;
  html?: string;
  ca?: string;
}

/** Live progress goes to stderr, only on an interactive terminal outside CI. */
function progressWanted(): boolean {
  return Boolean(process.stderr.isTTY) && !process.env.CI;
}

async function bench(flags: CliFlags): Promise<number> {
  // No --url: the cluster running in the state directory (of --profile, when given), gated on its targets.
  const state =
    flags.url === undefined || flags.profile !== undefined
      ? readClusterState(flags.stateDir, flags.profile)
      : undefined;
  // SERVE_TOKEN keeps the token out of `ps` (a --token flag is visible there); an empty one is none.
  const token = flags.token ?? (process.env.SERVE_TOKEN || undefined);
  const { options, targets, maxRegression } = parseBenchFlags(
    { ...flags, token },
    state && { url: state.gatewayUrl, model: state.model.name, slo: state.slo ?? {} },
  );
  const verdictSettings = parseVerdictFlags(flags);
  if (flags.ca !== undefined) options.ca = await readCa(flags.ca);
  const mode = parseCompareFlags(flags, options, flags.baseline);
  const baseline = flags.baseline === undefined ? undefined : await readBaseline(flags.baseline);
  // Find unwritable output files now, not after a long run.
  const pending: Output[] = [];
  const removeTemps = () => {
    for (const p of pending.splice(0)) p.pending.discard();
  };
  try {
    const outputs: Partial<Record<'junit' | 'hgrm' | 'hdrLog' | 'html', Output>> = {};
    for (const [key, flag] of [
      ['junit', '--junit'],
      ['hgrm', '--hgrm'],
      ['hdrLog', '--hdr-log'],
      ['html', '--html'],
    ] as const) {
      const file = flags[key];
      if (file !== undefined) pending.push((outputs[key] = prepareOutput(flag, file)));
    }
    const hdrLog = outputs.hdrLog && openHdrLog(outputs.hdrLog);
    const showProgress = progressWanted();
    const controller = new AbortController();
    let interrupts = 0;
    const onSigint = () => {
      // First Ctrl-C: stop sending and report; a second one leaves at once.
      if (++interrupts > 1) {
        removeTemps();
        process.exit(ExitCode.Interrupted);
      }
      controller.abort();
    };
    process.on('SIGINT', onSigint);
    let result: RunResult;
    let ab: ABRun | undefined;
    // Each measured second's histogram (the windows the intervals resample) and the generator's own lag.
    const watch = watchRun(options.workers ?? 1);
    try {
      const hooks = {
        signal: controller.signal,
        ...watch.hooks(
          showProgress ? (p) => process.stderr.write(`\r\x1b[2K${renderProgressLine(p)}`) : undefined,
          hdrLog && ((s) => hdrLog.write(s)),
        ),
      };
      if (mode.baselineUrl !== undefined) ab = await runAB(options, mode.baselineUrl, hooks);
      result = ab ? ab.candidate.result : await runBench(options, hooks);
    } finally {
      watch.stop();
      process.off('SIGINT', onSigint);
      if (showProgress) process.stderr.write('\r\x1b[2K');
      await hdrLog?.close();
    }
    if (!result.steps) result.windows = windowsField(watch.windows);
    if (ab) ab.baseline.result.windows = windowsField(ab.baseline.windows);
    if (mode.calibrate && ab && !result.interrupted) {
      printCalibration(calibrate(ab, { ...verdictSettings, seed: options.seed, maxRegression }), flags.json === true);
      return ExitCode.Ok;
    }
    const baselineWindows = baseline?.windows && windowsOfEncoded(baseline.windows.latencyUs);
    const gates = judgeRun(
      result,
      evaluateGates(result, targets, baseline, maxRegression),
      watch,
      verdictSettings,
      options.seed,
      {
        baselineWindows,
        ...(baseline && { baselineNote: `the baseline ran at another time (${baseline.startedAt})` }),
        ...(ab && { alsoAudit: ab.baseline.result }),
      },
    );
    const comparison = compareWith(result, gates, {
      ab,
      candidateWindows: watch.windows,
      baseline,
      baselineWindows,
      file: flags.baseline,
      seed: options.seed,
      confidence: verdictSettings.confidence,
      maxRegression,
    });
    // Decided before anything is printed, so the table never shows a verdict for a run that exits 3.
    const outcome = runOutcome(result, gates);
    const notJudged = outcome === 'unreachable' ? 'no verdict: every request failed to connect' : undefined;
    if (outputs.junit) onOutput(outputs.junit, (p) => p.write(renderJunit(result, gates)));
    if (outputs.hgrm) onOutput(outputs.hgrm, (p) => p.write(renderHgrm(result)));
    if (outputs.html)
      onOutput(outputs.html, (p) => p.write(renderBenchHtml(result, gates, notJudged, comparison?.text)));
    // One by one: when a commit fails, the temp files not yet committed are removed in finally.
    while (pending.length > 0) {
      onOutput(pending[0]!, (p) => p.commit());
      pending.shift();
    }
    await printRun(result, gates, {
      json: flags.json === true,
      ...(notJudged === undefined ? {} : { notJudged }),
      ...(comparison && { comparison: comparison.comparison, comparisonText: comparison.text }),
      ...(ab && { against: ab.baseline.result }),
    });
    return outcome === 'passed' || outcome === 'failed'
      ? verdictExitCode(gates.verdict, verdictSettings)
      : runExitCode(outcome, result.target.url);
  } finally {
    removeTemps();
  }
}

export function register(program: Command): void {
  const cmd = program
    .command('bench')
    .description(
      'Load an Open Inference Protocol v2 server open-loop, report latency ' + 'percentiles, and gate on targets.',
    )
    .option(
      '--url <url>',
      'base URL of the OIP v2 server (gateway, replica, Triton, KServe); default: the ' +
        "cluster `serve up` runs in --state-dir, gated on its profile's targets",
    )
    .option('--model <name>', 'model to load (default: the only model the server lists)')
    .option('--model-version <v>', "model version (default: the server's choice)")
    .option('--profile <name>', 'take URL, model and targets from the running `serve up --profile NAME`')
    .option('--state-dir <dir>', 'state directory of the cluster to load when --url is not given', DEFAULT_STATE_DIR)
    .option(
      '--rps <rate>',
      'requests per second, or a ramp from:to:step such as 50:1000:50 (default: the ' +
        "profile's slo.throughput.target, else 100)",
    )
    .option('--step <duration>', 'time at each ramp rate (default 10s)')
    .option('--arrival <kind>', 'constant or poisson arrivals (default constant)')
    .option('--duration <duration>', 'measured time, e.g. 30s (default 30s)')
    .option(
      '--warmup <duration>',
      'load applied at the first rate before measuring, not recorded; 0 turns it off ' +
        '(default 2s, shown in the header line)',
    )
    .option('--connections <n>', 'most open connections, one request each at a time (default 256)')
    .option('--concurrency <n>', 'closed loop: N requests back to back instead of a schedule')
    .option(
      '--timeout <duration>',
      'total per-request limit, connecting included, from send to the end of the ' +
        'response; also bounds each discovery request (default 10s)',
    )
    .option('--late-threshold <duration>', 'a send later than this behind schedule counts as late (default 2ms)')
    .option('--binary', 'send tensors with the binary tensor extension')
    .option(
      '--check-shape',
      'also parse every response and check its output shapes against the model ' +
        'metadata (a cheap check that each 2xx is an inference response always runs)',
    )
    .option('--requests <file>', 'replay infer requests from a JSON-lines file instead of random payloads')
    .option('--seed <n>', 'seed of payloads and Poisson arrivals (default 1)')
    .option('--workers <n>', 'worker threads sharing the schedule and connections, histograms merged (default 1)')
    .option('--p50 <duration>', 'target: p50 latency at most this')
    .option('--p90 <duration>', 'target: p90 latency')
    .option('--p95 <duration>', 'target: p95 latency')
    .option('--p99 <duration>', 'target: p99 latency')
    .option('--p999 <duration>', 'target: p99.9 latency')
    .option('--max <duration>', 'target: max latency')
    .option('--error-rate <percent>', 'target: error rate at most this, e.g. 1%')
    .option('--min-rps <rate>', 'target: achieved successful requests per second at least this')
    .option(
      '--baseline <file>',
      'compare with an earlier --json result; its per-second windows give each percentile ratio an ' +
        'interval (a file without them: point estimates). e.g. --baseline main.json',
    )
    .option('--max-regression <percent>', 'allowed regression against --baseline or --against (default 10%)')
    .option('--json', 'print the whole result as JSON on stdout; the table then goes to stderr')
    .option('--junit <file>', 'write a JUnit XML report, one test case per target')
    .option('--hdr-log <file>', 'write the HdrHistogram interval log (one histogram a second)')
    .option('--hgrm <file>', 'write the percentile distribution (.hgrm text)')
    .option(
      '--html <file>',
      'write a self-contained HTML report: latency per second with the targets, the ' +
        'percentile spectrum, throughput and errors, the table',
    )
    .option('--token <token>', 'send Authorization: Bearer <token> (default: $SERVE_TOKEN, which keeps it out of `ps`)')
    .option('--ca <file>', "trust this CA certificate (PEM) for https:// instead of the system's")
    .addHelpText('after', BENCH_HELP);
  addCompareOptions(addVerdictOptions(cmd)).action(action((flags: CliFlags) => bench(flags)));
}
