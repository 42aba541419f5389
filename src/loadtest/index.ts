// The public API of the load tester (loadtest): what `serve bench`, `serve demo` and tune import.
export { runBench, type BenchHooks, RAMP_MIN_ACHIEVED_SHARE } from './run.js';
export {
  evaluateGates,
  runOutcome,
  type RunOutcome,
  targetChecks,
  baselineChecks,
  REGRESSION_FLOOR_MS,
  BASELINE_MIN_TAIL_SAMPLES,
} from './gates.js';
export { tableModel, renderProgressLine, type TableModel } from './report.js';
export { renderJunit, hdrLogHeader, hdrLogLine, renderHgrm } from './formats.js';
export { renderAnnotations, renderStepSummary } from './github.js';
export { parseRateSpec, rampRates, ArrivalSchedule } from './schedule.js';
export { findKnee } from './knee.js';
export { summarizeEncoded } from './histogram.js';
export { readBaseline } from './compare/baseline.js';
export { percentileSpectrum, type SpectrumPoint } from './spectrum.js';
export type * from './types.js';
export { parseBenchFlags, benchOptionsWithDefaults, benchDefaults, type BenchFlags } from './flags.js';
export {
  judgeGates,
  verdictOf,
  outcomeOf,
  type JudgedCheck,
  type JudgedReport,
  type CheckOutcome,
  type RunVerdict,
  type VerdictOptions,
} from './verdict.js';
export { windowsOfSamples, windowsOfEncoded, windowsField } from './windows.js';
export { runAB, abBlockMs, sideOfBlock, type ABRun, type SideRun } from './compare/ab.js';
export { mergeRuns } from './compare/merge-runs.js';
export {
  compareRuns,
  comparisonRunVerdict,
  overallVerdict,
  ratioVerdict,
  COMPARED,
  type Comparison,
  type ComparisonVerdict,
  type PercentileComparison,
} from './compare/compare.js';
