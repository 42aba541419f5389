// The comment a profile written by `serve tune` carries under its own opening comment (tune, pure): where and when it was
// measured (host, CPUs, load average, date, the rates) and the figures that decided it, because a
// configuration tuned on a busy 2-core laptop says little about a quiet 32-core server. A profile
// tuned again gets the new comment in place of the old one (the lines start with MARK).
import type { Recommendation, TuneReport } from './types.js';

/** Where the measurement ran; the CLI reads it from node:os, tests pass their own. */
export interface MeasuredOn {
  host: string;
  cpus: number;
  /** 1, 5 and 15 minute load averages. */
  loadAverage: readonly number[];
  /** When the tune ended. */
  at: Date;
}

export const MARK = '# serve tune:';

const f1 = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(1));

/** The comment lines (each starting with MARK) for `rec` from `report`, measured on `on`. */
export function measuredComment(
  on: MeasuredOn,
  report: Pick<TuneReport, 'objective' | 'ratePerSec' | 'windowMs' | 'maxWindows'>,
  rec: Recommendation,
  tentative: boolean,
  achievedPerSec?: number,
): string[] {
  const load = on.loadAverage.map((v) => v.toFixed(2)).join(' ');
  const what =
    report.objective === 'cost'
      ? `the cheapest configuration meeting every target at ${report.ratePerSec} req/s`
      : `the highest rate within the targets`;
  const l = rec.latency;
  const answered = achievedPerSec === undefined ? '' : ` (${achievedPerSec.toFixed(1)} answered)`;
  return [
    `${MARK} ${what}, measured on ${on.host} (${on.cpus} CPUs, load average ${load}) at ${on.at.toISOString()}`,
    `${MARK} ${report.windowMs} ms windows (at most ${report.maxWindows}); figures only hold on a host like it`,
    `${MARK} decided at ${rec.ratePerSec} req/s${answered}: p50 ${f1(l.p50Ms)} ms, p95 ${f1(l.p95Ms)} ms, p99 ${f1(l.p99Ms)} ms`,
    ...(tentative ? [`${MARK} NOT decided with confidence (written with --write-anyway)`] : []),
  ];
}

/**
 * `text` with `comment` after the file's own opening comment lines (its title and any modeline stay
 * first), in place of an earlier comment of serve tune.
 */
export function withMeasuredComment(text: string, comment: readonly string[]): string {
  const kept = text.split('\n').filter((line) => !line.startsWith(MARK));
  const head = kept.findIndex((line) => !line.startsWith('#'));
  const at = head === -1 ? kept.length : head;
  return [...kept.slice(0, at), ...comment, ...kept.slice(at)].join('\n');
}
