// A minimal Protocol Buffers wire-format writer and reader (model plane). Enough to emit and read
// ONNX files without a protobuf dependency; output is byte-for-byte deterministic.

/** Wire types used by ONNX messages. */
export const WireType = { Varint: 0, Fixed64: 1, Bytes: 2, Fixed32: 5 } as const;

const textEncoder = new TextEncoder();

/** Appends fields in call order; `finish()` returns the message bytes. */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  private tag(field: number, wireType: number): void {
    this.push(encodeVarint(BigInt(field * 8 + wireType)));
  }

  /** int32/int64/enum field; negative values take ten bytes (two's complement), as protobuf says. */
  int(field: number, value: number | bigint): this {
    this.tag(field, WireType.Varint);
    this.push(encodeVarint(BigInt.asUintN(64, BigInt(value))));
    return this;
  }

  /** float field (fixed32, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, WireType.Fixed32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WireType.Bytes);
    this.push(encodeVarint(BigInt(value.length)));
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  /** Embedded message field. */
  message(field: number, msg: ProtoWriter): this {
    return this.bytes(field, msg.finish());
  }

  /** Packed repeated int64 (proto3 default packing). */
  packedInts(field: number, values: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.push(encodeVarint(BigInt.asUintN(64, BigInt(v))));
    return this.bytes(field, inner.finish());
  }

  /** Packed repeated float. */
  packedFloats(field: number, values: readonly number[]): this {
    const b = new Uint8Array(values.length * 4);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}

function encodeVarint(value: bigint): Uint8Array {
  const bytes: number[] = [];
  let v = value;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v !== 0n);
  return Uint8Array.from(bytes);
}

/** One decoded field: varints as bigint, length-delimited as a view, fixed as raw bytes. */
export interface ProtoField {
  field: number;
  wireType: number;
  varint?: bigint;
  bytes?: Uint8Array;
}

/** Thrown when bytes are not a well-formed protobuf message. */
export class ProtoDecodeError extends Error {}

/** Reads base-128 varints from `buf`, starting at `pos`. */
function varintReader(buf: Uint8Array): { next(): bigint; pos: number } {
  const reader = {
    pos: 0,
    next(): bigint {
      let result = 0n;
      let shift = 0n;
      for (;;) {
        if (reader.pos >= buf.length) throw new ProtoDecodeError('truncated varint');
        const b = buf[reader.pos++]!;
        result |= BigInt(b & 0x7f) << shift;
        if ((b & 0x80) === 0) return result;
        shift += 7n;
        if (shift > 63n) throw new ProtoDecodeError('varint longer than 10 bytes');
      }
    },
  };
  return reader;
}

/** Decodes the top-level fields of one message. Throws ProtoDecodeError on malformed input. */
export function readFields(buf: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  const r = varintReader(buf);
  const take = (n: number): Uint8Array => {
    if (n < 0 || r.pos + n > buf.length) throw new ProtoDecodeError('field runs past the end of the message');
    const out = buf.subarray(r.pos, r.pos + n);
    r.pos += n;
    return out;
  };
  while (r.pos < buf.length) {
    const key = r.next();
    const field = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (field === 0) throw new ProtoDecodeError('field number 0');
    if (wireType === WireType.Varint) fields.push({ field, wireType, varint: r.next() });
    else if (wireType === WireType.Bytes) fields.push({ field, wireType, bytes: take(Number(r.next())) });
    else if (wireType === WireType.Fixed32) fields.push({ field, wireType, bytes: take(4) });
    else if (wireType === WireType.Fixed64) fields.push({ field, wireType, bytes: take(8) });
    else throw new ProtoDecodeError(`unsupported wire type ${wireType}`);
  }
  return fields;
}

/** Values of a repeated int64 field, packed or not (readers must accept both, says protobuf). */
export function readInts(fields: ProtoField[], field: number): bigint[] {
  const out: bigint[] = [];
  for (const f of fields) {
    if (f.field !== field) continue;
    if (f.varint !== undefined) out.push(f.varint);
    else if (f.bytes && f.wireType === WireType.Bytes) {
      const r = varintReader(f.bytes);
      while (r.pos < f.bytes.length) out.push(r.next());
    }
  }
  return out;
}

const textDecoder = new TextDecoder();

/** UTF-8 text of a length-delimited field. */
export function fieldText(f: ProtoField): string {
  return f.bytes ? textDecoder.decode(f.bytes) : '';
}

/** Interprets an unsigned 64-bit varint as signed int64. */
export function toSigned(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}
