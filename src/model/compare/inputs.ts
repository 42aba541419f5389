// The rows `serve model compare` feeds both models (model plane): seeded random values with the
// model's shapes, drawn the way `serve bench` draws its payloads, or rows from recorded requests.
import { readFile } from 'node:fs/promises';
import { UserError } from '../../common/errors.js';
import { seededRandom } from '../../common/random.js';
import type { ModelSpec, TensorSpec } from '../spec.js';

/** One model input for every row: `values` holds rows × rowSize numbers, row after row. */
export interface InputColumn {
  name: string;
  datatype: string;
  /** Shape of one row (the batch axis removed when the model has one). */
  rowShape: number[];
  values: number[];
}

/** The same rows for both models. */
export interface CompareInputs {
  rows: number;
  columns: InputColumn[];
  /** True when every input and output has a dynamic first (batch) axis, so rows can be batched. */
  batchable: boolean;
  /** Where the rows came from, for the report: "seeded random (seed 1)" or the file. */
  source: string;
}

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** True when every input and output of `spec` has a dynamic first axis. */
export function isBatchable(spec: ModelSpec): boolean {
  return [...spec.inputs, ...spec.outputs].every((t) => t.shape[0] === -1);
}

function rowShapeOf(t: TensorSpec, batchable: boolean): number[] {
  return (batchable ? t.shape.slice(1) : t.shape).map((d) => (d > 0 ? d : 1));
}

/** One random value as `serve bench` draws it: floats in [-1, 1) to 6 places, small integers. */
function draw(datatype: string, random: () => number): number {
  if (datatype === 'BOOL') return random() < 0.5 ? 1 : 0;
  if (datatype.startsWith('FP')) return Math.round((random() * 2 - 1) * 1e6) / 1e6;
  return Math.floor(random() * 10);
}

function checkFillable(spec: ModelSpec): void {
  const bytes = spec.inputs.find((t) => t.datatype === 'BYTES');
  if (bytes)
    throw new UserError(
      `input "${bytes.name}" of ${spec.name}@${spec.version} is BYTES, which compare ` +
        `cannot feed: compare works on numeric inputs`,
    );
}

/** `rows` seeded random rows with the shapes of `spec` (dynamic dimensions other than the batch set to 1). */
export function seededInputs(spec: ModelSpec, rows: number, seed: number): CompareInputs {
  checkFillable(spec);
  const batchable = isBatchable(spec);
  const random = seededRandom(seed);
  const columns = spec.inputs.map((t) => ({
    name: t.name,
    datatype: t.datatype,
    rowShape: rowShapeOf(t, batchable),
    values: [] as number[],
  }));
  for (let r = 0; r < rows; r++) {
    for (const c of columns) for (let i = count(c.rowShape); i > 0; i--) c.values.push(draw(c.datatype, random));
  }
  return { rows, columns, batchable, source: `seeded random (seed ${seed})` };
}

interface RequestTensor {
  name?: unknown;
  shape?: unknown;
  datatype?: unknown;
  data?: unknown;
}

/**
 * Rows from a JSON-lines file of OIP v2 infer bodies (`{"inputs":[{name, shape, datatype, data}]}`
 * a line, the format `serve bench --requests` replays); a request with batch n gives n rows.
 * At most `maxRows` rows are taken. Errors name the file, the line and the fix.
 */
export async function requestInputs(spec: ModelSpec, file: string, maxRows?: number): Promise<CompareInputs> {
  checkFillable(spec);
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UserError(`--requests ${file}: cannot read the file (${err.code ?? 'error'})`);
  });
  const batchable = isBatchable(spec);
  const columns: InputColumn[] = spec.inputs.map((t) => ({
    name: t.name,
    datatype: t.datatype,
    rowShape: rowShapeOf(t, batchable),
    values: [],
  }));
  let rows = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && (maxRows === undefined || rows < maxRows); i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `--requests ${file}:${i + 1}`;
    let body: { inputs?: unknown };
    try {
      body = JSON.parse(line) as typeof body;
    } catch {
      throw new UserError(`${where}: not valid JSON; each line must be one infer request like ` + `{"inputs":[...]}`);
    }
    if (!body || !Array.isArray(body.inputs))
      throw new UserError(`${where}: expected {"inputs":[{"name","shape","datatype","data"}]}`);
    rows += addRequest(body.inputs as RequestTensor[], spec, columns, batchable, where);
  }
  if (rows === 0) throw new UserError(`--requests ${file}: the file holds no requests`);
  if (maxRows !== undefined && rows > maxRows) {
    for (const c of columns) c.values.length = maxRows * count(c.rowShape);
    rows = maxRows;
  }
  return { rows, columns, batchable, source: file };
}

/** Appends one request's rows to `columns`; returns how many rows it held. */
function addRequest(
  tensors: RequestTensor[],
  spec: ModelSpec,
  columns: InputColumn[],
  batchable: boolean,
  where: string,
): number {
  let batch: number | undefined;
  for (const c of columns) {
    const t = tensors.find((x) => x && x.name === c.name);
    if (!t)
      throw new UserError(
        `${where}: the request has no input "${c.name}" (${spec.name}@${spec.version} ` +
          `takes ${columns.map((x) => x.name).join(', ')})`,
      );
    if (t.datatype !== c.datatype)
      throw new UserError(`${where}: input "${c.name}" is ${String(t.datatype)}, the model takes ` + `${c.datatype}`);
    const shape = Array.isArray(t.shape) ? (t.shape as unknown[]) : [];
    const row = batchable ? shape.slice(1) : shape;
    if (!shape.every((d) => Number.isInteger(d)) || row.join(',') !== c.rowShape.join(',')) {
      throw new UserError(
        `${where}: input "${c.name}" has shape [${shape.join(', ')}], the model takes [` +
          `${batchable ? 'n, ' : ''}${c.rowShape.join(', ')}]`,
      );
    }
    const n = batchable ? (shape[0] as number) : 1;
    if (batch !== undefined && n !== batch)
      throw new UserError(`${where}: inputs disagree on the batch size (${batch} and ${n})`);
    batch = n;
    const data = Array.isArray(t.data) ? (t.data as unknown[]).flat(Infinity) : [];
    if (data.length !== n * count(c.rowShape) || !data.every((v) => typeof v === 'number' || typeof v === 'boolean')) {
      throw new UserError(
        `${where}: input "${c.name}" needs ${n * count(c.rowShape)} numbers in "data", ` + `found ${data.length}`,
      );
    }
    for (const v of data) c.values.push(Number(v));
  }
  return batch ?? 0;
}
