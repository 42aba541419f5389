// Per-window latency counts as plain data (stats, pure): the statistics core never sees an HDR
// histogram, only each window's (value, count) pairs, so it imports nothing but common/.

/** One window (a second of a run) as sorted bucket values (milliseconds) and their counts. */
export interface WindowCounts {
  /** Ascending bucket values in milliseconds (an HDR bucket's highest equivalent value). */
  valuesMs: readonly number[];
  counts: readonly number[];
}

/**
 * All windows of a run on one shared grid of values, each window a sparse list of grid indices:
 * merging any selection of windows is then adding integers into one array, which keeps a
 * thousand bootstrap replicates of a 60 s run within a few tens of milliseconds.
 */
export interface WindowGrid {
  /** Every distinct value seen, ascending, in milliseconds. */
  gridMs: Float64Array;
  /** Per window: grid indices and counts. */
  index: Int32Array[];
  count: Float64Array[];
  /** Total count per window. */
  totals: Float64Array;
}

const grids = new WeakMap<WindowCounts, { windows: readonly WindowCounts[]; grid: WindowGrid }>();

/**
 * The grid of `windows`, built once for the same window objects in the same order: `serve bench`
 * judges a run's windows for its gates and again for `--against`'s ratio (each call maps the
 * samples anew, so the arrays differ but their windows are the same objects). Windows are never
 * changed once made; a different window anywhere builds a new grid.
 */
export function gridOf(windows: readonly WindowCounts[]): WindowGrid {
  const first = windows[0];
  if (first === undefined) return buildGrid(windows);
  const hit = grids.get(first);
  if (hit && hit.windows.length === windows.length && hit.windows.every((w, k) => w === windows[k])) return hit.grid;
  const grid = buildGrid(windows);
  grids.set(first, { windows: [...windows], grid });
  return grid;
}

export function buildGrid(windows: readonly WindowCounts[]): WindowGrid {
  // Every window's values are ascending: merge them one by one into the distinct values so far (the
  // windows of a run share most values, so the grid stays near one window's size and each merge is
  // linear; sorting all windows' values together cost ~8 ms at 5,000 req/s for 60 windows).
  let size = 0;
  for (const w of windows) size += w.valuesMs.length;
  let acc = new Float64Array(size);
  let next = new Float64Array(size);
  let distinct = 0;
  for (const w of windows) {
    const v = w.valuesMs;
    let i = 0;
    let j = 0;
    let n = 0;
    while (i < distinct || j < v.length) {
      const x = j >= v.length || (i < distinct && acc[i]! <= v[j]!) ? acc[i++]! : v[j++]!;
      if (n === 0 || next[n - 1] !== x) next[n++] = x;
    }
    [acc, next] = [next, acc];
    distinct = n;
  }
  const gridMs = acc.slice(0, distinct);
  const index: Int32Array[] = [];
  const count: Float64Array[] = [];
  const totals = new Float64Array(windows.length);
  windows.forEach((w, k) => {
    const idx = new Int32Array(w.valuesMs.length);
    let g = 0;
    let total = 0;
    for (let i = 0; i < idx.length; i++) {
      while (gridMs[g]! < w.valuesMs[i]!) g++;
      idx[i] = g;
      total += w.counts[i]!;
    }
    index.push(idx);
    count.push(Float64Array.from(w.counts));
    totals[k] = total;
  });
  return { gridMs, index, count, totals };
}

/**
 * The value at `fraction` (0..1) of the counts in `dense` (one entry per grid value), by the
 * same rule as HdrHistogram's getValueAtPercentile: the first value whose cumulative count
 * reaches ceil(fraction * total). 0 when the total is 0.
 */
export function quantileOfDense(gridMs: Float64Array, dense: Float64Array, total: number, fraction: number): number {
  if (total <= 0) return 0;
  const rank = Math.max(1, Math.ceil(fraction * total - 1e-9));
  let cum = 0;
  for (let i = 0; i < dense.length; i++) {
    cum += dense[i]!;
    if (cum >= rank) return gridMs[i]!;
  }
  return gridMs[gridMs.length - 1] ?? 0;
}

/**
 * Several quantiles of `dense` in one pass: `fractions` ascending, results written to `out[i][r]`.
 * The bootstrap reads four or five percentiles of each replicate; one scan serves them all.
 */
export function quantilesOfDense(
  gridMs: Float64Array,
  dense: Float64Array,
  total: number,
  fractions: readonly number[],
  out: Float64Array[],
  r: number,
): void {
  let k = 0;
  let cum = 0;
  let rank = total > 0 ? Math.max(1, Math.ceil(fractions[0]! * total - 1e-9)) : 0;
  for (let i = 0; i < dense.length && k < fractions.length; i++) {
    cum += dense[i]!;
    while (k < fractions.length && cum >= rank) {
      out[k]![r] = gridMs[i]!;
      if (++k < fractions.length) rank = Math.max(1, Math.ceil(fractions[k]! * total - 1e-9));
    }
  }
  for (; k < fractions.length; k++) out[k]![r] = total > 0 ? (gridMs[gridMs.length - 1] ?? 0) : 0;
}

/** Adds the windows named in `picks` (indices, repeats allowed) into `dense`; returns their total. */
export function mergeInto(grid: WindowGrid, picks: ArrayLike<number>, dense: Float64Array): number {
  dense.fill(0);
  let total = 0;
  for (let j = 0; j < picks.length; j++) {
    const k = picks[j]!;
    const idx = grid.index[k]!;
    const cnt = grid.count[k]!;
    for (let i = 0; i < idx.length; i++) dense[idx[i]!]! += cnt[i]!;
    total += grid.totals[k]!;
  }
  return total;
}

/** The value at `fraction` of all windows together (the run's point estimate). */
export function pooledQuantile(grid: WindowGrid, fraction: number): number {
  const dense = new Float64Array(grid.gridMs.length);
  const all = Array.from({ length: grid.index.length }, (_, i) => i);
  return quantileOfDense(grid.gridMs, dense, mergeInto(grid, all, dense), fraction);
}

/** Windows from raw latencies (tests and synthetic data): one window per array, values as given. */
export function windowsFromSamples(samples: ReadonlyArray<readonly number[]>): WindowCounts[] {
  return samples.map((s) => {
    const m = new Map<number, number>();
    for (const v of s) m.set(v, (m.get(v) ?? 0) + 1);
    const valuesMs = [...m.keys()].sort((a, b) => a - b);
    return { valuesMs, counts: valuesMs.map((v) => m.get(v)!) };
  });
}
