// Profile problems (control plane): one located mistake in a profile, its one-line rendering, and
// the UserError that carries all of them at once.
import { UserError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';

/** One mistake in a profile, located in the file. `line` and `col` are 1-based. */
export interface ProfileProblem {
  /** The file as the user named it (relative to the CWD when inside it). */
  file: string;
  line: number;
  col: number;
  /** Dotted field path as written in YAML (snake_case), e.g. `replicas.min`; '' for the whole file. */
  path: string;
  /** What is wrong, then what is expected. */
  message: string;
}

/** `file:line:col field.path: message`, the one-line form users see. */
export function formatProblem(p: ProfileProblem): string {
  const where = `${p.file}:${p.line}:${p.col}`;
  return p.path === '' ? `${where}: ${p.message}` : `${where} ${p.path}: ${p.message}`;
}

/** Sorts problems by position so the output reads top to bottom like the file. */
export function sortProblems(problems: readonly ProfileProblem[]): ProfileProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.col - b.col || a.path.localeCompare(b.path));
}

/** Most problems printed one a line; the rest are counted in one more line (all are in `problems`). */
export const MAX_PRINTED_PROBLEMS = 50;

/**
 * Thrown by parseProfile/loadProfile: the message says how many problems the file has, `details`
 * holds one formatted line per problem (the first MAX_PRINTED_PROBLEMS, then "and N more"), and
 * `problems` every one of them as data (for `--json`).
 */
export class ProfileError extends UserError {
  readonly problems: readonly ProfileProblem[];
  constructor(file: string, problems: readonly ProfileProblem[]) {
    const sorted = sortProblems(problems);
    const n = sorted.length;
    const details = sorted.slice(0, MAX_PRINTED_PROBLEMS).map(formatProblem);
    if (n > MAX_PRINTED_PROBLEMS)
      details.push(`and ${n - MAX_PRINTED_PROBLEMS} more (serve validate --json lists every one)`);
    super(`profile ${file} has ${n} problem${n === 1 ? '' : 's'}:`, { exitCode: ExitCode.Usage, details });
    this.name = 'ProfileError';
    this.problems = sorted;
  }
}

/** Levenshtein distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The candidate closest to `word` when it is close enough to be a likely typo, else undefined. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = editDistance(w, c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  // A third of the word (at least 2 edits) catches typos without suggesting unrelated keys.
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Shows a YAML value in a message: strings quoted, objects named by kind. */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v) || v instanceof Set) return 'a list';
  if (ArrayBuffer.isView(v)) return 'binary data';
  if (v instanceof Date) return 'a date';
  if (typeof v === 'object') return 'a mapping';
  return String(v as string | number | boolean | bigint | symbol);
}
