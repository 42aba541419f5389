// One input's JSON "data" array read straight from the body bytes (data plane, replica): numbers go
// into the request's typed array (or a reused scratch when its shape comes later), and the nesting
// is checked as it goes. Whatever fromJson would refuse, this gives up on (the caller falls back).
import type { ServedTensor } from '../served-model.js';
import type { TensorData } from '../tensor.js';
import { isSpace } from '../../common/data-plane/json-bytes.js';
import { numberCell, readNumber } from './json-number.js';

/** A "data" array as scanned: how many numbers, how it was nested, and where its values are. */
export interface ScannedData {
  count: number;
  /** Length of the arrays at each level when nested (a regular block); undefined when flat. */
  dims: number[] | undefined;
  /** The tensor array the values went into, or undefined when they are in the scratch from `from`. */
  direct: Float32Array | Float64Array | undefined;
  from: number;
}

/** Values of "data" arrays whose tensor was not known when they were read (one request at a time). */
let scratch = new Float64Array(4096);
let used = 0;
/** A scratch grown past this many values is dropped after its request. */
const KEEP_VALUES = 1 << 16;
const MAX_LEVELS = 32;
const lens = new Int32Array(MAX_LEVELS);
const dims = new Int32Array(MAX_LEVELS);

/** Empties the scratch (at the start and end of each request's scan). */
export function resetScratch(): void {
  used = 0;
  if (scratch.length > KEEP_VALUES) scratch = new Float64Array(4096);
}

function grow(): void {
  const bigger = new Float64Array(scratch.length * 2);
  bigger.set(scratch);
  scratch = bigger;
}

/**
 * Reads the array whose `[` is at `b[i]`: numbers only, flat or nested as a regular block (every
 * array of one level as long as the others, numbers only at the deepest level), into `direct`
 * (when given; more values than it holds gives up) or the scratch. Returns the index past its
 * `]` and the result in `out`, or -1 for anything else (strings, booleans, null, ragged or mixed
 * nesting, empty inner arrays, bad numbers or separators).
 */
export function scanData(
  b: Buffer,
  i: number,
  end: number,
  direct: Float32Array | Float64Array | undefined,
  out: { value: ScannedData | undefined },
): number {
  const from = used;
  const cap = direct === undefined ? 0 : direct.length;
  const float32 = direct instanceof Float32Array;
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  let n = 0;
  let open = 1;
  let leafLevel = 0;
  lens[0] = 0;
  dims.fill(-1);
  i++;
  for (;;) {
    while (i < end && isSpace(b[i]!)) i++;
    if (i >= end) return -1;
    let c = b[i];
    if (c === 0x5b /* [ */) {
      if ((leafLevel !== 0 && open >= leafLevel) || open === MAX_LEVELS) return -1;
      lens[open - 1]++;
      lens[open++] = 0;
      i++;
      continue;
    }
    if (c === 0x5d /* ] */ && lens[open - 1] === 0) {
      if (open !== 1) return -1;
      out.value = { count: 0, dims: undefined, direct, from };
      return i + 1;
    }
    if (leafLevel === 0) leafLevel = open;
    else if (open !== leafLevel) return -1;
    // A run of numbers: the common `1.5,-2,3e4` without spaces loops here.
    const runStart = n;
    for (;;) {
      i = readNumber(b, view, i, end, float32);
      if (i < 0) return -1;
      if (direct !== undefined) {
        if (n >= cap) return -1;
        direct[n++] = numberCell.value;
      } else {
        if (used === scratch.length) grow();
        scratch[used++] = numberCell.value;
        n++;
      }
      if (b[i] !== 0x2c /* , */) break;
      c = b[i + 1];
      if (!((c! >= 0x30 && c! <= 0x39) || c === 0x2d)) break;
      i++;
    }
    lens[open - 1] += n - runStart;
    for (;;) {
      while (i < end && isSpace(b[i]!)) i++;
      if (i >= end) return -1;
      c = b[i++];
      if (c === 0x2c /* , */) break;
      if (c !== 0x5d) return -1;
      const k = --open;
      if (dims[k] === -1) dims[k] = lens[k]!;
      else if (dims[k] !== lens[k]) return -1;
      if (open === 0) {
        out.value = {
          count: n,
          dims: leafLevel > 1 ? Array.from(dims.subarray(0, leafLevel)) : undefined,
          direct,
          from,
        };
        return i;
      }
    }
  }
}

/**
 * The tensor for scanned data, when fromJson would accept the same array for this shape (same
 * values: the float conversion of a typed-array store either way); undefined when it would not.
 */
export function decodeScanned(s: ScannedData, tensor: ServedTensor, count: number, shape: readonly number[]) {
  if (shape.length < 1 || s.count !== count) return undefined;
  if (s.dims !== undefined) {
    if (s.dims.length !== shape.length) return undefined;
    for (let k = 0; k < shape.length; k++) if (s.dims[k] !== shape[k]) return undefined;
  }
  const dt = tensor.dt;
  if (s.direct !== undefined)
    return s.direct instanceof dt.ctor && s.direct.length === count ? (s.direct as TensorData) : undefined;
  const src = scratch.subarray(s.from, s.from + count);
  const out = new dt.ctor(count);
  if (dt.isFloat) {
    (out as Float32Array).set(src);
    return out;
  }
  for (let k = 0; k < count; k++) {
    const v = src[k]!;
    if (!Number.isInteger(v) || v < dt.min || v > dt.max) return undefined;
  }
  if (dt.isBigInt) for (let k = 0; k < count; k++) (out as BigInt64Array)[k] = BigInt(src[k]!);
  else (out as Float32Array).set(src);
  return out;
}
