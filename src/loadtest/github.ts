// A bench run in GitHub Actions' own forms (loadtest, pure): the job summary in Markdown (appended to
// $GITHUB_STEP_SUMMARY by the CLI) and one `::error` workflow command per failed check.
import { tableModel } from './report.js';
import type { GateReport, RunResult } from './types.js';

/** Workflow-command message text: `%`, CR and LF escaped as GitHub's toolkit escapes them. */
function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow-command property value: as message text, plus the `:` and `,` that delimit properties. */
function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One `::error title=serve bench::<check>` line per failed check (none when every check passed). */
export function renderAnnotations(gates: GateReport): string {
  return gates.checks
    .filter((c) => !c.passed)
    .map(
      (c) =>
        `::error title=` +
        `${escapeProperty(`serve bench: ${c.kind === 'baseline' ? 'baseline' : 'target'} missed`)}` +
        `::${escapeData(c.message)}\n`,
    )
    .join('');
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/**
 * The run as Markdown for the job summary: a heading with the verdict, the header line, the table
 * and its notes. `notJudged` replaces the verdict of a run that is not judged (see renderTable).
 */
export function renderStepSummary(result: RunResult, gates: GateReport, notJudged?: string): string {
  const model = tableModel(result, gates);
  const verdict = notJudged ?? model.verdict;
  const mark = notJudged !== undefined ? 'NO VERDICT' : gates.checks.every((c) => c.passed) ? 'PASS' : 'FAIL';
  const rows = model.rows.map((r) => (notJudged === undefined ? r : [...r.slice(0, -1), '-']));
  return [
    `### serve bench: ${mark}`,
    '',
    cell(model.title),
    '',
    `| ${model.head.map(cell).join(' | ')} |`,
    `| ${model.head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    '',
    ...model.notes.map((n) => `- ${cell(n)}`),
    '',
    `**${cell(verdict)}**`,
    '',
  ].join('\n');
}
