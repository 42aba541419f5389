// How long one replica takes to run a batch (simulate, pure): measured points (batch size → ms),
// interpolated linearly between them and extended past the last one by its per-row slope.
import { BatchCostCurve } from '../common/batching/adaptive-batching.js';
import { UserError } from '../common/errors.js';
import { parseDurationMs } from '../common/units.js';

/** Batch sizes and their run times in ms, ascending by batch. */
export interface ServiceTimeModel {
  points: Array<[batch: number, ms: number]>;
  /** Where the numbers come from ("measured ...", "--service-time"). */
  source: string;
}

/** Run time of a batch of `rows` in ms. */
export function serviceMs(m: ServiceTimeModel, rows: number): number {
  const p = m.points;
  if (p.length === 1) return p[0]![1];
  if (rows <= p[0]![0]) return p[0]![1];
  for (let i = 1; i < p.length; i++) {
    const [b1, t1] = p[i]!;
    if (rows <= b1) {
      const [b0, t0] = p[i - 1]!;
      return t0 + ((t1 - t0) * (rows - b0)) / (b1 - b0);
    }
  }
  const [bl, tl] = p.at(-1)!;
  const [bp, tp] = p.at(-2)!;
  return tl + ((tl - tp) / (bl - bp)) * (rows - bl);
}

/**
 * The batch-cost curve a replica would measure at warm-up for this model, for adaptive batching's
 * rule: the same run times as serviceMs at every whole batch size (flat below the first point,
 * flat past a single point).
 */
export function costCurveOf(m: ServiceTimeModel): BatchCostCurve {
  const points = m.points.map(([rows, ms]) => ({ rows, ms }));
  const first = points[0]!;
  if (first.rows > 1) points.unshift({ rows: 1, ms: first.ms });
  if (points.length === 1) points.push({ rows: 2, ms: first.ms });
  return new BatchCostCurve(points);
}

/**
 * Parses `--service-time`: one duration for every batch ("20ms"), or batch:duration pairs
 * ("1:2ms,8:4ms,32:12ms").
 */
export function parseServiceTime(text: string): ServiceTimeModel {
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = (why: string) =>
    new UserError(
      `--service-time "${text}": ${why}; give one duration ("20ms") or batch:duration ` +
        `pairs ("1:2ms,8:4ms,32:12ms")`,
    );
  if (parts.length === 0) throw bad('it is empty');
  const points: Array<[number, number]> = parts.map((p) => {
    const m = /^(?:(\d+):)?(.+)$/.exec(p)!;
    let ms: number;
    try {
      ms = parseDurationMs(m[2]!);
    } catch {
      throw bad(`"${m[2]}" is not a duration`);
    }
    if (!(ms > 0)) throw bad('a run takes more than 0');
    const batch = m[1] === undefined ? 1 : Number(m[1]);
    if (batch < 1) throw bad('a batch size is at least 1');
    return [batch, ms];
  });
  if (points.length > 1 && parts.some((p) => !p.includes(':')))
    throw bad('with several values, each needs its batch size');
  points.sort((a, b) => a[0] - b[0]);
  if (points.some((p, i) => i > 0 && p[0] === points[i - 1]![0])) throw bad('a batch size appears twice');
  return { points, source: `--service-time ${text}` };
}
