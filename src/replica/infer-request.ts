// A validated OIP v2 infer request and the limits it was checked against (data plane, replica):
// what parse-infer.ts hands the batcher.
import type { ServedTensor } from './served-model.js';
import type { TensorData } from './tensor.js';

/** Limits that shape what a request may be. */
export interface ParseLimits {
  /** Rows (batch dimension) one request may carry. */
  maxRowsPerRequest: number;
  /** Accept NaN and ±Infinity in float inputs. */
  allowNonFinite: boolean;
  /** Maximum nesting of arrays/objects in the JSON part. */
  maxJsonDepth: number;
}

/** Which output to return and how. */
export interface RequestedOutput {
  tensor: ServedTensor;
  binary: boolean;
}

/** A request that passed validation: ready for the batcher. */
export interface InferRequest {
  id: string | undefined;
  rows: number;
  /** One array per model input, in the model's input order, `rows * rowElements` long. */
  inputs: TensorData[];
  outputs: RequestedOutput[];
}
