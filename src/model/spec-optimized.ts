// The `optimized` block of model.yaml (model plane): what `serve model optimize` did and from which
// version. Validated like the rest of model.yaml: every problem at its field path.
import { OPTIMIZED_LEVELS, type OptimizedFrom } from './spec.js';
import { checkKeys, isRecord, type Path, type Problem } from './spec-problems.js';

const KEYS = ['from', 'level', 'int8', 'quantized', 'fp32_kept', 'onnxruntime'];

function stringList(raw: Record<string, unknown>, key: string, path: Path, problems: Problem[]): string[] {
  const v = raw[key];
  if (v === undefined) return [];
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return [...(v as string[])];
  problems.push({ path: [...path, key], message: 'must be a list of node names, e.g. [conv1d, lstm0]' });
  return [];
}

/** Checks the raw `optimized` value of the model.yaml of version `version`; undefined when invalid. */
export function validateOptimized(raw: unknown, version: number, problems: Problem[]): OptimizedFrom | undefined {
  const path: Path = ['optimized'];
  if (!isRecord(raw)) {
    problems.push({ path, message: 'must be a mapping, e.g. {from: 1, level: extended, int8: true}' });
    return undefined;
  }
  const before = problems.length;
  checkKeys(raw, KEYS, path, problems);
  if (!Number.isInteger(raw.from) || (raw.from as number) < 0) {
    problems.push({
      path: raw.from === undefined ? path : [...path, 'from'],
      message: 'needs "from", the whole-number version this one was made from',
    });
  } else if (raw.from === version) {
    problems.push({
      path: [...path, 'from'],
      message: `is ${version}, this version itself; name the version it was made from`,
    });
  }
  if (!OPTIMIZED_LEVELS.includes(raw.level as OptimizedFrom['level'])) {
    problems.push({
      path: raw.level === undefined ? path : [...path, 'level'],
      message: `needs "level", one of ${OPTIMIZED_LEVELS.join(', ')}`,
    });
  }
  if (typeof raw.int8 !== 'boolean')
    problems.push({ path: raw.int8 === undefined ? path : [...path, 'int8'], message: 'needs "int8": true or false' });
  const quantized = stringList(raw, 'quantized', path, problems);
  const fp32Kept = stringList(raw, 'fp32_kept', path, problems);
  if (raw.onnxruntime !== undefined && typeof raw.onnxruntime !== 'string')
    problems.push({ path: [...path, 'onnxruntime'], message: 'must be a version string, e.g. "1.30.0"' });
  if (problems.length > before) return undefined;
  const out: OptimizedFrom = {
    from: raw.from as number,
    level: raw.level as OptimizedFrom['level'],
    int8: raw.int8 as boolean,
    quantized,
    fp32Kept,
  };
  if (raw.onnxruntime !== undefined) out.onnxruntime = raw.onnxruntime as string;
  return out;
}

/** The block as model.yaml writes it (fixed key order). */
export function formatOptimized(o: OptimizedFrom): Record<string, unknown> {
  const out: Record<string, unknown> = {
    from: o.from,
    level: o.level,
    int8: o.int8,
    quantized: o.quantized,
    fp32_kept: o.fp32Kept,
  };
  if (o.onnxruntime !== undefined) out.onnxruntime = o.onnxruntime;
  return out;
}
