// Problems found while validating model.yaml (model plane): a field path and a message each; the
// parser in spec-yaml.ts turns paths into file:line:col.

export type Path = (string | number)[];
/** One thing wrong in model.yaml, at a field path. */
export interface Problem {
  path: Path;
  message: string;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reports every key of `obj` not in `allowed`. */
export function checkKeys(obj: Record<string, unknown>, allowed: string[], path: Path, problems: Problem[]): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k))
      problems.push({ path: [...path, k], message: `unknown field; expected one of ${allowed.join(', ')}` });
  }
}
