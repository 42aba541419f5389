// A run's per-second latency windows for the statistics core (loadtest): the interval samples the
// runner already produces (one encoded HDR histogram a second), as plain bucket counts.
import type { WindowCounts } from '../stats/index.js';
import { bucketsOfEncoded } from './histogram.js';
import type { IntervalSample } from './types.js';

/** Windows of the measured phase, in order; a window without successes stays (it holds no counts). */
export function windowsOfSamples(samples: readonly IntervalSample[]): WindowCounts[] {
  return samples.map((s) => bucketsOfEncoded(s.latencyUs));
}
