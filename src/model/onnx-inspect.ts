// Reads what an ONNX file says about itself (model plane): IR version, opsets, graph inputs and
// outputs, node and parameter counts. Decodes the protobuf directly, without ONNX Runtime.
import { readFile } from 'node:fs/promises';
import { UserError } from '../common/errors.js';
import { fieldText, ProtoDecodeError, readFields, readInts, toSigned, type ProtoField } from './protobuf.js';

/** ONNX TensorProto.DataType → OIP datatype name. */
const ONNX_TO_OIP: Record<number, string> = {
  1: 'FP32',
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  8: 'BYTES',
  9: 'BOOL',
  10: 'FP16',
  11: 'FP64',
  12: 'UINT32',
  13: 'UINT64',
  16: 'BF16',
};

/** Initializer types that hold weights: floats, and the 8-bit integers of quantized weights. */
const WEIGHT_TYPES = new Set([1, 10, 11, 16, 2, 3]);

/** A graph input or output as the file declares it; dims are numbers or symbolic names. */
export interface OnnxTensorInfo {
  name: string;
  datatype: string;
  shape: (number | string)[];
}

export interface OnnxFileInfo {
  fileBytes: number;
  irVersion: number;
  producer: string;
  /** Opset per domain ("" is the default ONNX domain). */
  opsets: { domain: string; version: number }[];
  graphName: string;
  nodeCount: number;
  /** Node count per op type, e.g. {Conv: 1, LSTM: 1}. */
  opCounts: Record<string, number>;
  /** Total elements of all floating-point and 8-bit integer initializers (the weights, INT8 ones included). */
  parameterCount: number;
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
}

const sub = (fields: ProtoField[], n: number) =>
  fields.filter((f) => f.field === n && f.bytes).map((f) => readFields(f.bytes!));
const num = (fields: ProtoField[], n: number) => Number(fields.find((f) => f.field === n)?.varint ?? 0n);
const text = (fields: ProtoField[], n: number) => {
  const f = fields.find((x) => x.field === n);
  return f ? fieldText(f) : '';
};

/** Decodes an ONNX ModelProto. Throws UserError naming `file` when the bytes are not one. */
export function inspectOnnxBytes(bytes: Uint8Array, file: string): OnnxFileInfo {
  try {
    const model = readFields(bytes);
    const graphs = sub(model, 7);
    if (graphs.length !== 1) throw new ProtoDecodeError('no graph');
    const graph = graphs[0]!;
    const nodes = sub(graph, 1);
    const opCounts: Record<string, number> = {};
    for (const n of nodes) opCounts[text(n, 4)] = (opCounts[text(n, 4)] ?? 0) + 1;
    let parameterCount = 0;
    for (const t of sub(graph, 5)) {
      // Wider integer initializers are shape/axes constants, not weights.
      if (WEIGHT_TYPES.has(num(t, 2))) parameterCount += readInts(t, 1).reduce((p, d) => p * toSigned(d), 1);
    }
    const inits = new Set(sub(graph, 5).map((t) => text(t, 8)));
    return {
      fileBytes: bytes.length,
      irVersion: num(model, 1),
      producer: [text(model, 2), text(model, 3)].filter(Boolean).join(' '),
      opsets: sub(model, 8).map((o) => ({ domain: text(o, 1), version: num(o, 2) })),
      graphName: text(graph, 2),
      nodeCount: nodes.length,
      opCounts,
      parameterCount,
      // Old exporters list initializers among the inputs; those are weights, not model inputs.
      inputs: sub(graph, 11)
        .map(valueInfo)
        .filter((v) => !inits.has(v.name)),
      outputs: sub(graph, 12).map(valueInfo),
    };
  } catch (err) {
    if (err instanceof ProtoDecodeError)
      throw new UserError(`${file} is not a valid ONNX file (${err.message}); rebuild it or replace the file`);
    throw err;
  }
}

function valueInfo(v: ProtoField[]): OnnxTensorInfo {
  const tensor = sub(v, 2).flatMap((t) => sub(t, 1))[0] ?? [];
  const dims = sub(tensor, 2).flatMap((s) => sub(s, 1));
  return {
    name: text(v, 1),
    datatype: ONNX_TO_OIP[num(tensor, 1)] ?? `onnx-type-${num(tensor, 1)}`,
    shape: dims.map((d) => {
      const value = d.find((f) => f.field === 1)?.varint;
      if (value !== undefined) return toSigned(value);
      return text(d, 2) || '?';
    }),
  };
}

/** Reads and decodes an ONNX file. */
export async function inspectOnnxFile(file: string): Promise<OnnxFileInfo> {
  const bytes = await readFile(file).catch(() => {
    throw new UserError(`${file} cannot be read: check the path and permissions`);
  });
  return inspectOnnxBytes(bytes, file);
}
