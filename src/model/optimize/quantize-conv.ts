// Dynamic INT8 rewrite of Conv (model plane): per-output-channel INT8 weights, ConvInteger, then a
// per-channel rescale and the bias.
import { quantizePerChannel } from './int8.js';
import { DataType, floatTensor, intAttr, type NodeProto } from './onnx-model.js';
import { addWeights, prefixOf, quantizeActivation, type Rewrite, type RewriteContext } from './quantize-rewrite.js';

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
    {
      opType: 'ConvInteger',
      name: ctx.fresh(`${prefix}_conv_int8`),
      input: [act.q, names.w, act.zero, names.z],
      output: [acc],
      attribute: attrs,
    },
    {
      opType: 'Cast',
      name: ctx.fresh(`${prefix}_cast`),
      input: [acc],
      output: [accF],
      attribute: [intAttr('to', DataType.FLOAT)],
    },
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
