// Which dynamic INT8 rewrite each operator gets (model plane): MatMul and Gemm (quantize-matmul.ts), Conv and
// LSTM (quantize-conv.ts, quantize-lstm.ts); weights per-channel symmetric INT8, activations at run time.
import type { NodeProto } from './onnx-model.js';
import { rewriteConv } from './quantize-conv.js';
import { rewriteLstm } from './quantize-lstm.js';
import { rewriteGemm, rewriteMatMul } from './quantize-matmul.js';
import type { Rewrite, RewriteContext } from './quantize-rewrite.js';

/** The rewrite for each quantizable operator of the default ONNX domain. */
export const REWRITES: Readonly<Record<string, (node: NodeProto, ctx: RewriteContext) => Rewrite>> = {
  MatMul: rewriteMatMul,
  Gemm: rewriteGemm,
  Conv: rewriteConv,
  LSTM: rewriteLstm,
};
