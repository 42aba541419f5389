// Dynamic INT8 rewrite of LSTM (model plane): ONNX Runtime's com.microsoft DynamicQuantizeLSTM with
// per-gate-column INT8 W and R.
import { quantizePerChannel, transposeLast2 } from './int8.js';
import { MS_DOMAIN, intAttribute, type NodeProto } from './onnx-model.js';
import { addWeights, prefixOf, type Rewrite, type RewriteContext } from './quantize-rewrite.js';

/** LSTM with constant W and R → com.microsoft DynamicQuantizeLSTM (weights [D, in, 4H], scales [D, 4H]). */
export function rewriteLstm(node: NodeProto, ctx: RewriteContext): Rewrite {
  const inputs = node.input ?? [];
  const w = inputs[1] ? ctx.constant(inputs[1]) : undefined;
  const r = inputs[2] ? ctx.constant(inputs[2]) : undefined;
  if (!w || !r) return { skip: 'its W or R is not a constant float initializer' };
  if (w.dims.length !== 3 || r.dims.length !== 3) return { skip: 'its W or R does not have rank 3' };
  if (intAttribute(node, 'layout', 0) !== 0) return { skip: 'layout = 1 is not supported by DynamicQuantizeLSTM' };
  const quantized = [
    [inputs[1]!, w],
    [inputs[2]!, r],
  ] as const;
  const names = quantized.map(([name, t]) => {
    const [d, gates, cols] = t.dims as [number, number, number];
    const q = quantizePerChannel(t.values, 1, d * gates, cols);
    return addWeights(ctx, name, [d, cols, gates], transposeLast2(q.values, d, gates, cols), [d, gates], q.scales);
  });
  const optional = [3, 4, 5, 6, 7].map((i) => inputs[i] ?? '');
  const attrs = (node.attribute ?? []).filter((a) => a.name !== 'layout');
  return {
    nodes: [
      {
        opType: 'DynamicQuantizeLSTM',
        domain: MS_DOMAIN,
        name: ctx.fresh(`${prefixOf(node, ctx)}_int8`),
        input: [inputs[0]!, names[0]!.w, names[1]!.w, ...optional, names[0]!.s, names[0]!.z, names[1]!.s, names[1]!.z],
        output: [...(node.output ?? [])],
        attribute: attrs,
      },
    ],
    domains: [MS_DOMAIN],
  };
}
