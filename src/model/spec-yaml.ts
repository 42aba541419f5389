// Reading and writing model.yaml (model plane). Validation collects every problem and names the
// file, line, column and field path of each, so one run shows the user everything to fix.
import { Document, LineCounter, isScalar, parseDocument, visit } from 'yaml';
import { UserError } from '../common/errors.js';
import { OIP_DATATYPES, type ModelSpec, type TensorSpec } from './spec.js';
import { formatOptimized, validateOptimized } from './spec-optimized.js';
import { checkKeys, isRecord, type Path, type Problem } from './spec-problems.js';

const TOP_KEYS = ['name', 'version', 'description', 'inputs', 'outputs', 'preprocessing', 'optimized'];
const TENSOR_KEYS = ['name', 'datatype', 'shape'];
const NORMALIZE_KEYS = ['input', 'mean', 'std'];

/**
 * Parses the text of `file` (a model.yaml) for the model folder `name`/`version`.
 * Throws one UserError listing every problem as `file:line:col: field: what is wrong`.
 */
export function parseModelYaml(text: string, file: string, expect: { name: string; version: number }): ModelSpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    throw new UserError(`${where}: model.yaml is not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const problems: Problem[] = [];
  const spec = validate(doc.toJS(), expect, problems);
  if (problems.length === 0) return spec;
  const lines = problems.map((p) => {
    const node = doc.getIn(p.path, true) as { range?: [number, number, number] } | undefined;
    const pos = node?.range ? lineCounter.linePos(node.range[0]) : undefined;
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    return `${where}: ${p.path.length ? `field "${formatPath(p.path)}"` : 'document'}: ` + `${p.message}`;
  });
  if (lines.length === 1) throw new UserError(lines[0]!);
  throw new UserError(`${file}: ${lines.length} problems in model.yaml`, { details: lines });
}

function formatPath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function validate(raw: unknown, expect: { name: string; version: number }, problems: Problem[]): ModelSpec {
  const spec: ModelSpec = { name: expect.name, version: expect.version, description: '', inputs: [], outputs: [] };
  if (!isRecord(raw)) {
    problems.push({ path: [], message: 'must be a mapping with inputs and outputs' });
    return spec;
  }
  checkKeys(raw, TOP_KEYS, [], problems);
  if (raw.name !== undefined && raw.name !== expect.name) {
    problems.push({
      path: ['name'],
      message:
        `is ${JSON.stringify(raw.name)} but the folder says "${expect.name}"; make them ` + `equal or remove the field`,
    });
  }
  if (raw.version !== undefined && raw.version !== expect.version) {
    problems.push({
      path: ['version'],
      message:
        `is ${JSON.stringify(raw.version)} but the folder says ${expect.version}; the ` +
        `folder name is the version, remove the field`,
    });
  }
  if (raw.description !== undefined) {
    if (typeof raw.description === 'string') spec.description = raw.description;
    else problems.push({ path: ['description'], message: 'must be a string' });
  }
  spec.inputs = validateTensors(raw.inputs, 'inputs', problems);
  spec.outputs = validateTensors(raw.outputs, 'outputs', problems);
  if (raw.preprocessing !== undefined) {
    // Look inputs up in the raw list so a bad datatype is not also reported as an unknown input.
    const named = Array.isArray(raw.inputs)
      ? raw.inputs.filter(isRecord).map((t) => ({ name: t.name, shape: t.shape }))
      : [];
    const pre = validatePreprocessing(raw.preprocessing, named, problems);
    if (pre) spec.preprocessing = pre;
  }
  if (raw.optimized !== undefined) {
    const optimized = validateOptimized(raw.optimized, expect.version, problems);
    if (optimized) spec.optimized = optimized;
  }
  return spec;
}

function validateTensors(raw: unknown, key: 'inputs' | 'outputs', problems: Problem[]): TensorSpec[] {
  if (raw === undefined) {
    problems.push({ path: [], message: `missing field "${key}": list each tensor with name, datatype and shape` });
    return [];
  }
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push({ path: [key], message: 'must be a non-empty list of {name, datatype, shape}' });
    return [];
  }
  const out: TensorSpec[] = [];
  const seen = new Set<string>();
  raw.forEach((t, i) => {
    const path: Path = [key, i];
    if (!isRecord(t)) {
      problems.push({ path, message: 'must be a mapping with name, datatype and shape' });
      return;
    }
    checkKeys(t, TENSOR_KEYS, path, problems);
    const okName = typeof t.name === 'string' && t.name.length > 0;
    if (!okName)
      problems.push({
        path: t.name === undefined ? path : [...path, 'name'],
        message: 'needs a non-empty string "name"',
      });
    else if (seen.has(t.name as string))
      problems.push({ path: [...path, 'name'], message: `duplicate tensor name "${String(t.name)}"` });
    else seen.add(t.name as string);
    const okType = typeof t.datatype === 'string' && OIP_DATATYPES.includes(t.datatype);
    if (!okType) {
      problems.push({
        path: t.datatype === undefined ? path : [...path, 'datatype'],
        message: `needs "datatype", one of ${OIP_DATATYPES.join(', ')}`,
      });
    }
    const okShape = Array.isArray(t.shape) && t.shape.every((d) => Number.isInteger(d) && (d === -1 || d > 0));
    if (!okShape) {
      problems.push({
        path: t.shape === undefined ? path : [...path, 'shape'],
        message: 'needs "shape", a list of positive integers with -1 for a dynamic dimension, ' + 'e.g. [-1, 60, 16]',
      });
    }
    if (okName && okType && okShape)
      out.push({ name: t.name as string, datatype: t.datatype as string, shape: [...(t.shape as number[])] });
  });
  return out;
}

function validatePreprocessing(
  raw: unknown,
  inputs: { name: unknown; shape: unknown }[],
  problems: Problem[],
): ModelSpec['preprocessing'] | undefined {
  if (!isRecord(raw)) {
    problems.push({ path: ['preprocessing'], message: 'must be a mapping, e.g. {normalize: {input, mean, std}}' });
    return undefined;
  }
  checkKeys(raw, ['normalize'], ['preprocessing'], problems);
  const n = raw.normalize;
  if (n === undefined) return {};
  const path: Path = ['preprocessing', 'normalize'];
  if (!isRecord(n)) {
    problems.push({ path, message: 'must be a mapping with input, mean and std' });
    return undefined;
  }
  checkKeys(n, NORMALIZE_KEYS, path, problems);
  const before = problems.length;
  const input = inputs.find((i) => i.name === n.input);
  if (typeof n.input !== 'string' || !input) {
    problems.push({
      path: n.input === undefined ? path : [...path, 'input'],
      message: `must name one of the inputs (${inputs.map((i) => String(i.name)).join(', ')})`,
    });
  }
  const shape = Array.isArray(input?.shape) ? (input.shape as unknown[]) : [];
  const lastDim = typeof shape[shape.length - 1] === 'number' ? (shape[shape.length - 1] as number) : undefined;
  for (const key of ['mean', 'std'] as const) {
    const v = n[key];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      problems.push({
        path: v === undefined ? path : [...path, key],
        message: `"${key}" must be a list of finite numbers, one per feature on the last axis`,
      });
      continue;
    }
    if (key === 'std' && v.some((x) => x <= 0))
      problems.push({ path: [...path, key], message: 'every std must be > 0' });
    if (lastDim !== undefined && lastDim !== -1 && v.length !== lastDim) {
      problems.push({
        path: [...path, key],
        message:
          `has ${v.length} values but input "${String(input!.name)}" has ${lastDim} ` + `features on its last axis`,
      });
    }
  }
  if (problems.length > before) return undefined;
  return { normalize: { input: n.input as string, mean: [...(n.mean as number[])], std: [...(n.std as number[])] } };
}

/** model.yaml text for `spec` (name and fields in a fixed order, so the bytes are reproducible). */
export function formatModelYaml(spec: ModelSpec): string {
  const doc: Record<string, unknown> = {
    name: spec.name,
    description: spec.description,
    inputs: spec.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
    outputs: spec.outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
  };
  if (spec.preprocessing) doc.preprocessing = spec.preprocessing;
  if (spec.optimized) doc.optimized = formatOptimized(spec.optimized);
  const yamlDoc = new Document(doc);
  // Lists of numbers (shapes, mean, std) read best on one line.
  visit(yamlDoc, {
    Seq: (_key, node) => {
      if (node.items.every((i) => isScalar(i))) node.flow = true;
    },
  });
  return yamlDoc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
