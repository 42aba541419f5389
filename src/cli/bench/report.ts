// Where a `serve bench` result is printed (cli): the table or --json on stdout, and on stderr what a
// CI log needs to say why the job failed; in GitHub Actions also the job summary and annotations.
import { appendFile } from 'node:fs/promises';
import {
  renderAnnotations,
  renderStepSummary,
  tableModel,
  type Comparison,
  type GateReport,
  type RunResult,
} from '../../loadtest/index.js';
import { errorMessage } from '../../common/errors.js';
import { compactTable } from '../table.js';
import { auditLine } from '../../loadtest/audit.js';
import { unreliableLine, type BenchVerdict } from './verdict.js';

/**
 * The result table (cli-table3) with each figure beside its target, then the notes and verdict;
 * `verdict` replaces the PASS/FAIL line and the per-row results when the run is not judged.
 */
export function renderTable(result: RunResult, gates: GateReport, verdict?: string): string {
  const model = tableModel(result, gates);
  const rows = model.rows.map((row) => (verdict === undefined ? row : [...row.slice(0, -1), '-']));
  return [model.title, compactTable(model.head, rows), ...model.notes, verdict ?? model.verdict, ''].join('\n');
}

/**
 * Prints the result. With --json the table goes to stderr (stdout is the JSON); with stdout not a
 * terminal (redirected to a file) the verdict line also goes to stderr, so a job log always says why
 * a run failed. Under GITHUB_ACTIONS=true: the Markdown summary is appended to $GITHUB_STEP_SUMMARY
 * and each failed check becomes an `::error` line on stderr, where the runner reads workflow commands
 * as it does on stdout (stdout may be the JSON, which a command line would corrupt).
 */
export async function printRun(
  result: RunResult,
  gates: BenchVerdict,
  o: {
    json: boolean;
    notJudged?: string;
    env?: NodeJS.ProcessEnv;
    /** --against or --baseline: the comparison, its lines under the table, and the --against side's result. */
    comparison?: Comparison;
    comparisonText?: string;
    against?: RunResult;
  },
): Promise<void> {
  const env = o.env ?? process.env;
  // The generator's self-audit follows the table; an unreliable run replaces the verdict line.
  const table =
    renderTable(result, gates, o.notJudged ?? unreliableLine(gates)) +
    (o.comparisonText ?? '') +
    (gates.audit ? `${auditLine(gates.audit)}\n` : '');
  if (o.json) {
    const extra = { ...(o.comparison && { comparison: o.comparison }), ...(o.against && { against: o.against }) };
    process.stdout.write(
      JSON.stringify({ ...result, verdict: gates.verdict, audit: gates.audit, gates, ...extra }, null, 2) + '\n',
    );
    process.stderr.write(table);
  } else {
    process.stdout.write(table);
    if (!process.stdout.isTTY && o.notJudged === undefined) {
      process.stderr.write(`serve bench: ${tableModel(result, gates).verdict}\n`);
      const compared = o.comparisonText?.trimEnd().split('\n').at(-1);
      if (compared) process.stderr.write(`serve bench: ${compared}\n`);
    }
  }
  if (env.GITHUB_ACTIONS !== 'true') return;
  if (o.notJudged === undefined) process.stderr.write(renderAnnotations(gates));
  const summaryFile = env.GITHUB_STEP_SUMMARY;
  if (!summaryFile) return;
  try {
    await appendFile(summaryFile, renderStepSummary(result, gates, o.notJudged) + '\n');
  } catch (err) {
    // The summary is a courtesy: a runner without it must not change the verdict or the exit code.
    process.stderr.write(
      `serve bench: warning: could not append the job summary to $GITHUB_STEP_SUMMARY ` + `(${errorMessage(err)})\n`,
    );
  }
}
