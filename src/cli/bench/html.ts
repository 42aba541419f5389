// `serve bench --html` (cli): puts a run's result, its table and its decoded spectra together and
// hands them to the report page. Pure; bench.ts writes the string to the file.
import { percentileSpectrum, tableModel, type GateReport, type RunResult } from '../../loadtest/index.js';
import { benchReportHtml } from '../../report/bench-page.js';

/**
 * The self-contained HTML report of `result`; `verdict` as for renderTable (a run not judged);
 * `comparison`: the --against or --baseline lines the terminal prints under the table.
 */
export function renderBenchHtml(result: RunResult, gates: GateReport, verdict?: string, comparison?: string): string {
  const table = tableModel(result, gates);
  if (comparison) table.notes.push(...comparison.trimEnd().split('\n'));
  return benchReportHtml(
    {
      result,
      gates,
      table,
      spectrum: {
        latency: percentileSpectrum(result.histograms.latencyUs, { maxMs: result.latency.maxMs }),
        service: percentileSpectrum(result.histograms.serviceUs, { maxMs: result.service.maxMs }),
      },
    },
    verdict,
  );
}
