// The building blocks of the dynamic INT8 rewrites (model plane): what a rewrite may ask of the graph,
// run-time activation quantization, INT8 weight initializers and the integer MatMul + rescale pattern.
import { DataType, floatTensor, int8Tensor, intAttr, type NodeProto, type TensorProto } from './onnx-model.js';

/** What a rewrite may ask of the graph around the node. */
export interface RewriteContext {
  /** The float values and dims of a constant (an initializer that is not a graph input). */
  constant(name: string): { dims: number[]; values: Float32Array } | undefined;
  addInitializer(t: TensorProto): void;
  /** A tensor or node name not used anywhere in the graph yet, derived from `base`. */
  fresh(base: string): string;
}

/** The nodes replacing the original, or why it stays as it is. */
export type Rewrite = { nodes: NodeProto[]; domains?: string[] } | { skip: string };

/** Activation x → uint8 codes, scale and zero point, computed per call from x's range. */
export function quantizeActivation(
  ctx: RewriteContext,
  x: string,
  prefix: string,
): { node: NodeProto; q: string; scale: string; zero: string } {
  const q = ctx.fresh(`${x}_quantized`);
  const scale = ctx.fresh(`${x}_scale`);
  const zero = ctx.fresh(`${x}_zero_point`);
  return {
    node: {
      opType: 'DynamicQuantizeLinear',
      name: ctx.fresh(`${prefix}_quantize_input`),
      input: [x],
      output: [q, scale, zero],
    },
    q,
    scale,
    zero,
  };
}

/** INT8 weight, float scale and zero INT8 zero point initializers; returns their names. */
export function addWeights(
  ctx: RewriteContext,
  base: string,
  dims: number[],
  values: Int8Array,
  scaleDims: number[],
  scales: Float32Array,
) {
  const w = ctx.fresh(`${base}_int8`);
  const s = ctx.fresh(`${base}_scale`);
  const z = ctx.fresh(`${base}_zero_point`);
  ctx.addInitializer(int8Tensor(w, dims, values));
  ctx.addInitializer(floatTensor(s, scaleDims, scales));
  const zeroCount = scaleDims.reduce((a, b) => a * b, 1);
  ctx.addInitializer(
    int8Tensor(z, scaleDims.length > 1 ? scaleDims : [], new Int8Array(scaleDims.length > 1 ? zeroCount : 1)),
  );
  return { w, s, z };
}

/**
 * y = x @ W for a constant W [K, N] quantized per column, in the pattern ONNX Runtime fuses into
 * DynamicQuantizeMatMul: DynamicQuantizeLinear → MatMulInteger → Cast → Mul(x_scale * w_scale).
 */
export function integerMatMul(
  ctx: RewriteContext,
  prefix: string,
  x: string,
  wBase: string,
  w: Int8Array,
  scales: Float32Array,
  k: number,
  y: string,
): NodeProto[] {
  const n = scales.length;
  const act = quantizeActivation(ctx, x, prefix);
  const names = addWeights(ctx, wBase, [k, n], w, [n], scales);
  const acc = ctx.fresh(`${prefix}_int32`);
  const accF = ctx.fresh(`${prefix}_float`);
  const scale = ctx.fresh(`${prefix}_output_scale`);
  return [
    act.node,
    {
      opType: 'MatMulInteger',
      name: ctx.fresh(`${prefix}_matmul_int8`),
      input: [act.q, names.w, act.zero, names.z],
      output: [acc],
    },
    {
      opType: 'Cast',
      name: ctx.fresh(`${prefix}_cast`),
      input: [acc],
      output: [accF],
      attribute: [intAttr('to', DataType.FLOAT)],
    },
    { opType: 'Mul', name: ctx.fresh(`${prefix}_scale`), input: [act.scale, names.s], output: [scale] },
    { opType: 'Mul', name: ctx.fresh(`${prefix}_rescale`), input: [accF, scale], output: [y] },
  ];
}

export function prefixOf(node: NodeProto, ctx: RewriteContext): string {
  return node.name || ctx.fresh(node.opType ?? 'node');
}
