// One JSON number read from bytes (data plane, replica): the value JSON.parse would give, bit for
// bit, without making a string for the common short decimal.

/** 10^0 .. 10^22: every one is exact in a double. */
const POW10 = Float64Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/** Where the last readNumber left its value (one shared cell: no object per number). */
export const numberCell = { value: 0.5 };

/**
 * Reads the JSON number starting at `b[i]` (before `end`) into numberCell.value and returns the
 * index just past it, or -1 when the bytes there do not start a number by JSON's grammar
 * (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`). The caller checks what follows (a leading zero such
 * as `01` stops after the `0`, which the caller then refuses as a missing separator).
 *
 * Up to 15 digits (leading zeros of a fraction counted, to keep it simple) with a decimal exponent within ±22, the value is one correctly
 * rounded product or quotient of two exact doubles (Clinger's fast path), so it equals the
 * correctly rounded result that JSON.parse gives. With `float32` (the value goes into a
 * Float32Array), 16 to 19 digits take a near value whose float32 rounding is checked to be the
 * same for every double within its error bound (see toFloat32). Anything else: Number() of the text.
 */
export function readNumber(b: Buffer, view: DataView, i: number, end: number, float32 = false): number {
  // Reads past `end` (or the buffer, giving undefined) stop at the first non-digit; i > end is refused.
  const start = i;
  let c = b[i]!;
  const neg = c === 0x2d; /* - */
  if (neg) c = b[++i]!;
  let mantissa = 0; // a double: exact up to 2^53
  let digits = 0; // digits in the mantissa (after a leading zero of the integer part)
  let exp10 = 0;
  if (c === 0x30) c = b[++i]!;
  else if (c >= 0x31 && c <= 0x39) {
    do {
      mantissa = mantissa * 10 + (c - 0x30);
      digits++;
      c = b[++i]!;
    } while (c >= 0x30 && c <= 0x39);
  } else return -1;
  if (c === 0x2e /* . */) {
    const fraction = ++i;
    // Four digits at a time while there are four (each byte 0x30-0x39), then one at a time.
    while (i + 4 <= end) {
      const v = view.getUint32(i, true);
      if ((v & 0xf0f0f0f0) !== 0x30303030 || ((v + 0x06060606) & 0xf0f0f0f0) !== 0x30303030) break;
      let x = v & 0x0f0f0f0f;
      x = (Math.imul(x, 10) + (x >>> 8)) & 0x00ff00ff;
      x = (Math.imul(x, 100) + (x >>> 16)) & 0xffff;
      mantissa = mantissa * 10000 + x;
      i += 4;
    }
    c = b[i]!;
    while (c >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30);
      c = b[++i]!;
    }
    if (i === fraction) return -1;
    digits += i - fraction;
    exp10 = fraction - i;
  }
  if (c === 0x65 /* e */ || c === 0x45 /* E */) {
    c = b[++i]!;
    const expNeg = c === 0x2d;
    if (expNeg || c === 0x2b /* + */) c = b[++i]!;
    if (!(c >= 0x30 && c <= 0x39)) return -1;
    let e = 0;
    do {
      if (e < 100000) e = e * 10 + (c - 0x30);
      c = b[++i]!;
    } while (c >= 0x30 && c <= 0x39);
    exp10 += expNeg ? -e : e;
  }
  if (i > end) return -1;
  let v: number;
  if (mantissa === 0) v = 0;
  else if (exp10 < -22 || exp10 > 22 || digits > 19 || (digits > 15 && !float32)) {
    numberCell.value = Number(b.toString('latin1', start, i));
    return i;
  } else {
    v = exp10 === 0 ? mantissa : exp10 > 0 ? mantissa * POW10[exp10]! : mantissa / POW10[-exp10]!;
    if (digits > 15) {
      v = toFloat32(v);
      if (v !== v) {
        numberCell.value = Number(b.toString('latin1', start, i));
        return i;
      }
    }
  }
  numberCell.value = neg ? -v : v;
  return i;
}

/**
 * fround of the true value, given `near` (positive) within a relative 2^-49 of it (up to 19
 * digits gathered in a double, then one scaling: at most 9 roundings of 2^-53 each, plus the
 * correct rounding JSON.parse makes): when every double within a relative 2^-44 of `near` has one
 * float32 rounding, that is the answer; NaN when `near` is that close to a float32 rounding boundary.
 */
function toFloat32(near: number): number {
  const slack = near * 2 ** -44;
  const f = Math.fround(near);
  return Math.fround(near - slack) === f && Math.fround(near + slack) === f ? f : NaN;
}
