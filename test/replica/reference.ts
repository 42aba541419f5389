// An independent reference for replica outputs: the demo model run directly in its own ONNX
// Runtime session, one request at a time, with model.yaml's normalization applied here.
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { resolveModel } from '../../src/model/registry.js';
import { ROW_ELEMENTS } from './helpers.js';

/** Runs `rows` rows of raw (unnormalized) input through the model; returns probs. */
export async function referenceRunner(
  registryDir: string,
): Promise<(x: Float32Array, rows: number) => Promise<Float32Array>> {
  const model = await resolveModel(registryDir, 'cnn-lstm');
  const session = await ort.InferenceSession.create(path.resolve(model.onnxPath), { intraOpNumThreads: 1 });
  const norm = model.spec.preprocessing?.normalize;
  return async (x, rows) => {
    const input = Float32Array.from(x);
    if (norm) {
      const width = norm.mean.length;
      for (let i = 0; i < input.length; i++) input[i] = (input[i]! - norm.mean[i % width]!) / norm.std[i % width]!;
    }
    const out = await session.run({ x: new ort.Tensor('float32', input, [rows, 60, 16]) });
    return out.probs!.data as Float32Array;
  };
}

export { ROW_ELEMENTS };
