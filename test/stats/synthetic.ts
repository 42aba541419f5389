// Synthetic latency for the statistics tests: log-normal seconds of a run, optionally with a
// per-second slowdown that drifts (AR(1) in log space), whose percentiles are known exactly.
import { seededRandom } from '../../src/common/random.js';
import { normalQuantile } from '../../src/stats/normal.js';
import { windowsFromSamples, type WindowCounts } from '../../src/stats/windows.js';

export interface SyntheticRun {
  /** Median service time, ms. */
  medianMs: number;
  /** Log-space spread inside a second. */
  sigma: number;
  /** Log-space spread of the per-second slowdown (0: independent seconds). */
  tau?: number;
  /** Correlation of one second's slowdown with the next. */
  phi?: number;
  seconds: number;
  perSecond: number;
}

/** Rounds to 3 significant digits, as an HDR histogram's buckets do. */
export const hdrRound = (ms: number) => {
  const e = 10 ** (Math.floor(Math.log10(ms)) - 2);
  return Math.ceil(ms / e) * e;
};

/** The exact `fraction` percentile of the run's marginal distribution. */
export function truePercentile(run: SyntheticRun, fraction: number): number {
  const s = Math.sqrt(run.sigma ** 2 + (run.tau ?? 0) ** 2);
  return run.medianMs * Math.exp(s * normalQuantile(fraction));
}

export function synthesize(run: SyntheticRun, seed: number, scale = 1): WindowCounts[] {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const tau = run.tau ?? 0;
  const phi = run.phi ?? 0;
  let effect = tau * gauss();
  const seconds: number[][] = [];
  for (let s = 0; s < run.seconds; s++) {
    const xs: number[] = [];
    for (let i = 0; i < run.perSecond; i++)
      xs.push(hdrRound(scale * run.medianMs * Math.exp(run.sigma * gauss() + effect)));
    seconds.push(xs);
    // Stationary AR(1): the marginal spread of the slowdown stays tau.
    effect = phi * effect + tau * Math.sqrt(1 - phi * phi) * gauss();
  }
  return windowsFromSamples(seconds);
}
