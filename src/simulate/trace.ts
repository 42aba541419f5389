// Rate traces for the simulator (simulate, pure): a `serve bench --json` result's per-second series
// (requests sent each second) or a CSV of `seconds,requests_per_second` (each rate held until the
// next row), read into requests per second for every second of the trace.
import { UserError } from '../common/errors.js';

/** Requests per second, one entry per second from 0. */
export interface RateTrace {
  ratePerSec: number[];
  /** Where it came from, for reports. */
  source: string;
}

/** Longest trace accepted: a week of seconds. */
export const MAX_TRACE_SECONDS = 7 * 86_400;

/** Reads a trace from a file's text; `file` names it in errors. */
export function parseTrace(text: string, file: string): RateTrace {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) return fromBenchJson(trimmed, file);
  return fromCsv(text, file);
}

function fromBenchJson(text: string, file: string): RateTrace {
  let json: { series?: unknown };
  try {
    json = JSON.parse(text) as { series?: unknown };
  } catch (err) {
    throw new UserError(
      `${file} is not valid JSON (${(err as Error).message}): give a \`serve bench ` +
        `--json\` result or a CSV of seconds,requests_per_second`,
    );
  }
  if (!Array.isArray(json.series) || json.series.length === 0) {
    throw new UserError(
      `${file} has no "series" (per-second counts): record it with a \`serve bench ` +
        `--json\` that writes one, or give a CSV of seconds,requests_per_second`,
    );
  }
  const rate: number[] = [];
  json.series.forEach((row: unknown, i: number) => {
    const r = row as { second?: unknown; sent?: unknown };
    if (
      typeof r.second !== 'number' ||
      !Number.isInteger(r.second) ||
      r.second < 0 ||
      typeof r.sent !== 'number' ||
      r.sent < 0
    ) {
      throw new UserError(`${file}: series[${i}] must be {"second": <integer >= 0>, "sent": <count>, ...}`);
    }
    if (r.second >= MAX_TRACE_SECONDS)
      throw new UserError(
        `${file}: series[${i}] is at second ${r.second}, beyond the longest trace (` + `${MAX_TRACE_SECONDS} s)`,
      );
    rate[r.second] = (rate[r.second] ?? 0) + r.sent;
  });
  return {
    ratePerSec: Array.from({ length: rate.length }, (_, i) => rate[i] ?? 0),
    source: `${file} (serve bench series)`,
  };
}

function fromCsv(text: string, file: string): RateTrace {
  const rows: Array<[number, number]> = [];
  const lines = text.split(/\r?\n/);
  let first = true;
  lines.forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const cells = line.split(/[,;\t]/).map((c) => c.trim());
    const header = first && cells.some((c) => Number.isNaN(Number(c)));
    first = false;
    if (header) return;
    const [s, r] = cells.map(Number);
    if (cells.length < 2 || !Number.isFinite(s) || !Number.isFinite(r) || s! < 0 || r! < 0) {
      throw new UserError(
        `${file}:${i + 1}: expected "seconds,requests_per_second" (two numbers >= 0), ` +
          `got "${raw.trim().slice(0, 60)}"`,
      );
    }
    if (rows.length > 0 && s! <= rows.at(-1)![0])
      throw new UserError(`${file}:${i + 1}: seconds must increase (${s} after ${rows.at(-1)![0]})`);
    if (s! >= MAX_TRACE_SECONDS)
      throw new UserError(`${file}:${i + 1}: second ${s} is beyond the longest trace (${MAX_TRACE_SECONDS}` + ` s)`);
    rows.push([s!, r!]);
  });
  if (rows.length === 0)
    throw new UserError(
      `${file} holds no rows: expected lines "seconds,requests_per_second", e.g. ` + `"0,50" then "60,200"`,
    );
  // Each rate holds until the next row; the last one for one more second (so "0,50" alone is one second).
  const end = Math.floor(rows.at(-1)![0]) + 1;
  const rate: number[] = [];
  let k = 0;
  for (let s = 0; s < end; s++) {
    while (k + 1 < rows.length && rows[k + 1]![0] <= s) k++;
    rate.push(rows[k]![0] <= s ? rows[k]![1] : 0);
  }
  return { ratePerSec: rate, source: `${file} (CSV)` };
}
