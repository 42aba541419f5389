// Decoding one input's JSON "data" (flat or nested as its shape) into a typed array (data plane,
// replica); every wrong count, nesting or value is a 400 naming the input.
import { badRequest } from '../http-error.js';
import type { ServedTensor } from '../served-model.js';
import type { TensorData } from '../tensor.js';

/** The `count` values of `data` (flat, or nested exactly as `shape`) as a new array of the tensor's type. */
export function fromJson(data: unknown, tensor: ServedTensor, count: number, shape: readonly number[]): TensorData {
  const rank = shape.length;
  const out = new tensor.dt.ctor(count);
  const dt = tensor.dt;
  // Fast path for the common flat array of plain numbers into a float tensor: one loop, no
  // recursion; anything else (nested, non-number, wrong count) takes the general walk below,
  // which also produces the precise error.
  if (
    dt.isFloat &&
    Array.isArray(data) &&
    data.length === count &&
    flatNumbersInto(data, out as Float32Array | Float64Array)
  )
    return out;
  let n = 0;
  const put = (v: unknown): void => {
    if (n >= count) throw badRequest(`input "${tensor.name}" has more than ${count} values in "data" for its shape`);
    if (typeof v === 'number') {
      if (!dt.isFloat && (!Number.isInteger(v) || v < dt.min || v > dt.max)) {
        throw badRequest(`input "${tensor.name}" data[${n}] = ${v} is not a valid ${dt.name}`);
      }
      if (dt.isBigInt) (out as BigInt64Array)[n++] = BigInt(v);
      else (out as Float32Array)[n++] = v;
    } else if (typeof v === 'boolean' && dt.name === 'BOOL') (out as Uint8Array)[n++] = v ? 1 : 0;
    else
      throw badRequest(
        `input "${tensor.name}" data[${n}] is ${v === null ? 'null' : typeof v}, ` + `expected a ${dt.name} number`,
      );
  };
  // Nested data must follow the shape at every level: a ragged or mixed array would otherwise
  // shift values between rows while the total count still matched.
  const walk = (node: unknown, depth: number): void => {
    if (depth === rank) {
      if (Array.isArray(node)) throw badRequest(`input "${tensor.name}" "data" is nested deeper than its rank ${rank}`);
      return put(node);
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      const got = Array.isArray(node) ? `${node.length} entries` : 'a single value';
      throw badRequest(
        `input "${tensor.name}" "data" has ${got} at depth ${depth}, its shape needs ` +
          `${shape[depth]} there (nest it exactly as the shape, or send it flat)`,
      );
    }
    for (let i = 0; i < node.length; i++) walk(node[i], depth + 1);
  };
  if (!Array.isArray(data)) throw badRequest(`input "${tensor.name}" "data" must be an array (flat or nested)`);
  let probe: unknown = data;
  let depthSeen = 0;
  while (Array.isArray(probe)) {
    probe = probe[0];
    depthSeen++;
  }
  if (depthSeen > rank) throw badRequest(`input "${tensor.name}" "data" is nested deeper than its rank ${rank}`);
  if (data.length > 0 && Array.isArray(data[0])) walk(data, 0);
  else for (let i = 0; i < data.length; i++) put(data[i]);
  if (n !== count) throw badRequest(`input "${tensor.name}" has ${n} values in "data" but shape needs ${count}`);
  return out;
}

/** Copies `data` into `out` when every element is a number; false (out partly written) otherwise. */
function flatNumbersInto(data: unknown[], out: Float32Array | Float64Array): boolean {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== 'number') return false;
    out[i] = v;
  }
  return true;
}
