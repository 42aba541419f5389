// OIP v2 tensor datatypes (loadtest, pure): element sizes, seeded random values, and the
// little-endian byte layout of Triton's binary tensor extension.

/** Bytes per element of each fixed-size OIP datatype (BYTES is variable). */
export const elementBytes: Record<string, number> = {
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP16: 2,
  FP32: 4,
  FP64: 8,
};

/** True for every datatype the generator can fill. */
export function isKnownDatatype(datatype: string): boolean {
  return datatype === 'BYTES' || datatype in elementBytes;
}

/** Dynamic dimensions (-1 or anything non-positive) become 1. */
export function concreteShape(shape: readonly number[]): number[] {
  return shape.map((d) => (Number.isInteger(d) && d > 0 ? d : 1));
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** `count` random values fitting `datatype`: floats in [-1, 1), small non-negative integers. */
export function randomValues(datatype: string, count: number, random: () => number): Array<number | boolean | string> {
  const out = new Array<number | boolean | string>(count);
  for (let i = 0; i < count; i++) {
    if (datatype === 'BOOL') out[i] = random() < 0.5;
    else if (datatype === 'BYTES') out[i] = Math.floor(random() * 1e9).toString(36);
    else if (datatype.startsWith('FP')) out[i] = Math.round((random() * 2 - 1) * 1e6) / 1e6;
    else out[i] = Math.floor(random() * 10);
  }
  return out;
}

/** Encodes values as the binary extension lays them out (little-endian; BYTES with 4-byte lengths). */
export function encodeBinary(datatype: string, values: ReadonlyArray<number | boolean | string>): Buffer {
  if (datatype === 'BYTES') {
    const parts = values.map((v) => Buffer.from(String(v)));
    const buf = Buffer.alloc(parts.reduce((n, p) => n + 4 + p.length, 0));
    let o = 0;
    for (const p of parts) {
      buf.writeUInt32LE(p.length, o);
      p.copy(buf, o + 4);
      o += 4 + p.length;
    }
    return buf;
  }
  const size = elementBytes[datatype];
  if (size === undefined) throw new RangeError(`unknown datatype ${datatype}`);
  const buf = Buffer.alloc(size * values.length);
  values.forEach((raw, i) => {
    const v = typeof raw === 'boolean' ? (raw ? 1 : 0) : Number(raw);
    const o = i * size;
    switch (datatype) {
      case 'BOOL':
      case 'UINT8':
        buf.writeUInt8(v, o);
        break;
      case 'INT8':
        buf.writeInt8(v, o);
        break;
      case 'UINT16':
        buf.writeUInt16LE(v, o);
        break;
      case 'INT16':
        buf.writeInt16LE(v, o);
        break;
      case 'UINT32':
        buf.writeUInt32LE(v, o);
        break;
      case 'INT32':
        buf.writeInt32LE(v, o);
        break;
      case 'UINT64':
        buf.writeBigUInt64LE(BigInt(Math.trunc(v)), o);
        break;
      case 'INT64':
        buf.writeBigInt64LE(BigInt(Math.trunc(v)), o);
        break;
      case 'FP16':
        buf.writeUInt16LE(toHalf(v), o);
        break;
      case 'FP32':
        buf.writeFloatLE(v, o);
        break;
      case 'FP64':
        buf.writeDoubleLE(v, o);
        break;
    }
  });
  return buf;
}

/** IEEE 754 half precision bits of `v` (round toward zero; enough for random test payloads). */
export function toHalf(v: number): number {
  const f32 = new Float32Array([v]);
  const bits = new Uint32Array(f32.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = ((bits >>> 23) & 0xff) - 127 + 15;
  const mant = bits & 0x7fffff;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | (mant >>> 13);
}
