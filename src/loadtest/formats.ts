// File formats of a result (loadtest, pure): JUnit XML (one test case per check), the HdrHistogram
// interval log, and the .hgrm percentile distribution.
import { decodeHistogram, percentileDistribution } from './histogram.js';
import type { GateReport, IntervalSample, RunResult } from './types.js';

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JUnit XML: a test suite whose test cases are the gate checks (one "run" case if none). */
export function renderJunit(result: RunResult, gates: GateReport): string {
  const secs = (result.durationMs / 1000).toFixed(3);
  const cases =
    gates.checks.length === 0
      ? [`    <testcase classname="serve.bench" name="run completed" time="${secs}"/>`]
      : gates.checks.map((c) => {
          const name = xml(`${c.kind} ${c.metric}`);
          const head = `    <testcase classname="serve.bench.${c.kind}" name="${name}" time="0">`;
          const body = c.passed
            ? `<system-out>${xml(c.message)}</system-out>`
            : `<failure message="${xml(c.message)}" type="${c.kind}">${xml(c.message)}</failure>`;
          return `${head}${body}</testcase>`;
        });
  const failures = gates.checks.filter((c) => !c.passed).length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="serve bench" tests="${Math.max(1, gates.checks.length)}" ` +
      `failures="${failures}" time="${secs}">`,
    `  <testsuite name="${xml(`serve bench ${result.target.model}`)}" tests="` +
      `${Math.max(1, gates.checks.length)}" failures="${failures}" errors="0" time="` +
      `${secs}" timestamp="${result.startedAt}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** The header of an HdrHistogram interval log (format 1.3) starting at `startEpochMs`. */
export function hdrLogHeader(startEpochMs: number): string {
  const secs = (startEpochMs / 1000).toFixed(3);
  return [
    '#[Logged with serve bench; values in microseconds]',
    '#[Histogram log format version 1.3]',
    `#[StartTime: ${secs} (seconds since epoch), ` + `${new Date(startEpochMs).toISOString()}]`,
    `#[BaseTime: ${secs} (seconds since epoch)]`,
    '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"',
    '',
  ].join('\n');
}

/** One interval line; timestamps in seconds since the log's base time, max in milliseconds. */
export function hdrLogLine(sample: IntervalSample): string {
  const start = (sample.startMs / 1000).toFixed(3);
  const length = ((sample.endMs - sample.startMs) / 1000).toFixed(3);
  return `${start},${length},${(sample.maxUs / 1000).toFixed(3)},${sample.latencyUs}\n`;
}

/** The .hgrm percentile distribution of intended-time latency, values in milliseconds. */
export function renderHgrm(result: RunResult): string {
  return percentileDistribution(decodeHistogram(result.histograms.latencyUs));
}
