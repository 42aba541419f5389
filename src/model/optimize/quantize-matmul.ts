// Dynamic INT8 rewrites of MatMul and Gemm (model plane): per-column INT8 weights, MatMulInteger and a
// rescale, in the pattern ONNX Runtime fuses into DynamicQuantizeMatMul.
import { quantizePerChannel, transposeLast2 } from './int8.js';
import { floatAttribute, floatTensor, intAttribute, type NodeProto } from './onnx-model.js';
import { integerMatMul, prefixOf, type Rewrite, type RewriteContext } from './quantize-rewrite.js';

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
    ctx.addInitializer(
      floatTensor(
        bias,
        c!.dims,
        c!.values.map((v) => v * beta),
      ),
    );
  }
  const product = ctx.fresh(`${prefix}_product`);
  return {
    nodes: [
      ...integerMatMul(ctx, prefix, x, bName!, values, scales, k, product),
      { opType: 'Add', name: ctx.fresh(`${prefix}_bias`), input: [product, bias], output: [y] },
    ],
  };
}
