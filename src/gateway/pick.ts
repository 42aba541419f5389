// Power-of-two-choices replica pick (gateway, data plane): a pure function of the candidates,
// their scores and an injected random source, so the routing decision is tested exactly.

/**
 * Picks one item by power of two choices: samples two distinct items at random and keeps the one
 * with the lower score (in-flight count). `score` returns a negative number for an item that cannot
 * take the request (not ready, ejected, at its in-flight cap, excluded); when neither sample is
 * usable, the least-scored usable item is chosen by a scan so a free slot is never missed.
 * Returns undefined when no item is usable. `random` returns a number in [0, 1).
 */
export function pickP2C<T>(items: readonly T[], score: (item: T) => number, random: () => number): T | undefined {
  const n = items.length;
  if (n === 0) return undefined;
  if (n === 1) return score(items[0]!) >= 0 ? items[0] : undefined;
  const i = Math.floor(random() * n) % n;
  let j = Math.floor(random() * (n - 1)) % (n - 1);
  if (j >= i) j++;
  const a = items[i]!;
  const b = items[j]!;
  const sa = score(a);
  const sb = score(b);
  if (sa >= 0 && sb >= 0) return sb < sa ? b : a;
  if (sa >= 0 || sb >= 0) {
    // One sample is unusable: still compare against the rest only when the usable one is busy,
    // which keeps the common case (all healthy) at two score calls.
    const [usable, s] = sa >= 0 ? [a, sa] : [b, sb];
    if (s === 0) return usable;
  }
  return leastScored(items, score);
}

/** The usable item (score >= 0) with the lowest score, the first of equals; undefined when none is usable. */
export function leastScored<T>(items: readonly T[], score: (item: T) => number): T | undefined {
  let best: T | undefined;
  let bestScore = Infinity;
  for (const item of items) {
    const s = score(item);
    if (s >= 0 && s < bestScore) {
      best = item;
      bestScore = s;
    }
  }
  return best;
}
