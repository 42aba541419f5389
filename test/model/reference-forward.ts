// Plain-TypeScript forward pass of the demo CNN+LSTM (test helper, independent of ONNX Runtime):
// written from the ONNX operator definitions, in float64, to check what ORT computes.
import type { DemoWeights, LstmLayerWeights } from '../../src/model/demo-weights.js';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** x is [batch, window, features] row-major; returns probs [batch, 3] row-major. */
export function referenceForward(w: DemoWeights, x: Float32Array, batch: number): Float64Array {
  const { window: T, features: F } = w.shape;
  const out = new Float64Array(batch * 3);
  for (let n = 0; n < batch; n++) {
    let seq = conv1dRelu(w, x.subarray(n * T * F, (n + 1) * T * F));
    for (const layer of w.lstm) seq = lstm(layer, seq, w.shape.hidden);
    const probs = linearSoftmax(w, seq[T - 1]!);
    out.set(probs, n * 3);
  }
  return out;
}

/** Conv1d over time, kernel 3, one zero of padding each side, then ReLU: returns [T][C]. */
function conv1dRelu(w: DemoWeights, x: Float32Array): Float64Array[] {
  const { window: T, features: F, channels: C } = w.shape;
  const seq: Float64Array[] = [];
  for (let t = 0; t < T; t++) {
    const v = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      let acc = w.convB[c]!;
      for (let f = 0; f < F; f++) {
        for (let k = 0; k < 3; k++) {
          const ts = t + k - 1;
          if (ts < 0 || ts >= T) continue;
          acc += w.convW[(c * F + f) * 3 + k]! * x[ts * F + f]!;
        }
      }
      v[c] = Math.max(0, acc);
    }
    seq.push(v);
  }
  return seq;
}

/**
 * One ONNX LSTM layer (forward, no peepholes): W [4H, in], R [4H, H], B = [Wb; Rb], gate blocks in
 * the order i, o, f, c. Returns the hidden state at every step.
 */
function lstm(layer: LstmLayerWeights, seq: Float64Array[], H: number): Float64Array[] {
  const I = layer.inputSize;
  let h = new Float64Array(H);
  const c = new Float64Array(H);
  const outs: Float64Array[] = [];
  for (const xt of seq) {
    const gates = new Float64Array(4 * H);
    for (let r = 0; r < 4 * H; r++) {
      let acc = layer.B[r]! + layer.B[4 * H + r]!;
      for (let j = 0; j < I; j++) acc += layer.W[r * I + j]! * xt[j]!;
      for (let j = 0; j < H; j++) acc += layer.R[r * H + j]! * h[j]!;
      gates[r] = acc;
    }
    const next = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      const i = sigmoid(gates[j]!);
      const o = sigmoid(gates[H + j]!);
      const f = sigmoid(gates[2 * H + j]!);
      const g = Math.tanh(gates[3 * H + j]!);
      c[j] = f * c[j]! + i * g;
      next[j] = o * Math.tanh(c[j]!);
    }
    h = next;
    outs.push(h);
  }
  return outs;
}

function linearSoftmax(w: DemoWeights, h: Float64Array): Float64Array {
  const H = w.shape.hidden;
  const logits = [0, 1, 2].map((k) => {
    let acc = w.fcB[k]!;
    for (let j = 0; j < H; j++) acc += w.fcW[k * H + j]! * h[j]!;
    return acc;
  });
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return Float64Array.from(exps.map((e) => e / sum));
}
