// Encoders for the ONNX protobuf messages the demo builder needs (model plane). Field numbers
// follow onnx/onnx.proto; tensors carry float32 raw_data in little-endian order.
import { ProtoWriter } from './protobuf.js';

/** ONNX TensorProto.DataType values used here. */
export const OnnxDataType = { FLOAT: 1, INT32: 6, INT64: 7 } as const;

/** ONNX AttributeProto.AttributeType values used here. */
const AttrType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

/** A node attribute: a number is INT unless `float` says otherwise; arrays are INTS. */
export type AttrValue = number | string | readonly number[] | { float: number };

/** One graph node (NodeProto). Empty strings mark omitted optional inputs/outputs, as ONNX says. */
export interface OnnxNode {
  opType: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: Readonly<Record<string, AttrValue>>;
}

/** An initializer: FLOAT data from a Float32Array, or INT64 data from a number array. */
export interface OnnxInitializer {
  name: string;
  dims: readonly number[];
  data: Float32Array | { int64: readonly number[] };
}

/** A graph input/output: dims are numbers (fixed) or strings (symbolic, dynamic). */
export interface OnnxValueInfo {
  name: string;
  elemType: number;
  dims: readonly (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxInitializer[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
}

export interface OnnxModelOptions {
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
}

/** Encodes a ModelProto. Same input gives the same bytes: nothing time- or host-dependent is written. */
export function encodeModel(graph: OnnxGraph, opts: OnnxModelOptions): Uint8Array {
  const m = new ProtoWriter();
  m.int(1, opts.irVersion);
  m.string(2, opts.producerName);
  m.string(3, opts.producerVersion);
  if (opts.docString) m.string(6, opts.docString);
  m.message(7, encodeGraph(graph));
  m.message(8, new ProtoWriter().string(1, '').int(2, opts.opsetVersion));
  return m.finish();
}

function encodeGraph(g: OnnxGraph): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, encodeNode(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, encodeTensor(t));
  for (const v of g.inputs) w.message(11, encodeValueInfo(v));
  for (const v of g.outputs) w.message(12, encodeValueInfo(v));
  return w;
}

function encodeNode(n: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.opType);
  // Sorted so attribute order never depends on how the caller built the object.
  for (const key of Object.keys(n.attributes ?? {}).sort()) w.message(5, encodeAttribute(key, n.attributes![key]!));
  return w;
}

function encodeAttribute(name: string, value: AttrValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof value === 'number') return w.int(3, value).int(20, AttrType.INT);
  if (typeof value === 'string') return w.string(4, value).int(20, AttrType.STRING);
  if (Array.isArray(value)) {
    for (const v of value as readonly number[]) w.int(8, v);
    return w.int(20, AttrType.INTS);
  }
  return w.float(2, (value as { float: number }).float).int(20, AttrType.FLOAT);
}

function encodeTensor(t: OnnxInitializer): ProtoWriter {
  const w = new ProtoWriter();
  w.packedInts(1, t.dims);
  if (t.data instanceof Float32Array) {
    w.int(2, OnnxDataType.FLOAT);
    w.string(8, t.name);
    w.bytes(9, float32LittleEndian(t.data));
  } else {
    w.int(2, OnnxDataType.INT64);
    w.packedInts(7, t.data.int64);
    w.string(8, t.name);
  }
  return w;
}

/** Float32 values as little-endian bytes regardless of the host's byte order. */
function float32LittleEndian(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  return out;
}

function encodeValueInfo(v: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().int(1, v.elemType).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, v.name).message(2, type);
}
