// `serve bench --calibrate` (cli): an A/A run of the target against itself, interleaved as --against
// runs, and from its noise the smallest regression this rate and length can detect on this host,
// and the length per side needed to detect --max-regression: what a team runs once for its gate.
import os from 'node:os';
import { formatMs } from '../../common/units.js';
import { ratioIntervals, secondsToDetectRatio } from '../../stats/index.js';
import { COMPARED, windowsOfSamples, type ABRun } from '../../loadtest/index.js';

const pct = (f: number) => `${+(f * 100).toFixed(1)}%`;

/** What --calibrate reports (its --json). */
export interface Calibration {
  url: string;
  ratePerSec: number | null;
  durationMsPerSide: number;
  blockMs: number;
  confidence: number;
  maxRegression: number;
  loadAverage1m: number;
  cpuCount: number;
  /** Smallest change detected with 80% power at this rate and length, per percentile; null: too few samples. */
  mde: Record<string, number | null>;
  /** Seconds per side needed to detect --max-regression; null: too few samples at this length. */
  secondsToDetect: Record<string, number | null>;
  /** The A/A ratio with its interval: an interval far from 1 says the host drifted during the run. */
  ratio: Record<string, { ratio: number; ciLow: number; ciHigh: number }>;
  notes: string[];
}

export function calibrate(ab: ABRun, o: { confidence: number; seed: number; maxRegression: number }): Calibration {
  const seconds = ab.candidate.result.durationMs / 1000;
  const ivs = ratioIntervals(
    windowsOfSamples(ab.candidate.windows),
    windowsOfSamples(ab.baseline.windows),
    COMPARED.map(([, f]) => f),
    { confidence: o.confidence > 0 ? o.confidence : 0.95, seed: o.seed, paired: true },
  );
  const out: Calibration = {
    url: ab.candidate.result.target.url,
    ratePerSec: ab.candidate.result.rate.requestedPerSec,
    durationMsPerSide: ab.candidate.result.durationMs,
    blockMs: ab.blockMs,
    confidence: o.confidence > 0 ? o.confidence : 0.95,
    maxRegression: o.maxRegression,
    loadAverage1m: os.loadavg()[0]!,
    cpuCount: os.cpus().length,
    mde: {},
    secondsToDetect: {},
    ratio: {},
    notes: [],
  };
  COMPARED.forEach(([metric], i) => {
    const iv = ivs[i]!;
    out.ratio[metric] = { ratio: iv.ratio, ciLow: iv.low, ciHigh: iv.high };
    out.mde[metric] = iv.mde;
    out.secondsToDetect[metric] =
      iv.method === 'point'
        ? null
        : Math.ceil(secondsToDetectRatio(iv.seLog, seconds, o.maxRegression, out.confidence));
    if (iv.note) out.notes.push(`${metric}: ${iv.note}; a longer --duration or a higher --rps gives it an interval`);
    else if (iv.low > 1 || iv.high < 1)
      out.notes.push(`${metric}: the A/A interval excludes 1: the host drifted during the run; calibrate again`);
  });
  return out;
}

export function renderCalibration(c: Calibration): string {
  const lines = [
    `calibration: ${c.url} against itself (A/A), ${c.ratePerSec ?? 'closed loop'} req/s, ` +
      `${formatMs(c.durationMsPerSide)} per side in blocks of ${formatMs(c.blockMs)}; host load ` +
      `${c.loadAverage1m.toFixed(2)} on ${c.cpuCount} CPUs`,
  ];
  for (const [metric] of COMPARED) {
    const mde = c.mde[metric];
    const need = c.secondsToDetect[metric];
    const r = c.ratio[metric]!;
    lines.push(
      `  ${metric}: detects ${mde === null ? '- (too few samples)' : pct(mde)} at this length` +
        `${need === null ? '' : `; ${pct(c.maxRegression)} needs about ${need}s per side`}` +
        ` (A/A ratio ${r.ratio.toFixed(3)} [${r.ciLow.toFixed(3)}-${r.ciHigh.toFixed(3)}])`,
    );
  }
  for (const n of c.notes) lines.push(`  note: ${n}`);
  return lines.join('\n') + '\n';
}

/** The calibration on stdout: the text, or with --json `{calibration, mde}`. */
export function printCalibration(c: Calibration, json: boolean): void {
  process.stdout.write(json ? JSON.stringify({ calibration: c, mde: c.mde }, null, 2) + '\n' : renderCalibration(c));
}
