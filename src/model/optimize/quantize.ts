// Dynamic INT8 quantization of a whole ONNX graph (model plane): every MatMul, Gemm, Conv and LSTM
// of the main graph with constant float weights is rewritten, unless kept in FP32 by name or type.
import { UserError } from '../../common/errors.js';
import { REWRITES } from './quantize-ops.js';
import type { RewriteContext } from './quantize-rewrite.js';
import {
  ensureOpset,
  floatData,
  opsetVersion,
  tensorDims,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from './onnx-model.js';

/** Operator types `--int8` can quantize. */
export const QUANTIZABLE_OPS: readonly string[] = Object.keys(REWRITES);

/** The default-domain opset that DynamicQuantizeLinear, MatMulInteger and ConvInteger need. */
const MIN_OPSET = 11;

export interface QuantizeOptions {
  /** Node names or operator types (e.g. "LSTM", "fc") to leave in FP32. */
  keepFp32?: readonly string[];
}

/** What quantization did, by node: the name in the source graph, or OpType#index when unnamed. */
export interface QuantizeReport {
  quantized: string[];
  /** Quantizable nodes left in FP32, each with the reason. */
  kept: { node: string; reason: string }[];
}

function label(node: NodeProto, index: number): string {
  return node.name || `${node.opType}#${index}`;
}

/** Every tensor and node name in a graph and its subgraphs. */
function namesIn(graph: GraphProto, into: Set<string>): Set<string> {
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) into.add(v.name ?? '');
  for (const t of graph.initializer ?? []) into.add(t.name ?? '');
  for (const n of graph.node ?? []) {
    into.add(n.name ?? '');
    for (const s of [...(n.input ?? []), ...(n.output ?? [])]) into.add(s);
    for (const a of n.attribute ?? []) for (const g of [a.g, ...(a.graphs ?? [])]) if (g) namesIn(g, into);
  }
  return into;
}

/** Tensor names read by the nodes of a graph and of its subgraphs (which may read outer initializers). */
function inputsRead(graph: GraphProto, into: Set<string>): Set<string> {
  for (const n of graph.node ?? []) {
    for (const s of n.input ?? []) into.add(s);
    for (const a of n.attribute ?? []) for (const g of [a.g, ...(a.graphs ?? [])]) if (g) inputsRead(g, into);
  }
  for (const o of graph.output ?? []) into.add(o.name ?? '');
  return into;
}

function context(graph: GraphProto, added: TensorProto[]): RewriteContext {
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  // An initializer that is also a graph input is only a default the caller may override.
  const graphInputs = new Set((graph.input ?? []).map((v) => v.name ?? ''));
  const used = namesIn(graph, new Set());
  return {
    constant(name) {
      const t = initializers.get(name);
      const values = t && !graphInputs.has(name) ? floatData(t) : undefined;
      return values ? { dims: tensorDims(t!), values } : undefined;
    },
    addInitializer(t) {
      added.push(t);
    },
    fresh(base) {
      let name = base;
      for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
      used.add(name);
      return name;
    },
  };
}

/** Rewrites `model` in place and reports which nodes were quantized and which kept in FP32. */
export function quantizeModel(model: ModelProto, opts: QuantizeOptions = {}): QuantizeReport {
  const graph = model.graph!;
  const keep = new Set(opts.keepFp32 ?? []);
  const report: QuantizeReport = { quantized: [], kept: [] };
  const opset = opsetVersion(model, '') ?? 0;
  const added: TensorProto[] = [];
  const ctx = context(graph, added);
  const domains = new Set<string>();
  const nodes: NodeProto[] = [];
  const candidates: { name: string; opType: string }[] = [];
  (graph.node ?? []).forEach((node, i) => {
    const rewrite = (node.domain ?? '') === '' || node.domain === 'ai.onnx' ? REWRITES[node.opType ?? ''] : undefined;
    if (!rewrite) return void nodes.push(node);
    const name = label(node, i);
    candidates.push({ name, opType: node.opType! });
    const keptBecause = keep.has(name)
      ? 'kept in FP32 by name'
      : keep.has(node.opType!)
        ? `kept in FP32 with every ${node.opType}`
        : opset < MIN_OPSET
          ? `the model imports opset ${opset}; INT8 operators need opset ${MIN_OPSET} or later`
          : undefined;
    const done = keptBecause ? { skip: keptBecause } : rewrite(node, ctx);
    if ('skip' in done) {
      report.kept.push({ node: name, reason: done.skip });
      nodes.push(node);
      return;
    }
    report.quantized.push(name);
    nodes.push(...done.nodes);
    for (const d of done.domains ?? []) domains.add(d);
  });
  const unmatched = [...keep].filter((k) => !candidates.some((c) => c.name === k || c.opType === k));
  if (unmatched.length > 0) {
    const names = candidates.map((c) => `${c.name} (${c.opType})`).join(', ') || 'none';
    throw new UserError(
      `--keep-fp32 ${unmatched.join(',')}: no quantizable node has that name or ` +
        `operator type (quantizable nodes: ${names})`,
    );
  }
  graph.node = nodes;
  // The FP32 originals of quantized weights go, unless something still reads them.
  const read = inputsRead(graph, new Set());
  const graphInputs = new Set((graph.input ?? []).map((v) => v.name ?? ''));
  graph.initializer = [
    ...(graph.initializer ?? []).filter((t) => read.has(t.name ?? '') || graphInputs.has(t.name ?? '')),
    ...added,
  ];
  for (const d of domains) ensureOpset(model, d, 1);
  return report;
}
