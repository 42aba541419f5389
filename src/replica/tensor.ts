// Typed-array plumbing for OIP v2 datatypes (data plane, replica): which array holds each
// datatype, how JSON numbers and little-endian bytes become such an array, and back.

/** A typed array holding one tensor's elements, row-major. */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

type ArrayCtor = {
  new (length: number): TensorData;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TensorData;
  readonly BYTES_PER_ELEMENT: number;
};

/** How one OIP datatype is held in memory and handed to ONNX Runtime. */
export interface DatatypeInfo {
  /** OIP name, e.g. "FP32". */
  name: string;
  /** onnxruntime-node tensor type, e.g. "float32". */
  ortType: string;
  ctor: ArrayCtor;
  bytesPerElement: number;
  /** true for FP32/FP64: NaN/Inf checks and normalization apply. */
  isFloat: boolean;
  /** true for the 64-bit integer types, held as BigInt arrays. */
  isBigInt: boolean;
  /** Inclusive bounds for integer types (JSON values outside are rejected). */
  min: number;
  max: number;
}

const info = (
  name: string,
  ortType: string,
  ctor: ArrayCtor,
  isFloat: boolean,
  min: number,
  max: number,
): DatatypeInfo => ({
  name,
  ortType,
  ctor,
  bytesPerElement: ctor.BYTES_PER_ELEMENT,
  isFloat,
  isBigInt: ctor === (BigInt64Array as unknown) || ctor === (BigUint64Array as unknown),
  min,
  max,
});

/** The datatypes the replica can carry (FP16 and BYTES are not supported). */
export const DATATYPES: Readonly<Record<string, DatatypeInfo>> = {
  FP32: info('FP32', 'float32', Float32Array as unknown as ArrayCtor, true, -Infinity, Infinity),
  FP64: info('FP64', 'float64', Float64Array as unknown as ArrayCtor, true, -Infinity, Infinity),
  INT8: info('INT8', 'int8', Int8Array as unknown as ArrayCtor, false, -128, 127),
  INT16: info('INT16', 'int16', Int16Array as unknown as ArrayCtor, false, -32768, 32767),
  INT32: info('INT32', 'int32', Int32Array as unknown as ArrayCtor, false, -(2 ** 31), 2 ** 31 - 1),
  INT64: info(
    'INT64',
    'int64',
    BigInt64Array as unknown as ArrayCtor,
    false,
    Number.MIN_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER,
  ),
  UINT8: info('UINT8', 'uint8', Uint8Array as unknown as ArrayCtor, false, 0, 255),
  UINT16: info('UINT16', 'uint16', Uint16Array as unknown as ArrayCtor, false, 0, 65535),
  UINT32: info('UINT32', 'uint32', Uint32Array as unknown as ArrayCtor, false, 0, 2 ** 32 - 1),
  UINT64: info('UINT64', 'uint64', BigUint64Array as unknown as ArrayCtor, false, 0, Number.MAX_SAFE_INTEGER),
  BOOL: info('BOOL', 'bool', Uint8Array as unknown as ArrayCtor, false, 0, 1),
};

/**
 * A typed array over `length` elements of `bytes` starting at `byteOffset`. Views the bytes when
 * they are aligned for the element size (no copy), otherwise copies them. Assumes a little-endian host.
 */
export function fromBytes(dt: DatatypeInfo, bytes: Uint8Array, byteOffset: number, length: number): TensorData {
  const abs = bytes.byteOffset + byteOffset;
  if (abs % dt.bytesPerElement === 0) return new dt.ctor(bytes.buffer, abs, length);
  const out = new dt.ctor(length);
  new Uint8Array(out.buffer).set(bytes.subarray(byteOffset, byteOffset + length * dt.bytesPerElement));
  return out;
}

/** The bytes of a typed array (a view, no copy). */
export function toBytes(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Plain JSON values of a typed array (BigInts become numbers; BOOL becomes true/false). */
export function toJsonArray(dt: DatatypeInfo, data: TensorData): Array<number | boolean> {
  const n = data.length;
  const out = new Array<number | boolean>(n);
  if (dt.name === 'BOOL') for (let i = 0; i < n; i++) out[i] = data[i] !== 0;
  else if (dt.isBigInt) for (let i = 0; i < n; i++) out[i] = Number(data[i]);
  else for (let i = 0; i < n; i++) out[i] = data[i] as number;
  return out;
}

/** Index of the first NaN or ±Infinity in a float array, or -1. */
export function firstNonFinite(data: Float32Array | Float64Array): number {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    // v - v is 0 for finite values and NaN for NaN and ±Infinity: one branch per element.
    if (v - v !== 0) return i;
  }
  return -1;
}

/** Product of the dimensions (1 for a scalar shape). */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
