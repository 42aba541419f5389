// A run's per-second latency windows for the statistics core (loadtest): the interval samples the
// runner already produces (one encoded HDR histogram a second), as plain bucket counts.
import type { WindowCounts } from '../stats/index.js';
import { bucketsOfEncoded } from './histogram.js';
import type { IntervalSample, RunResult } from './types.js';

/** Windows of the measured phase, in order; a window without successes stays (it holds no counts). */
export function windowsOfSamples(samples: readonly IntervalSample[]): WindowCounts[] {
  return samples.map((s) => s.buckets ?? bucketsOfEncoded(s.latencyUs));
}

/** Windows saved in a result file (RunResult.windows.latencyUs). */
export function windowsOfEncoded(latencyUs: readonly string[]): WindowCounts[] {
  return latencyUs.map((e) => bucketsOfEncoded(e));
}

/** The --json `windows` of a run from its interval samples. */
export function windowsField(samples: readonly IntervalSample[]): NonNullable<RunResult['windows']> {
  return { intervalMs: 1000, latencyUs: samples.map((s) => s.latencyUs) };
}
