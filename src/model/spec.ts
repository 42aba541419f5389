// What a model version promises: its inputs, outputs and preprocessing, as written in model.yaml
// (model plane, shared with the replica). Datatypes use the Open Inference Protocol v2 names.

/** One input or output tensor. `shape` uses -1 for a dynamic dimension (normally the batch). */
export interface TensorSpec {
  name: string;
  /** OIP datatype name, e.g. "FP32", "INT64" (see OIP_DATATYPES). */
  datatype: string;
  shape: number[];
}

/** A model version as described by its model.yaml; `version` comes from the folder name. */
export interface ModelSpec {
  name: string;
  version: number;
  description: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /**
   * Applied by the server before the model runs. `normalize` maps each value v of `input` at
   * last-axis index j to (v - mean[j]) / std[j]; mean and std have the size of that last axis.
   */
  preprocessing?: { normalize?: { input: string; mean: number[]; std: number[] } };
  /** Present on versions written by `serve model optimize`: what was done, from which version. */
  optimized?: OptimizedFrom;
}

/** ONNX Runtime graph optimization levels recorded in model.yaml. */
export const OPTIMIZED_LEVELS = ['basic', 'extended', 'all'] as const;

/** The `optimized` block of model.yaml (snake_case there: fp32_kept). */
export interface OptimizedFrom {
  /** The version of the same model this one was made from. */
  from: number;
  /** ONNX Runtime's graph optimization level. */
  level: (typeof OPTIMIZED_LEVELS)[number];
  /** True when weights were quantized to INT8. */
  int8: boolean;
  /** Nodes of the source graph whose weights are INT8. */
  quantized: string[];
  /** Quantizable nodes of the source graph left in FP32. */
  fp32Kept: string[];
  /** ONNX Runtime version that wrote the graph, when known. */
  onnxruntime?: string;
}

/** OIP v2 datatype name → onnxruntime-node tensor type. */
export const OIP_TO_ORT_TYPE: Readonly<Record<string, string>> = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
};

/** Every datatype name model.yaml accepts. */
export const OIP_DATATYPES: readonly string[] = Object.keys(OIP_TO_ORT_TYPE);

/** onnxruntime-node tensor type → OIP v2 datatype name (undefined for types OIP has no name for). */
export function ortTypeToOip(ortType: string): string | undefined {
  for (const [oip, ort] of Object.entries(OIP_TO_ORT_TYPE)) if (ort === ortType) return oip;
  return undefined;
}

/** Size in bytes of one element of an OIP datatype (undefined for BYTES, which is variable). */
export function oipElementBytes(datatype: string): number | undefined {
  const sizes: Record<string, number> = {
    BOOL: 1,
    UINT8: 1,
    INT8: 1,
    UINT16: 2,
    INT16: 2,
    FP16: 2,
    UINT32: 4,
    INT32: 4,
    FP32: 4,
    UINT64: 8,
    INT64: 8,
    FP64: 8,
  };
  return sizes[datatype];
}
