// How closely two models' outputs agree, pure (model plane): the predicted class (argmax over the
// last axis of the first output) and the absolute differences of every output value.

/** The outputs of one model for every row, by output name, row after row. */
export type OutputValues = ReadonlyMap<string, ArrayLike<number>>;

/** Agreement figures of B against A over the same rows. */
export interface Agreement {
  /** Predictions compared: rows × positions of the first output (one per row for a classifier). */
  predictions: number;
  /** Predictions where A and B pick the same class. */
  agreeing: number;
  /** agreeing / predictions, a fraction 0..1. */
  agreement: number;
  /** The output whose argmax is the predicted class, and its number of classes (last axis). */
  classOutput: string;
  classes: number;
  /** How often each class was predicted, by A and by B (index = class). */
  classCounts: { a: number[]; b: number[] };
  /** Over every value of every output. */
  maxAbsDiff: number;
  meanAbsDiff: number;
  /** The same per output. */
  outputs: { name: string; maxAbsDiff: number; meanAbsDiff: number }[];
}

function argmax(values: ArrayLike<number>, start: number, size: number): number {
  let best = 0;
  for (let i = 1; i < size; i++) if (values[start + i]! > values[start + best]!) best = i;
  return best;
}

/**
 * Compares `b` with `a`, output by output (`names` in order; the first is the class output with
 * `classes` values on its last axis). Both must hold the same number of values per output.
 */
export function agreementOf(a: OutputValues, b: OutputValues, names: readonly string[], classes: number): Agreement {
  let total = 0;
  let sum = 0;
  let max = 0;
  const outputs = names.map((name) => {
    const va = a.get(name)!;
    const vb = b.get(name)!;
    if (va.length !== vb.length)
      throw new RangeError(`output "${name}": ${va.length} values from A, ${vb.length} from B`);
    let outMax = 0;
    let outSum = 0;
    for (let i = 0; i < va.length; i++) {
      const d = Math.abs(va[i]! - vb[i]!);
      outSum += d;
      if (d > outMax || Number.isNaN(d)) outMax = Number.isNaN(d) ? Infinity : d;
    }
    total += va.length;
    sum += outSum;
    max = Math.max(max, outMax);
    return { name, maxAbsDiff: outMax, meanAbsDiff: va.length ? outSum / va.length : 0 };
  });
  const ca = a.get(names[0]!)!;
  const cb = b.get(names[0]!)!;
  const size = Math.max(1, classes);
  const predictions = Math.floor(ca.length / size);
  let agreeing = 0;
  const classCounts = { a: new Array<number>(size).fill(0), b: new Array<number>(size).fill(0) };
  for (let p = 0; p < predictions; p++) {
    const [pa, pb] = [argmax(ca, p * size, size), argmax(cb, p * size, size)];
    classCounts.a[pa]!++;
    classCounts.b[pb]!++;
    if (pa === pb) agreeing++;
  }
  return {
    predictions,
    agreeing,
    agreement: predictions ? agreeing / predictions : 1,
    classOutput: names[0]!,
    classes: size,
    classCounts,
    maxAbsDiff: max,
    meanAbsDiff: total ? sum / total : 0,
    outputs,
  };
}

/** Rows per second for `runs` runs of `batch` rows in `elapsedMs`. */
export function rowsPerSecond(batch: number, runs: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (batch * runs * 1000) / elapsedMs : 0;
}
