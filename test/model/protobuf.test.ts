// The protobuf writer and reader round-trip every field kind ONNX uses (model plane, pure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtoDecodeError, ProtoWriter, fieldText, readFields, readInts, toSigned } from '../../src/model/protobuf.js';

test('varints, negative int64, strings, floats, packed ints and nested messages round-trip', () => {
  const inner = new ProtoWriter().string(1, 'conv').packedInts(2, [3, 300, 70000]);
  const bytes = new ProtoWriter()
    .int(1, 8)
    .int(2, -1)
    .int(3, 2 ** 40)
    .float(4, 0.25)
    .message(5, inner)
    .int(6, 5)
    .int(6, 6)
    .finish();
  const f = readFields(bytes);
  assert.deepEqual(
    f.map((x) => x.field),
    [1, 2, 3, 4, 5, 6, 6],
  );
  assert.equal(f[0]!.varint, 8n);
  assert.equal(toSigned(f[1]!.varint!), -1);
  assert.equal(f[1]!.varint, 2n ** 64n - 1n, "negative int64 is ten bytes of two's complement");
  assert.equal(Number(f[2]!.varint), 2 ** 40);
  assert.equal(new DataView(f[3]!.bytes!.buffer, f[3]!.bytes!.byteOffset).getFloat32(0, true), 0.25);
  const nested = readFields(f[4]!.bytes!);
  assert.equal(fieldText(nested[0]!), 'conv');
  assert.deepEqual(readInts(nested, 2), [3n, 300n, 70000n]);
  assert.deepEqual(readInts(f, 6), [5n, 6n], 'unpacked repeated ints are read too');
});

test('the known encoding of a small message (protobuf spec example: field 1 = 150)', () => {
  assert.deepEqual(Array.from(new ProtoWriter().int(1, 150).finish()), [0x08, 0x96, 0x01]);
  assert.deepEqual(
    Array.from(new ProtoWriter().string(2, 'testing').finish()),
    [0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67],
  );
});

test('malformed input is a ProtoDecodeError', () => {
  assert.throws(() => readFields(Uint8Array.from([0x0a, 0x05, 0x01])), ProtoDecodeError);
  assert.throws(() => readFields(Uint8Array.from([0x08, 0x80])), ProtoDecodeError);
  assert.throws(() => readFields(Uint8Array.from([0x0b])), ProtoDecodeError);
});
