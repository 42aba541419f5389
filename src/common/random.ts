// Seeded pseudo-random numbers (common, every plane): the demo model's weights, load-test payloads
// and arrivals, and routing tests all need the same stream for the same seed.

/** mulberry32: a tiny, fast 32-bit PRNG; returns a function giving floats in [0, 1). Same seed, same stream. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
