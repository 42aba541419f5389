// ONNX Runtime feeds for a range of compare rows (model plane). The model.yaml normalization is
// applied first, as the replica applies it to every request before the model runs.
import * as ort from 'onnxruntime-node';
import { UserError } from '../../common/errors.js';
import { OIP_TO_ORT_TYPE, type ModelSpec } from '../spec.js';
import type { CompareInputs } from './inputs.js';

type Typed =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** Each input's values for every row, in the array type ONNX Runtime takes for its datatype. */
export type Columns = { ortType: string; data: Typed; rowSize: number }[];

function typedArray(ortType: string, values: readonly number[]): Typed {
  switch (ortType) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int8':
      return Int8Array.from(values);
    case 'uint8':
    case 'bool':
      return Uint8Array.from(values);
    case 'int16':
      return Int16Array.from(values);
    case 'uint16':
      return Uint16Array.from(values);
    case 'int32':
      return Int32Array.from(values);
    case 'uint32':
      return Uint32Array.from(values);
    case 'int64':
      return BigInt64Array.from(values, (v) => BigInt(Math.trunc(v)));
    case 'uint64':
      return BigUint64Array.from(values, (v) => BigInt(Math.trunc(v)));
    default:
      throw new UserError(`compare cannot feed ${ortType} inputs; it feeds FP32, FP64 and integer inputs`);
  }
}

/** The rows as typed arrays for `spec`, with its preprocessing.normalize applied. */
export function normalizedColumns(inputs: CompareInputs, spec: ModelSpec): Columns {
  const norm = spec.preprocessing?.normalize;
  return inputs.columns.map((c) => {
    let values = c.values;
    if (norm && norm.input === c.name) {
      const width = norm.mean.length;
      values = values.map((v, i) => (v - norm.mean[i % width]!) / norm.std[i % width]!);
    }
    const ortType = OIP_TO_ORT_TYPE[c.datatype] ?? c.datatype;
    return { ortType, data: typedArray(ortType, values), rowSize: c.rowShape.reduce((a, b) => a * b, 1) };
  });
}

/** Feeds of `n` rows from row `start`, wrapping around when there are fewer rows than `n`. */
export function feedsFor(
  inputs: CompareInputs,
  columns: Columns,
  start: number,
  n: number,
): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  inputs.columns.forEach((c, i) => {
    const col = columns[i]!;
    const size = col.rowSize;
    let data: Typed;
    if (start + n <= inputs.rows) data = col.data.subarray(start * size, (start + n) * size);
    else {
      data = new (col.data.constructor as new (len: number) => Typed)(n * size);
      for (let r = 0; r < n; r++) {
        const from = ((start + r) % inputs.rows) * size;
        (data as Float32Array).set((col.data as Float32Array).subarray(from, from + size), r * size);
      }
    }
    const dims = inputs.batchable ? [n, ...c.rowShape] : c.rowShape;
    feeds[c.name] = new ort.Tensor(col.ortType as 'float32', data as Float32Array, dims);
  });
  return feeds;
}
