// Symmetric INT8 weight quantization, pure (model plane): one scale per output channel, zero point 0,
// values in [-127, 127] so that negating a weight never overflows.

/** Quantized weights: `values` in the input's layout, one `scales` entry per channel. */
export interface QuantizedWeights {
  values: Int8Array;
  scales: Float32Array;
}

/** Largest magnitude of a quantized weight. */
export const INT8_MAX = 127;

/**
 * Quantizes `w`, a row-major tensor viewed as [outer, channels, inner], with one scale per index of
 * the middle axis: scale = max |w| over the channel / 127 (1 for an all-zero channel), q = round(w / scale).
 */
export function quantizePerChannel(w: Float32Array, outer: number, channels: number, inner: number): QuantizedWeights {
  if (outer * channels * inner !== w.length)
    throw new RangeError(`shape ${outer}x${channels}x${inner} does not fit ${w.length} weights`);
  const maxAbs = new Float32Array(channels);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) maxAbs[c] = Math.max(maxAbs[c]!, Math.abs(w[base + i]!));
    }
  }
  const scales = maxAbs.map((m) => (m > 0 ? m / INT8_MAX : 1));
  const values = new Int8Array(w.length);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      const s = scales[c]!;
      for (let i = 0; i < inner; i++)
        values[base + i] = Math.max(-INT8_MAX, Math.min(INT8_MAX, Math.round(w[base + i]! / s)));
    }
  }
  return { values, scales };
}

/** Transposes the last two axes of a row-major [batch, rows, cols] tensor. */
export function transposeLast2<T extends Float32Array | Int8Array>(
  data: T,
  batch: number,
  rows: number,
  cols: number,
): T {
  const out = new (data.constructor as new (n: number) => T)(data.length);
  for (let b = 0; b < batch; b++) {
    const base = b * rows * cols;
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[base + c * rows + r] = data[base + r * cols + c]!;
  }
  return out;
}
