// `serve bench` verdicts with confidence (cli): the --confidence and --inconclusive flags, judging a
// run's gates with intervals (loadtest/verdict), and the exit code of a verdict.
import type { Command } from 'commander';
import { ExitCode } from '../../common/exit-codes.js';
import { UserError } from '../../common/errors.js';
import {
  judgeGates,
  windowsOfSamples,
  type BenchHooks,
  type GateReport,
  type IntervalSample,
  type JudgedReport,
  type ProgressSnapshot,
  type RunResult,
  type RunVerdict,
  type VerdictOptions,
} from '../../loadtest/index.js';
import { auditRun, type AuditProbe, type GeneratorAudit } from '../../loadtest/audit.js';
import { startAuditProbe } from '../../loadtest/audit-probe.js';

/** Default two-sided level of the gates' intervals. */
export const DEFAULT_CONFIDENCE = 0.95;

export interface VerdictFlags {
  confidence?: string;
  inconclusive?: string;
}

export interface VerdictSettings {
  confidence: number;
  /** Exit code of an inconclusive or unreliable verdict. */
  inconclusiveExit: number;
}

/** --confidence 95 / 95% / 99.9 → 0.95 ...; 0 → point estimates. One line naming the flag when wrong. */
export function parseConfidence(text: string | undefined): number {
  if (text === undefined) return DEFAULT_CONFIDENCE;
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  const v = m ? Number(m[1]) : Number.NaN;
  if (v === 0) return 0;
  if (!(v >= 50 && v < 100))
    throw new UserError(
      `--confidence ${text}: give a percentage from 50 to 99.9 (e.g. 95), or 0 for ` + `point estimates`,
    );
  return v / 100;
}

export function parseVerdictFlags(f: VerdictFlags): VerdictSettings {
  const confidence = parseConfidence(f.confidence);
  if (f.inconclusive !== undefined && f.inconclusive !== 'pass' && f.inconclusive !== 'fail') {
    throw new UserError(
      `--inconclusive ${f.inconclusive}: give pass or fail (what an inconclusive or ` + `unreliable run exits with)`,
    );
  }
  const inconclusiveExit =
    f.inconclusive === 'pass' ? ExitCode.Ok : f.inconclusive === 'fail' ? ExitCode.TargetMissed : ExitCode.Inconclusive;
  return { confidence, inconclusiveExit };
}

/** What a run is watched for while it runs: its per-second windows and the generator's own lag. */
export interface RunWatch {
  interval(s: IntervalSample): void;
  progress(p: ProgressSnapshot): void;
  stop(): void;
  readonly windows: IntervalSample[];
  probe?: AuditProbe;
  /** runBench hooks that watch, then call `onProgress` and `onInterval` (the progress line, the HDR log). */
  hooks(
    onProgress?: (p: ProgressSnapshot) => void,
    onInterval?: (s: IntervalSample) => void,
  ): Required<Pick<BenchHooks, 'onProgress' | 'onInterval'>>;
}

/** Watches a run; the event-loop delay is measured when the load runs on this thread (one worker). */
export function watchRun(workers: number): RunWatch {
  const probe = startAuditProbe(workers <= 1);
  const watch: RunWatch = {
    windows: [],
    interval: (s) => watch.windows.push(s),
    progress: (p) => probe.progress(p),
    stop: () => (watch.probe ??= probe.stop()) && undefined,
    hooks: (onProgress, onInterval) => ({
      onProgress: (p) => {
        watch.progress(p);
        onProgress?.(p);
      },
      onInterval: (s) => {
        watch.interval(s);
        onInterval?.(s);
      },
    }),
  };
  return watch;
}

export type BenchVerdict = JudgedReport & { audit?: GeneratorAudit };

/**
 * The gates judged with intervals from the run's per-second windows (a ramp has several phases
 * and is judged on point estimates), then the self-audit: a failing or inconclusive run whose
 * generator fell behind is "unreliable", unless a target was missed by more than the lag explains.
 */
export function judgeRun(
  result: RunResult,
  gates: GateReport,
  watch: RunWatch,
  settings: VerdictSettings,
  seed: number,
  baseline: Pick<VerdictOptions, 'baselineWindows' | 'baselineNote'> & { alsoAudit?: RunResult } = {},
): BenchVerdict {
  const windows = result.steps || watch.windows.length === 0 ? undefined : windowsOfSamples(watch.windows);
  const judged: BenchVerdict = judgeGates(result, gates, {
    confidence: settings.confidence,
    seed,
    windows,
    baselineWindows: baseline.baselineWindows,
    baselineNote: baseline.baselineNote,
  });
  if (!watch.probe) return judged;
  // With --against the generator measured both sides: the side it audited worse decides.
  const audits = [result, ...(baseline.alsoAudit ? [baseline.alsoAudit] : [])].map((r) => auditRun(r, watch.probe!));
  const audit = (judged.audit = audits.find((a) => a.unreliable) ?? audits[0]!);
  if (!audit.unreliable) return judged;
  const lagMs = Math.max(audit.eventLoopDelayP99Ms ?? 0, audit.meanLatenessMs);
  const latency = (m: string) => m !== 'errorRate' && m !== 'minRps' && m !== 'throughput' && m !== 'successes';
  const clearMiss = judged.checks.some(
    (c) => c.outcome === 'missed' && (!latency(c.metric) || c.ciLow - lagMs > c.limit),
  );
  // A pass stands: the generator's lag only adds to intended-time latency, so met targets are met
  // by the server too. A miss or an undecided check may be the generator's own doing.
  if (judged.verdict !== 'pass' && !clearMiss) judged.verdict = 'unreliable';
  return judged;
}

/** The verdict line replacing PASS/FAIL when the run is unreliable; undefined otherwise. */
export function unreliableLine(v: BenchVerdict): string | undefined {
  return v.verdict === 'unreliable' && v.audit
    ? `UNRELIABLE: ${v.audit.reason}; the figures may be the generator's, not the ` + `server's. Fix: ${v.audit.fix}`
    : undefined;
}

/** pass 0, fail 1, inconclusive and unreliable 4 (or what --inconclusive maps them to). */
export function verdictExitCode(verdict: RunVerdict, settings: VerdictSettings): number {
  if (verdict === 'pass') return ExitCode.Ok;
  if (verdict === 'fail') return ExitCode.TargetMissed;
  return settings.inconclusiveExit;
}

/** The verdict flags of `serve bench`. */
export function addVerdictOptions(cmd: Command): Command {
  return cmd
    .option(
      '--confidence <percent>',
      "confidence of each target's interval (default 95); a target is missed only " +
        'when its whole interval lies beyond it; 0 = point estimates, as before',
    )
    .option(
      '--inconclusive <pass|fail>',
      'exit 0 (pass) or 1 (fail) instead of 4 when the verdict is inconclusive or the run unreliable',
    );
}

/** How targets are judged, for `serve bench --help`. */
export const VERDICT_HELP =
  `Each target is judged with a confidence interval from the run's per-second ` +
  `histograms (a block
bootstrap): met when the interval lies within it, missed ` +
  `when wholly beyond it, else inconclusive,
with about how long a run would ` +
  `decide it. A percentile with too few samples behind it (a p99 of a
few hundred ` +
  `requests) is judged on its point estimate and says so; --confidence 0 judges ` +
  `every
target on its point estimate, as before.
`;
