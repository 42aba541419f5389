// Minimum detectable effect and the run length needed (stats, pure): how big a change a run of a
// given length can tell from noise, from the spread of its bootstrap replicates. The spread of a
// percentile estimate shrinks as 1/sqrt(length) for a stationary run, which is the assumption here.
import { normalQuantile, zTwoSided } from './normal.js';

/** Power used for every minimum detectable effect: the usual 80%. */
export const MDE_POWER = 0.8;

/**
 * Smallest relative change (0.1 = 10%) detected with MDE_POWER when the log of the compared
 * quantity has standard error `seLog` (for a ratio of two runs: both runs' errors combined).
 */
export function mdeFromSeLog(seLog: number, confidence: number): number {
  return Math.exp((zTwoSided(confidence) + normalQuantile(MDE_POWER)) * seLog) - 1;
}

/**
 * The minimum detectable effect of an A/B comparison with `plannedSeconds` per side, from one run
 * of `measuredSeconds` whose percentile has log standard error `seLog` (A/A: both sides alike).
 */
export function mdeForLength(
  seLog: number,
  measuredSeconds: number,
  plannedSeconds: number,
  confidence: number,
): number {
  return mdeFromSeLog(Math.SQRT2 * seLog * Math.sqrt(measuredSeconds / plannedSeconds), confidence);
}

/** Seconds per side for an A/B comparison to detect `effect` (0.1 = 10%), from the same measurement. */
export function secondsToDetect(seLog: number, measuredSeconds: number, effect: number, confidence: number): number {
  const z = zTwoSided(confidence) + normalQuantile(MDE_POWER);
  return measuredSeconds * ((z * Math.SQRT2 * seLog) / Math.log1p(effect)) ** 2;
}

/**
 * For an interval [low, high] around `estimate` that straddles `target` after `measuredSeconds`:
 * how many seconds a run would likely need for its interval to exclude the target, if the figure
 * stays where it is (the half-width shrinks as 1/sqrt(length)). Infinity when estimate = target.
 */
export function secondsToDecide(
  estimate: number,
  low: number,
  high: number,
  target: number,
  measuredSeconds: number,
): number {
  if (!(estimate > 0 && target > 0 && low > 0 && high > 0)) return Number.POSITIVE_INFINITY;
  const gap = Math.abs(Math.log(estimate / target));
  // The side of the interval facing the target is the one that must shrink past it.
  const halfWidth = estimate < target ? Math.log(high / estimate) : Math.log(estimate / low);
  if (gap === 0) return Number.POSITIVE_INFINITY;
  return measuredSeconds * Math.max(1, (halfWidth / gap) ** 2);
}

/**
 * Seconds per side for an A/B comparison to detect `effect`, from an A/A pair of `measuredSeconds`
 * per side whose ratio has log standard error `seLogRatio` (both sides' noise already in it).
 */
export function secondsToDetectRatio(
  seLogRatio: number,
  measuredSeconds: number,
  effect: number,
  confidence: number,
): number {
  const z = zTwoSided(confidence) + normalQuantile(MDE_POWER);
  return measuredSeconds * ((z * seLogRatio) / Math.log1p(effect)) ** 2;
}
