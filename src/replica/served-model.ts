// The replica's compiled view of a model spec (data plane, replica): per input the datatype,
// per-row shape and element count, and the normalization vectors, computed once at startup so the
// request path only indexes arrays.
import type { ModelSpec, TensorSpec } from '../model/spec.js';
import { DATATYPES, elementCount, type DatatypeInfo } from './tensor.js';

/** One input or output as the replica serves it. Dimension 0 is always the (dynamic) batch. */
export interface ServedTensor {
  name: string;
  /** Position in the model's input (or output) list. */
  index: number;
  dt: DatatypeInfo;
  /** The spec shape, -1 for dynamic dimensions. */
  shape: readonly number[];
  /** The shape of one row (dims after the batch dim); fixed sizes only for inputs. */
  rowShape: readonly number[];
  /** Elements in one row (product of rowShape). */
  rowElements: number;
}

/** Per-feature normalization of one FP32/FP64 input along its last axis. */
export interface ServedNormalize {
  inputIndex: number;
  mean: Float64Array;
  /** 1/std, so the hot loop multiplies. */
  invStd: Float64Array;
}

/** Everything the request path needs to know about the model. */
export interface ServedModel {
  name: string;
  version: number;
  description: string;
  inputs: readonly ServedTensor[];
  outputs: readonly ServedTensor[];
  inputByName: ReadonlyMap<string, ServedTensor>;
  outputByName: ReadonlyMap<string, ServedTensor>;
  normalize: ServedNormalize | undefined;
  spec: ModelSpec;
}

/** Compiles `spec`; throws an Error with a one-line message when the replica cannot serve it. */
export function compileModel(spec: ModelSpec): ServedModel {
  const inputs = spec.inputs.map((t, i) => compileTensor(spec, t, i, true));
  const outputs = spec.outputs.map((t, i) => compileTensor(spec, t, i, false));
  const inputByName = new Map(inputs.map((t) => [t.name, t]));
  let normalize: ServedNormalize | undefined;
  const norm = spec.preprocessing?.normalize;
  if (norm) {
    const input = inputByName.get(norm.input);
    if (!input) throw new Error(`model ${spec.name}: preprocessing.normalize.input "${norm.input}" is not an input`);
    if (!input.dt.isFloat)
      throw new Error(`model ${spec.name}: cannot normalize ${input.dt.name} input "${input.name}"`);
    const width = input.shape[input.shape.length - 1]!;
    if (norm.mean.length !== width || norm.std.length !== width) {
      throw new Error(
        `model ${spec.name}: normalize mean/std need ${width} values (last axis of "` + `${input.name}")`,
      );
    }
    if (norm.std.some((s) => !(s > 0 || s < 0))) throw new Error(`model ${spec.name}: normalize std must be non-zero`);
    normalize = {
      inputIndex: input.index,
      mean: Float64Array.from(norm.mean),
      invStd: Float64Array.from(norm.std, (s) => 1 / s),
    };
  }
  return {
    name: spec.name,
    version: spec.version,
    description: spec.description,
    inputs,
    outputs,
    inputByName,
    outputByName: new Map(outputs.map((t) => [t.name, t])),
    normalize,
    spec,
  };
}

function compileTensor(spec: ModelSpec, t: TensorSpec, index: number, isInput: boolean): ServedTensor {
  const dt = DATATYPES[t.datatype];
  const where = `model ${spec.name} ${isInput ? 'input' : 'output'} "${t.name}"`;
  if (!dt)
    throw new Error(
      `${where}: datatype ${t.datatype} is not supported by the replica (use ` +
        `${Object.keys(DATATYPES).join(', ')})`,
    );
  if (t.shape.length < 1 || t.shape[0] !== -1)
    throw new Error(
      `${where}: the first dimension must be the dynamic batch dimension (-1), got [` + `${t.shape.join(',')}]`,
    );
  const rowShape = t.shape.slice(1);
  if (isInput && rowShape.some((d) => d < 0))
    throw new Error(`${where}: only the batch dimension may be dynamic, got [${t.shape.join(',')}]`);
  return {
    name: t.name,
    index,
    dt,
    shape: t.shape,
    rowShape,
    rowElements: rowShape.some((d) => d < 0) ? -1 : elementCount(rowShape),
  };
}

/** Applies the model's normalization in place to one request's input rows. */
export function applyNormalize(norm: ServedNormalize, data: Float32Array | Float64Array): void {
  const width = norm.mean.length;
  const { mean, invStd } = norm;
  for (let i = 0; i < data.length; i += width) {
    for (let j = 0; j < width; j++) data[i + j] = (data[i + j]! - mean[j]!) * invStd[j]!;
  }
}
