// Dynamic INT8 rewrites of one node each (model plane): MatMul, Gemm and Conv become
// DynamicQuantizeLinear + MatMulInteger/ConvInteger + rescale; LSTM becomes ONNX Runtime's
// DynamicQuantizeLSTM. Weights are per-channel symmetric INT8; activations are quantized at run time.
import { quantizePerChannel, transposeLast2 } from './int8.js';
import {
  DataType, MS_DOMAIN, floatAttribute, floatTensor, int8Tensor, intAttr, intAttribute, type NodeProto, type TensorProto,
} from './onnx-model.js';

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
function quantizeActivation(ctx: RewriteContext, x: string, prefix: string): { node: NodeProto; q: string; scale: string; zero: string } {
  const q = ctx.fresh(`${x}_quantized`);
  const scale = ctx.fresh(`${x}_scale`);
  const zero = ctx.fresh(`${x}_zero_point`);
  return { node: { opType: 'DynamicQuantizeLinear', name: ctx.fresh(`${prefix}_quantize_input`), input: [x], output: [q, scale, zero] }, q, scale, zero };
}

/** INT8 weight, float scale and zero INT8 zero point initializers; returns their names. */
function addWeights(ctx: RewriteContext, base: string, dims: number[], values: Int8Array, scaleDims: number[], scales: Float32Array) {
  const w = ctx.fresh(`${base}_int8`);
  const s = ctx.fresh(`${base}_scale`);
  const z = ctx.fresh(`${base}_zero_point`);
  ctx.addInitializer(int8Tensor(w, dims, values));
  ctx.addInitializer(floatTensor(s, scaleDims, scales));
  const zeroCount = scaleDims.reduce((a, b) => a * b, 1);
  ctx.addInitializer(int8Tensor(z, scaleDims.length > 1 ? scaleDims : [], new Int8Array(scaleDims.length > 1 ? zeroCount : 1)));
  return { w, s, z };
}

/**
 * y = x @ W for a constant W [K, N] quantized per column, in the pattern ONNX Runtime fuses into
 * DynamicQuantizeMatMul: DynamicQuantizeLinear → MatMulInteger → Cast → Mul(x_scale * w_scale).
 */
function integerMatMul(ctx: RewriteContext, prefix: string, x: string, wBase: string, w: Int8Array, scales: Float32Array, k: number, y: string): NodeProto[] {
  const n = scales.length;
  const act = quantizeActivation(ctx, x, prefix);
  const names = addWeights(ctx, wBase, [k, n], w, [n], scales);
  const acc = ctx.fresh(`${prefix}_int32`);
  const accF = ctx.fresh(`${prefix}_float`);
  const scale = ctx.fresh(`${prefix}_output_scale`);
  return [
    act.node,
    { opType: 'MatMulInteger', name: ctx.fresh(`${prefix}_matmul_int8`), input: [act.q, names.w, act.zero, names.z], output: [acc] },
    { opType: 'Cast', name: ctx.fresh(`${prefix}_cast`), input: [acc], output: [accF], attribute: [intAttr('to', DataType.FLOAT)] },
    { opType: 'Mul', name: ctx.fresh(`${prefix}_scale`), input: [act.scale, names.s], output: [scale] },
    { opType: 'Mul', name: ctx.fresh(`${prefix}_rescale`), input: [accF, scale], output: [y] },
  ];
}

function prefixOf(node: NodeProto, ctx: RewriteContext): string {
  return node.name || ctx.fresh(node.opType ?? 'node');
}

/** MatMul(x, W) with a constant 2-D W. */
export function rewriteMatMul(node: NodeProto, ctx: RewriteContext): Rewrite {
  const [x, wName] = node.input ?? [];
  const w = wName ? ctx.constant(wName) : undefined;
  if (!x || !w) return { skip: 'its weight is not a constant float initializer' };
  if (w.dims.length !== 2) return { skip: `its weight has rank ${w.dims.length}, not 2` };
  const [k, n] = w.dims as [number, number];
  const q = quantizePerChannel(w.values, k, n, 1);
  return { nodes: integerMatMul(ctx, prefixOf(node, ctx), x, wName!, q.values, q.scales, k, node.output![0]!) };
}

/** Gemm(x, B, C) with transA = 0 and a constant B; alpha folds into the scales, beta into C. */
export function rewriteGemm(node: NodeProto, ctx: RewriteContext): Rewrite {
  const [x, bName, cName] = node.input ?? [];
  const b = bName ? ctx.constant(bName) : undefined;
  if (!x || !b) return { skip: 'its weight is not a constant float initializer' };
  if (intAttribute(node, 'transA', 0) !== 0) return { skip: 'transA = 1 is not handled' };
  if (b.dims.length !== 2) return { skip: `its weight has rank ${b.dims.length}, not 2` };
  const alpha = floatAttribute(node, 'alpha', 1);
  const beta = floatAttribute(node, 'beta', 1);
  const c = cName ? ctx.constant(cName) : undefined;
  if (cName && beta !== 1 && !c) return { skip: 'beta != 1 with a bias that is not a constant' };
  const transB = intAttribute(node, 'transB', 0) === 1;
  const [k, n] = (transB ? [b.dims[1], b.dims[0]] : b.dims) as [number, number];
  // Per output column: rows of B when transposed, columns otherwise.
  const q = transB ? quantizePerChannel(b.values, 1, n, k) : quantizePerChannel(b.values, k, n, 1);
  const values = transB ? transposeLast2(q.values, 1, n, k) : q.values;
  const scales = q.scales.map((s) => s * alpha);
  const prefix = prefixOf(node, ctx);
  const y = node.output![0]!;
  if (!cName) return { nodes: integerMatMul(ctx, prefix, x, bName!, values, scales, k, y) };
  let bias = cName;
  if (beta !== 1) {
    bias = ctx.fresh(`${cName}_beta`);
    ctx.addInitializer(floatTensor(bias, c!.dims, c!.values.map((v) => v * beta)));
  }
  const product = ctx.fresh(`${prefix}_product`);
  return {
    nodes: [
      ...integerMatMul(ctx, prefix, x, bName!, values, scales, k, product),
      { opType: 'Add', name: ctx.fresh(`${prefix}_bias`), input: [product, bias], output: [y] },
    ],
  };
}

const CONV_ATTRIBUTES = ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'];

/** Conv(x, W, B) with constant W and B: ConvInteger, then per-output-channel rescale and bias. */
export function rewriteConv(node: NodeProto, ctx: RewriteContext): Rewrite {
  const [x, wName, bName] = node.input ?? [];
  const w = wName ? ctx.constant(wName) : undefined;
  if (!x || !w) return { skip: 'its weight is not a constant float initializer' };
  const bias = bName ? ctx.constant(bName) : undefined;
  if (bName && !bias) return { skip: 'its bias is not a constant float initializer' };
  const m = w.dims[0]!;
  const q = quantizePerChannel(w.values, 1, m, w.values.length / m);
  const prefix = prefixOf(node, ctx);
  // [M, 1, ...]: broadcasts over the output [N, M, spatial...].
  const channelDims = [m, ...w.dims.slice(2).map(() => 1)];
  const act = quantizeActivation(ctx, x, prefix);
  const names = addWeights(ctx, wName!, w.dims, q.values, [m], q.scales);
  const acc = ctx.fresh(`${prefix}_int32`);
  const accF = ctx.fresh(`${prefix}_float`);
  const channelScale = ctx.fresh(`${wName}_channel_scale`);
  ctx.addInitializer(floatTensor(channelScale, channelDims, q.scales));
  const scale = ctx.fresh(`${prefix}_output_scale`);
  const y = node.output![0]!;
  const scaled = bias ? ctx.fresh(`${prefix}_scaled`) : y;
  const attrs = (node.attribute ?? []).filter((a) => CONV_ATTRIBUTES.includes(a.name ?? ''));
  const nodes: NodeProto[] = [
    act.node,
    { opType: 'ConvInteger', name: ctx.fresh(`${prefix}_conv_int8`), input: [act.q, names.w, act.zero, names.z], output: [acc], attribute: attrs },
    { opType: 'Cast', name: ctx.fresh(`${prefix}_cast`), input: [acc], output: [accF], attribute: [intAttr('to', DataType.FLOAT)] },
    { opType: 'Mul', name: ctx.fresh(`${prefix}_scale`), input: [act.scale, channelScale], output: [scale] },
    { opType: 'Mul', name: ctx.fresh(`${prefix}_rescale`), input: [accF, scale], output: [scaled] },
  ];
  if (bias) {
    const b = ctx.fresh(`${bName}_channel`);
    ctx.addInitializer(floatTensor(b, channelDims, bias.values));
    nodes.push({ opType: 'Add', name: ctx.fresh(`${prefix}_bias`), input: [scaled, b], output: [y] });
  }
  return { nodes };
}

/** LSTM with constant W and R → com.microsoft DynamicQuantizeLSTM (weights [D, in, 4H], scales [D, 4H]). */
export function rewriteLstm(node: NodeProto, ctx: RewriteContext): Rewrite {
  const inputs = node.input ?? [];
  const w = inputs[1] ? ctx.constant(inputs[1]) : undefined;
  const r = inputs[2] ? ctx.constant(inputs[2]) : undefined;
  if (!w || !r) return { skip: 'its W or R is not a constant float initializer' };
  if (w.dims.length !== 3 || r.dims.length !== 3) return { skip: 'its W or R does not have rank 3' };
  if (intAttribute(node, 'layout', 0) !== 0) return { skip: 'layout = 1 is not supported by DynamicQuantizeLSTM' };
  const quantized = [[inputs[1]!, w], [inputs[2]!, r]] as const;
  const names = quantized.map(([name, t]) => {
    const [d, gates, cols] = t.dims as [number, number, number];
    const q = quantizePerChannel(t.values, 1, d * gates, cols);
    return addWeights(ctx, name, [d, cols, gates], transposeLast2(q.values, d, gates, cols), [d, gates], q.scales);
  });
  const optional = [3, 4, 5, 6, 7].map((i) => inputs[i] ?? '');
  const attrs = (node.attribute ?? []).filter((a) => a.name !== 'layout');
  return {
    nodes: [{
      opType: 'DynamicQuantizeLSTM', domain: MS_DOMAIN, name: ctx.fresh(`${prefixOf(node, ctx)}_int8`),
      input: [inputs[0]!, names[0]!.w, names[1]!.w, ...optional, names[0]!.s, names[0]!.z, names[1]!.s, names[1]!.z],
      output: [...(node.output ?? [])], attribute: attrs,
    }],
    domains: [MS_DOMAIN],
  };
}

/** The rewrite for each quantizable operator of the default ONNX domain. */
export const REWRITES: Readonly<Record<string, (node: NodeProto, ctx: RewriteContext) => Rewrite>> = {
  MatMul: rewriteMatMul,
  Gemm: rewriteGemm,
  Conv: rewriteConv,
  LSTM: rewriteLstm,
};
