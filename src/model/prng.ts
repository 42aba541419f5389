// Deterministic weights and test inputs for the demo model (model plane), from the common PRNG.

/** `count` float32 values uniform in [-bound, bound). */
export function uniformFloats(rand: () => number, count: number, bound: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (rand() * 2 - 1) * bound;
  return out;
}
