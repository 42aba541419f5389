// When a measurement may stop (tune, pure): perf_analyzer's rule, the last three windows within 10%
// of their mean on the achieved rate and on p99 (p99 also when within 1 ms, rate within 1 req/s), or
// "overloaded" after two windows in a row that answered under 80% of the rate; otherwise one more
// window, until the limit, where it is declared unstable.

/** What one window measured. */
export interface WindowSample {
  /** Successful answers per second. */
  achievedPerSec: number;
  p99Ms: number;
  requestedPerSec: number;
}

export const STABLE_WINDOWS = 3;
export const STABLE_FRACTION = 0.1;
export const STABLE_FLOOR_MS = 1;
export const STABLE_FLOOR_PER_SEC = 1;
/** A window that answers less than this share of the requested rate could not keep up. */
export const OVERLOAD_SHARE = 0.8;

export type WindowVerdict = 'stable' | 'overloaded' | 'unstable' | 'more';

/** True when every value lies within `fraction` of their mean, or within `floor` of it. */
export function withinBand(values: readonly number[], fraction: number, floor: number): boolean {
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  return values.every((v) => Math.abs(v - mean) <= Math.max(fraction * Math.abs(mean), floor));
}

/** Whether the windows so far settle the measurement, given at most `maxWindows`. */
export function judgeWindows(windows: readonly WindowSample[], maxWindows: number): WindowVerdict {
  const last = windows.slice(-STABLE_WINDOWS);
  if (
    last.length === STABLE_WINDOWS &&
    withinBand(
      last.map((w) => w.achievedPerSec),
      STABLE_FRACTION,
      STABLE_FLOOR_PER_SEC,
    ) &&
    withinBand(
      last.map((w) => w.p99Ms),
      STABLE_FRACTION,
      STABLE_FLOOR_MS,
    )
  )
    return 'stable';
  const two = windows.slice(-2);
  if (two.length === 2 && two.every((w) => w.achievedPerSec < OVERLOAD_SHARE * w.requestedPerSec)) return 'overloaded';
  return windows.length >= maxWindows ? 'unstable' : 'more';
}
