// Comparing a shadow server's answer with ours (gateway, data plane): a pure function of two parsed
// OIP v2 JSON answers, so what "agree" means is tested exactly.

/** Values of a one-value-per-row output agree when |ours - theirs| <= max(ABS_TOLERANCE, REL_TOLERANCE * |ours|). */
export const ABS_TOLERANCE = 1e-3;
export const REL_TOLERANCE = 0.01;

interface Output {
  name?: unknown;
  shape?: unknown;
  data?: unknown;
}

/** The `outputs` of a parsed answer, or undefined when it has none (not an OIP v2 infer answer). */
export function outputsOf(answer: unknown): Output[] | undefined {
  const outputs = (answer as { outputs?: unknown } | null)?.outputs;
  return Array.isArray(outputs) && outputs.every((o) => typeof o === 'object' && o !== null)
    ? (outputs as Output[])
    : undefined;
}

/**
 * True when the two answers agree. Each of our outputs is matched by name (or, when each answer has
 * exactly one output, with the other's one); the element counts must be equal, and then:
 * - numbers with more than one value per row (the last axis: class scores): the predicted class,
 *   the index of the largest value of each row, is the same in every row;
 * - numbers with one value per row (or no shape): each pair within the tolerances above;
 * - anything else (BYTES, BOOL): equal values.
 */
export function answersAgree(ours: Output[], theirs: Output[]): boolean {
  if (ours.length === 0) return false;
  for (const o of ours) {
    const t =
      theirs.find((x) => x.name === o.name) ?? (ours.length === 1 && theirs.length === 1 ? theirs[0] : undefined);
    if (t === undefined || !outputAgrees(o, t)) return false;
  }
  return true;
}

function outputAgrees(o: Output, t: Output): boolean {
  const a = flat(o.data);
  const b = flat(t.data);
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  if (!a.every((v) => typeof v === 'number') || !b.every((v) => typeof v === 'number'))
    return a.every((v, i) => v === b[i]);
  const shape = Array.isArray(o.shape) ? o.shape : [];
  const last = shape.length > 0 ? Number(shape[shape.length - 1]) : 1;
  const row = Number.isInteger(last) && last > 1 && a.length % last === 0 ? last : 1;
  if (row === 1)
    return (a as number[]).every(
      (v, i) => Math.abs(v - (b[i] as number)) <= Math.max(ABS_TOLERANCE, REL_TOLERANCE * Math.abs(v)),
    );
  for (let start = 0; start < a.length; start += row) {
    if (argmax(a as number[], start, row) !== argmax(b as number[], start, row)) return false;
  }
  return true;
}

function argmax(values: number[], start: number, length: number): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[start + i]! > values[start + best]!) best = i;
  return best;
}

/** The data as a flat list (OIP v2 allows nested lists), or undefined when it is not a list. */
function flat(data: unknown): unknown[] | undefined {
  return Array.isArray(data) ? (data.flat(Infinity) as unknown[]) : undefined;
}
