// `serve bench` verdicts with confidence (cli): the --confidence and --inconclusive flags, judging a
// run's gates with intervals (loadtest/verdict), and the exit code of a verdict.
import { ExitCode } from '../common/exit-codes.js';
import { UserError } from '../common/errors.js';
import { judgeGates, windowsOfSamples, type GateReport, type IntervalSample, type JudgedReport, type RunResult, type RunVerdict } from '../loadtest/index.js';

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
  if (!(v >= 50 && v < 100)) throw new UserError(`--confidence ${text}: give a percentage from 50 to 99.9 (e.g. 95), or 0 for point estimates`);
  return v / 100;
}

export function parseVerdictFlags(f: VerdictFlags): VerdictSettings {
  const confidence = parseConfidence(f.confidence);
  if (f.inconclusive !== undefined && f.inconclusive !== 'pass' && f.inconclusive !== 'fail') {
    throw new UserError(`--inconclusive ${f.inconclusive}: give pass or fail (what an inconclusive or unreliable run exits with)`);
  }
  const inconclusiveExit = f.inconclusive === 'pass' ? ExitCode.Ok : f.inconclusive === 'fail' ? ExitCode.TargetMissed : ExitCode.Inconclusive;
  return { confidence, inconclusiveExit };
}

/**
 * The gates judged with intervals from the run's per-second windows (`samples`: the interval
 * samples of the measured phase; a ramp has several phases and is judged on point estimates).
 */
export function judgeRun(result: RunResult, gates: GateReport, samples: readonly IntervalSample[], settings: VerdictSettings, seed: number): JudgedReport {
  const windows = result.steps || samples.length === 0 ? undefined : windowsOfSamples(samples);
  return judgeGates(result, gates, { confidence: settings.confidence, seed, windows });
}

/** pass 0, fail 1, inconclusive and unreliable 4 (or what --inconclusive maps them to). */
export function verdictExitCode(verdict: RunVerdict, settings: VerdictSettings): number {
  if (verdict === 'pass') return ExitCode.Ok;
  if (verdict === 'fail') return ExitCode.TargetMissed;
  return settings.inconclusiveExit;
}
