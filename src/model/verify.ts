// Checks that a model.onnx matches its model.yaml by opening it with ONNX Runtime (model plane).
// A corrupt file or any mismatch becomes one UserError naming the file and what differs.
import * as ort from 'onnxruntime-node';
import { UserError, errorMessage } from '../common/errors.js';
import type { ResolvedModel } from './registry.js';
import { ortTypeToOip, type ModelSpec, type TensorSpec } from './spec.js';

/** What verification reads from a session: ORT's InferenceSession satisfies this. */
export interface SessionSignature {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly ort.InferenceSession.ValueMetadata[];
}

/**
 * Every difference between what the session says and the spec, one readable line each
 * (empty when they match). Pure, so the replica can check the session it already opened.
 */
export function compareSignature(sig: SessionSignature, spec: ModelSpec): string[] {
  return [
    ...compareSide('input', sig.inputNames, sig.inputMetadata, spec.inputs),
    ...compareSide('output', sig.outputNames, sig.outputMetadata, spec.outputs),
  ];
}

function compareSide(
  side: 'input' | 'output',
  names: readonly string[],
  meta: readonly ort.InferenceSession.ValueMetadata[],
  specs: readonly TensorSpec[],
): string[] {
  const problems: string[] = [];
  const specNames = specs.map((s) => s.name);
  for (const s of specs) {
    const i = names.indexOf(s.name);
    if (i < 0) {
      problems.push(
        `model.yaml lists ${side} "${s.name}" but model.onnx has no such ${side} (onnx ` +
          `${side}s: ${names.join(', ')})`,
      );
      continue;
    }
    problems.push(...compareTensor(side, s, meta.find((m) => m.name === s.name) ?? meta[i]));
  }
  for (const n of names)
    if (!specNames.includes(n))
      problems.push(
        `model.onnx has ${side} "${n}" that model.yaml does not list (yaml ${side}s: ` + `${specNames.join(', ')})`,
      );
  return problems;
}

function compareTensor(side: string, s: TensorSpec, m: ort.InferenceSession.ValueMetadata | undefined): string[] {
  if (!m) return [];
  if (!m.isTensor) return [`${side} "${s.name}" is not a tensor in model.onnx`];
  const problems: string[] = [];
  const onnxType = ortTypeToOip(m.type) ?? m.type;
  if (onnxType !== s.datatype)
    problems.push(`${side} "${s.name}": model.yaml says datatype ${s.datatype}, model.onnx says ` + `${onnxType}`);
  // An empty shape means ORT knows nothing about it; then there is nothing to compare.
  if (m.shape.length === 0) return problems;
  if (m.shape.length !== s.shape.length) {
    problems.push(
      `${side} "${s.name}": model.yaml says rank ${s.shape.length} ${fmt(s.shape)}, ` +
        `model.onnx says rank ${m.shape.length} ${fmt(m.shape)}`,
    );
    return problems;
  }
  m.shape.forEach((d, k) => {
    const fixed = typeof d === 'number' && d >= 0;
    const want = s.shape[k]!;
    if (want === -1 && fixed)
      problems.push(`${side} "${s.name}" dim ${k}: model.yaml says dynamic (-1), model.onnx fixes ` + `it to ${d}`);
    if (want !== -1 && fixed && d !== want)
      problems.push(`${side} "${s.name}" dim ${k}: model.yaml says ${want}, model.onnx says ${d}`);
    if (want !== -1 && !fixed)
      problems.push(
        `${side} "${s.name}" dim ${k}: model.yaml says ${want}, model.onnx leaves it ` +
          `dynamic (${String(d)}); write -1`,
      );
  });
  return problems;
}

function fmt(shape: readonly (number | string)[]): string {
  return `[${shape.map((d) => (typeof d === 'string' ? d : String(d))).join(', ')}]`;
}

/**
 * Opens `model.onnxPath` with ONNX Runtime and checks it against `model.spec`; returns the open
 * session (the caller releases it). Throws UserError if the file cannot be loaded or differs.
 */
export async function openVerifiedSession(
  model: ResolvedModel,
  options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 },
): Promise<ort.InferenceSession> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model.onnxPath, options);
  } catch (err) {
    const reason = errorMessage(err).split('\n')[0]!.replace(/\s+/g, ' ').slice(0, 300);
    throw new UserError(
      `${model.onnxPath} is not a loadable ONNX model (ONNX Runtime: ${reason}); ` + `rebuild it or replace the file`,
    );
  }
  const problems = compareSignature(session, model.spec);
  if (problems.length > 0) {
    await session.release().catch(() => undefined);
    const head = `${model.onnxPath} does not match ${model.yamlPath}: ${problems[0]}`;
    throw new UserError(problems.length === 1 ? head : `${head} (and ${problems.length - 1} more)`, {
      details: problems.slice(1),
    });
  }
  return session;
}

/** Opens, checks and releases the model; rejects with UserError when it is unloadable or differs. */
export async function verifyModel(model: ResolvedModel): Promise<void> {
  const session = await openVerifiedSession(model);
  await session.release();
}
