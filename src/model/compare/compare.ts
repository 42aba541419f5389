// `serve model compare` (model plane): runs two versions on the same rows with ONNX Runtime and
// reports how they agree, their file sizes and their session throughput. Rendering is the CLI's.
import { stat } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { UserError } from '../../common/errors.js';
import { resolveModel, type ResolvedModel } from '../registry.js';
import type { ModelSpec, OptimizedFrom } from '../spec.js';
import { openVerifiedSession } from '../verify.js';
import { requestInputs, seededInputs, type CompareInputs } from './inputs.js';
import { feedsFor, normalizedColumns, type Columns } from './feeds.js';
import { agreementOf, rowsPerSecond, type Agreement } from './stats.js';

export interface CompareOptions {
  /** Seeded rows to generate (default 1000), or the most rows to take from `requestsFile`. */
  rows?: number;
  /** Seed of the generated rows (default 1, as `serve bench`). */
  seed?: number;
  /** JSON-lines file of recorded OIP v2 infer bodies to use instead of generated rows. */
  requestsFile?: string;
  /** Agreement (0..1) below which the comparison fails. */
  minAgreement?: number;
  /** How long each throughput measurement runs (default 500 ms; 0 skips throughput). */
  throughputMs?: number;
  /** Batch sizes whose throughput is measured (default 1, 8, 32). */
  batches?: readonly number[];
}

/** One side of the comparison. */
export interface ModelFigures {
  ref: string;
  onnxPath: string;
  onnxBytes: number;
  optimized?: OptimizedFrom;
  /** Rows per second on one thread, per batch size; undefined where not measured (no batch axis, or skipped). */
  throughput: { batch: number; rowsPerSec?: number }[];
}

/** Everything `serve model compare` reports, as plain data. */
export interface CompareReport {
  a: ModelFigures;
  b: ModelFigures;
  rows: number;
  source: string;
  agreement: Agreement;
  minAgreement?: number;
  /** False only when minAgreement is set and agreement is below it. */
  passed: boolean;
  throughputMs: number;
}

export const COMPARE_DEFAULTS = { rows: 1000, seed: 1, throughputMs: 500, batches: [1, 8, 32] } as const;

/** Rows per session.run when computing agreement: large enough to be quick, small enough for any model. */
const CHUNK_ROWS = 64;

/** Turns each session takes per batch size; the best one counts. */
const THROUGHPUT_ROUNDS = 3;

const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionProviders: ['cpu'],
  logSeverityLevel: 3,
};

function shapeText(t: { shape: number[] }): string {
  return `[${t.shape.join(', ')}]`;
}

/** Throws unless both specs take and give the same tensors, so the same rows can feed both. */
export function checkComparable(a: ModelSpec, b: ModelSpec): void {
  const refs = `${a.name}@${a.version} and ${b.name}@${b.version}`;
  for (const side of ['inputs', 'outputs'] as const) {
    const names = (s: ModelSpec) => s[side].map((t) => t.name).join(', ');
    if (names(a) !== names(b))
      throw new UserError(`cannot compare ${refs}: their ${side} differ (${names(a)} vs ${names(b)})`);
    a[side].forEach((ta, i) => {
      const tb = b[side][i]!;
      if (ta.datatype !== tb.datatype || shapeText(ta) !== shapeText(tb)) {
        throw new UserError(
          `cannot compare ${refs}: ${side.slice(0, -1)} "${ta.name}" is ${ta.datatype} ` +
            `${shapeText(ta)} vs ${tb.datatype} ${shapeText(tb)}`,
        );
      }
    });
  }
}

/** Runs every row through `session`, CHUNK_ROWS at a time; returns each output's values and the class count. */
async function runRows(session: ort.InferenceSession, spec: ModelSpec, inputs: CompareInputs, columns: Columns) {
  const values = new Map(spec.outputs.map((o) => [o.name, [] as number[]]));
  let classes = 1;
  const step = inputs.batchable ? CHUNK_ROWS : 1;
  for (let start = 0; start < inputs.rows; start += step) {
    const out = await session.run(feedsFor(inputs, columns, start, Math.min(step, inputs.rows - start)));
    for (const o of spec.outputs) {
      const tensor = out[o.name]!;
      const list = values.get(o.name)!;
      const data = tensor.data as ArrayLike<number | bigint>;
      for (let i = 0; i < data.length; i++) list.push(Number(data[i]));
      if (o === spec.outputs[0]) classes = tensor.dims[tensor.dims.length - 1] ?? 1;
    }
  }
  return { values, classes };
}

/** Rows per second of `runs` back-to-back runs of `feeds` lasting at least `windowMs`. */
async function timedWindow(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
  batch: number,
  windowMs: number,
): Promise<number> {
  let runs = 0;
  const startMs = performance.now();
  do {
    await session.run(feeds);
    runs++;
  } while (performance.now() - startMs < windowMs);
  return rowsPerSecond(batch, runs, performance.now() - startMs);
}

/**
 * Rows per second of each session at each batch size, one thread. The two sessions take turns in
 * short windows and each keeps its best window, so load from other processes on the host hits both
 * alike instead of whichever happened to run at the time.
 */
async function measureThroughput(
  sides: Side[],
  inputs: CompareInputs,
  batches: readonly number[],
  durationMs: number,
): Promise<ModelFigures['throughput'][]> {
  const out: ModelFigures['throughput'][] = sides.map(() => []);
  for (const batch of batches) {
    if (durationMs <= 0 || (batch > 1 && !inputs.batchable)) {
      out.forEach((o) => o.push({ batch }));
      continue;
    }
    const feeds = sides.map((s) => feedsFor(inputs, s.columns, 0, batch));
    const best = sides.map(() => 0);
    for (const [i, s] of sides.entries()) for (let k = 0; k < 3; k++) await s.session.run(feeds[i]!);
    for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
      for (const [i, s] of sides.entries())
        best[i] = Math.max(best[i]!, await timedWindow(s.session, feeds[i]!, batch, durationMs / THROUGHPUT_ROUNDS));
    }
    out.forEach((o, i) => o.push({ batch, rowsPerSec: best[i] }));
  }
  return out;
}

interface Side {
  model: ResolvedModel;
  ref: string;
  session: ort.InferenceSession;
  columns: Columns;
}

async function openSide(model: ResolvedModel, inputs: CompareInputs): Promise<Side> {
  const session = await openVerifiedSession(model, SESSION_OPTIONS);
  return { model, ref: `${model.name}@${model.version}`, session, columns: normalizedColumns(inputs, model.spec) };
}

async function figuresOf(side: Side, throughput: ModelFigures['throughput']): Promise<ModelFigures> {
  const figures: ModelFigures = {
    ref: side.ref,
    onnxPath: side.model.onnxPath,
    onnxBytes: (await stat(side.model.onnxPath)).size,
    throughput,
  };
  if (side.model.spec.optimized) figures.optimized = side.model.spec.optimized;
  return figures;
}

/** Compares `refB` with `refA` (both resolved in `registryDir`) on the same rows. */
export async function compareModels(
  registryDir: string,
  refA: string,
  refB: string,
  opts: CompareOptions = {},
): Promise<CompareReport> {
  const [a, b] = [await resolveModel(registryDir, refA), await resolveModel(registryDir, refB)];
  checkComparable(a.spec, b.spec);
  const inputs =
    opts.requestsFile !== undefined
      ? await requestInputs(a.spec, opts.requestsFile, opts.rows)
      : seededInputs(a.spec, opts.rows ?? COMPARE_DEFAULTS.rows, opts.seed ?? COMPARE_DEFAULTS.seed);
  const sides: Side[] = [];
  try {
    for (const m of [a, b]) sides.push(await openSide(m, inputs));
    const [ra, rb] = [
      await runRows(sides[0]!.session, a.spec, inputs, sides[0]!.columns),
      await runRows(sides[1]!.session, b.spec, inputs, sides[1]!.columns),
    ];
    const throughput = await measureThroughput(
      sides,
      inputs,
      opts.batches ?? COMPARE_DEFAULTS.batches,
      opts.throughputMs ?? COMPARE_DEFAULTS.throughputMs,
    );
    const names = a.spec.outputs.map((o) => o.name);
    const agreement = agreementOf(ra.values, rb.values, names, ra.classes);
    return finish(
      opts,
      inputs,
      agreement,
      await figuresOf(sides[0]!, throughput[0]!),
      await figuresOf(sides[1]!, throughput[1]!),
    );
  } finally {
    await Promise.all(sides.map((s) => s.session.release()));
  }
}

function finish(
  opts: CompareOptions,
  inputs: CompareInputs,
  agreement: Agreement,
  a: ModelFigures,
  b: ModelFigures,
): CompareReport {
  const passed = opts.minAgreement === undefined || agreement.agreement >= opts.minAgreement;
  const report: CompareReport = {
    a,
    b,
    rows: inputs.rows,
    source: inputs.source,
    agreement,
    passed,
    throughputMs: opts.throughputMs ?? COMPARE_DEFAULTS.throughputMs,
  };
  if (opts.minAgreement !== undefined) report.minAgreement = opts.minAgreement;
  return report;
}
