// Reading and rewriting whole ONNX models with onnx-proto's generated protobuf classes (model
// plane). The only file that imports onnx-proto; the rest of optimize/ works on its plain types.
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import { UserError, errorMessage } from '../../common/errors.js';

const { onnx } = onnxProto;

export type ModelProto = Onnx.IModelProto;
export type GraphProto = Onnx.IGraphProto;
export type NodeProto = Onnx.INodeProto;
export type TensorProto = Onnx.ITensorProto;
export type AttributeProto = Onnx.IAttributeProto;

/** TensorProto.DataType values the optimizer reads or writes. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT64: 7 } as const;

/** Domain of ONNX Runtime's contrib operators (DynamicQuantizeLSTM, DynamicQuantizeMatMul...). */
export const MS_DOMAIN = 'com.microsoft';

/** Decodes model bytes; `file` names the source in the one-line error when they are not ONNX. */
export function decodeModel(bytes: Uint8Array, file: string): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new UserError(
      `${file} is not an ONNX model (protobuf: ${errorMessage(err).split('\n')[0]}); ` +
        `rebuild it or replace the file`,
    );
  }
  if (!model.graph) throw new UserError(`${file} has no graph: is it an ONNX model?`);
  return model;
}

/** Encodes a model to bytes. */
export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** An int64 field (a number or a protobufjs Long) as a number. */
export function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** Dimensions of a tensor as numbers. */
export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map(toNumber);
}

/**
 * The float values of a FLOAT tensor stored inside the model (raw_data or float_data), or
 * undefined for any other type or for weights kept in an external file.
 */
export function floatData(t: TensorProto): Float32Array | undefined {
  if (t.dataType !== DataType.FLOAT || t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) return undefined;
  const count = tensorDims(t).reduce((a, b) => a * b, 1);
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== count * 4) return undefined;
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    return Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true));
  }
  if (t.floatData && t.floatData.length === count) return Float32Array.from(t.floatData);
  return undefined;
}

/** A FLOAT initializer, little-endian raw_data whatever the host's byte order. */
export function floatTensor(name: string, dims: readonly number[], values: Float32Array): TensorProto {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { name, dims: [...dims], dataType: DataType.FLOAT, rawData: raw };
}

/** An INT8 initializer. */
export function int8Tensor(name: string, dims: readonly number[], values: Int8Array): TensorProto {
  return {
    name,
    dims: [...dims],
    dataType: DataType.INT8,
    rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
  };
}

/** An attribute of `node` by name. */
export function attribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

/** An INT attribute, or `fallback` when absent. */
export function intAttribute(node: NodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a ? toNumber(a.i as Parameters<typeof toNumber>[0]) : fallback;
}

/** A FLOAT attribute, or `fallback` when absent. */
export function floatAttribute(node: NodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a?.f ?? fallback;
}

/** An INT attribute to put on a new node. */
export function intAttr(name: string, value: number): AttributeProto {
  return { name, i: value, type: onnx.AttributeProto.AttributeType.INT };
}

/** The opset version the model imports for `domain` ('' is the default ONNX domain). */
export function opsetVersion(model: ModelProto, domain: string): number | undefined {
  const entry = model.opsetImport?.find(
    (o) => (o.domain ?? '') === domain || (domain === '' && o.domain === 'ai.onnx'),
  );
  return entry ? toNumber(entry.version as Parameters<typeof toNumber>[0]) : undefined;
}

/** Adds an opset import for `domain` unless the model already has one. */
export function ensureOpset(model: ModelProto, domain: string, version: number): void {
  if (opsetVersion(model, domain) !== undefined) return;
  model.opsetImport = [...(model.opsetImport ?? []), { domain, version }];
}
