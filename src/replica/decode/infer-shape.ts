// The "datatype" and "shape" of one input of an OIP v2 infer request against the served model
// (data plane, replica): every mismatch is a 400 naming the input and what the model expects.
import { badRequest, HttpError } from '../http-error.js';
import type { ParseLimits } from '../infer-request.js';
import type { ServedTensor } from '../served-model.js';
import { clip } from './infer-outputs.js';

type Json = Record<string, unknown>;

/** The checked shape of input `item` for `tensor`. */
export function checkShape(item: Json, tensor: ServedTensor, limits: ParseLimits): number[] {
  const shape = item.shape;
  // Built only for an error message: the valid request path allocates no strings here.
  const want = () => `[${tensor.shape.map((d) => (d < 0 ? 'N' : d)).join(',')}]`;
  if (item.datatype !== tensor.dt.name) {
    throw badRequest(
      `input "${tensor.name}" has datatype ${clip(String(item.datatype))}, the model ` + `expects ${tensor.dt.name}`,
    );
  }
  if (!isShape(shape)) {
    throw badRequest(
      `input "${tensor.name}": "shape" must be an array of non-negative integers, ` + `expected ${want()}`,
    );
  }
  if (shape.length !== tensor.shape.length) {
    throw badRequest(
      `input "${tensor.name}" has rank ${shape.length} (shape [` +
        `${shape.slice(0, 8).join(',')}]), the model expects rank ${tensor.shape.length} ` +
        `${want()}`,
    );
  }
  for (let d = 1; d < shape.length; d++) {
    if (shape[d] !== tensor.shape[d]) {
      throw badRequest(
        `input "${tensor.name}" dimension ${d} is ${shape[d]}, the model expects ` + `${tensor.shape[d]} ${want()}`,
      );
    }
  }
  if (shape[0] < 1) throw badRequest(`input "${tensor.name}" has 0 rows: send at least one`);
  if (shape[0] > limits.maxRowsPerRequest) {
    throw new HttpError(
      400,
      `input "${tensor.name}" has ${shape[0]} rows; this replica takes at most ` +
        `${limits.maxRowsPerRequest} per request (--max-batch-size)`,
    );
  }
  return shape as number[];
}

function isShape(shape: unknown): shape is number[] {
  if (!Array.isArray(shape)) return false;
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (!Number.isInteger(d) || (d as number) < 0) return false;
  }
  return true;
}
