// Reading a baseline RunResult written earlier with `--json` (loadtest).
import { readFile } from 'node:fs/promises';
import { UserError } from '../../common/errors.js';
import type { RunResult } from '../types.js';

/** Reads and checks a baseline file; a wrong file is a one-line UserError naming it. */
export async function readBaseline(file: string): Promise<RunResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(
      `--baseline ${file}: cannot read the file (` +
        `${(err as { code?: string }).code ?? 'error'}); write one with serve bench ` +
        `--json > ${file}`,
    );
  }
  let parsed: Partial<RunResult>;
  try {
    parsed = JSON.parse(text) as Partial<RunResult>;
  } catch {
    throw new UserError(`--baseline ${file}: not JSON; expected the output of serve bench --json`);
  }
  if (
    parsed?.schemaVersion !== 1 ||
    typeof parsed.latency?.p50Ms !== 'number' ||
    typeof parsed.rate?.achievedPerSec !== 'number'
  ) {
    throw new UserError(
      `--baseline ${file}: not a serve bench --json result (schemaVersion 1 with ` + `latency and rate)`,
    );
  }
  return parsed as RunResult;
}
