// Moving on the grid (tune, pure): the points one step away from a configuration along each axis of
// the space, in the order a hill climb tries them (the axis that last paid off first, then bigger
// values before smaller ones, which is where throughput usually lies).
import type { TuneConfig, TuneSpace } from './types.js';

/** The axes of the space, each a field of TuneConfig with its values. */
export type Axis = 'maxBatchSize' | 'batchWaitMs' | 'threads' | 'replicas';

const AXES: ReadonlyArray<[Axis, keyof TuneSpace]> = [
  ['maxBatchSize', 'batchSizes'],
  ['batchWaitMs', 'batchWaitsMs'],
  ['threads', 'threads'],
  ['replicas', 'replicas'],
];

/** One step: the point and the axis and direction it moved along. */
export interface Step {
  config: TuneConfig;
  axis: Axis;
  direction: 1 | -1;
}

/**
 * The points one step from `c` along `axes` (default every axis with more than one value), the
 * step `prefer` names first.
 */
export function neighbours(
  space: TuneSpace,
  c: TuneConfig,
  opts: { axes?: readonly Axis[]; prefer?: Omit<Step, 'config'> } = {},
): Step[] {
  const out: Step[] = [];
  for (const [axis, key] of AXES) {
    if (opts.axes && !opts.axes.includes(axis)) continue;
    const values = space[key];
    const i = values.indexOf(c[axis]);
    if (i < 0) continue;
    for (const direction of [1, -1] as const) {
      const v = values[i + direction];
      if (v !== undefined) out.push({ config: { ...c, [axis]: v }, axis, direction });
    }
  }
  const p = opts.prefer;
  if (p)
    out.sort(
      (a, b) =>
        Number(b.axis === p.axis && b.direction === p.direction) -
        Number(a.axis === p.axis && a.direction === p.direction),
    );
  return out;
}
