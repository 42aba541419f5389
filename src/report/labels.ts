// Label placement (report, pure): moves labels that would print over each other (two targets a few
// pixels apart, "p95 target 80ms" under "p99 target 100ms") apart along one axis, the least needed.

/**
 * Positions for labels wanted at `at` (px, any order) so that neighbours are at least `gapPx` apart
 * and all stay within [minPx, maxPx] where there is room; returned in the order given.
 */
export function spreadLabels(at: readonly number[], gapPx: number, minPx: number, maxPx: number): number[] {
  const order = at.map((v, i) => i).sort((a, b) => at[a]! - at[b]!);
  const pos = order.map((i) => Math.min(Math.max(at[i]!, minPx), maxPx));
  // Push down from the top, then back up from the bottom where that ran past maxPx.
  for (let k = 1; k < pos.length; k++) pos[k] = Math.max(pos[k]!, pos[k - 1]! + gapPx);
  for (let k = pos.length - 1; k >= 0; k--)
    pos[k] = Math.min(pos[k]!, k === pos.length - 1 ? maxPx : pos[k + 1]! - gapPx);
  const out = new Array<number>(at.length);
  order.forEach((i, k) => (out[i] = pos[k]!));
  return out;
}
