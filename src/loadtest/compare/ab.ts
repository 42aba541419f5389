// Interleaved A/B runs (loadtest): the same schedule against a candidate and a baseline in
// alternating blocks, A B B A A B B A ..., so that drift of the host (a neighbour starting, a
// thermal step) falls on both sides alike instead of on whichever ran second. Each side's blocks
// are added up into one RunResult, and its per-second windows kept for the ratio intervals.
import { ExitCode } from '../../common/exit-codes.js';
import { UserError } from '../../common/errors.js';
import { runBench, type BenchHooks } from '../run.js';
import { bucketsOf, encodeHistogram, mergeEncoded } from '../histogram.js';
import { mergeRuns } from './merge-runs.js';
import type { BenchOptions, IntervalSample, RunResult } from '../types.js';

export type Side = 'candidate' | 'baseline';

/** What one side measured over all its blocks. */
export interface SideRun {
  result: RunResult;
  /** Per-second latency windows of every block, in time order. */
  windows: IntervalSample[];
}

export interface ABRun {
  candidate: SideRun;
  baseline: SideRun;
  blockMs: number;
  /** The order the blocks ran in, e.g. "ABBAABBA" (A = candidate). */
  order: string;
}

/** Longest block: long enough that a block's first second (new connections) weighs little. */
export const AB_BLOCK_MAX_MS = 5000;
/** Fewest blocks per side, so that drift has several chances to fall on each side. */
export const AB_MIN_BLOCKS_PER_SIDE = 4;

/**
 * Adds a block's interval to its side's windows; the block's last, partial interval (the few
 * milliseconds of draining after its schedule ended) joins the one before it, so that every
 * window is about a second and a block of N seconds gives N windows.
 */
function foldInto(windows: IntervalSample[], s: IntervalSample, blockStart: number): void {
  const prev = windows.at(-1);
  if (prev && windows.length > blockStart && s.endMs - s.startMs < 500) {
    const merged = mergeEncoded([prev.latencyUs, s.latencyUs]);
    // Buckets too: the statistics read them instead of the encoded histogram.
    windows[windows.length - 1] = {
      startMs: prev.startMs,
      endMs: s.endMs,
      latencyUs: encodeHistogram(merged),
      maxUs: merged.maxValue,
      buckets: bucketsOf(merged),
    };
  } else windows.push(s);
}

/** Block length for `durationMs` per side: 5 s, shorter (whole seconds, at least 1) to give each side 4 blocks. */
export function abBlockMs(durationMs: number): number {
  const perBlock = Math.floor(durationMs / AB_MIN_BLOCKS_PER_SIDE / 1000) * 1000;
  return Math.min(AB_BLOCK_MAX_MS, Math.max(1000, perBlock));
}

/** Which side block `i` belongs to: A B B A, repeated (each pair of blocks swaps who goes first). */
export function sideOfBlock(i: number): Side {
  return i % 4 === 0 || i % 4 === 3 ? 'candidate' : 'baseline';
}

/**
 * Runs `opts` (an open or closed loop, not a ramp) against `opts.url` as the candidate and
 * `baselineUrl` as the baseline, `opts.durationMs` per side. Each side's first block runs the
 * warmup first. `hooks.onInterval` sees only the candidate's windows (an HDR log is the candidate's).
 */
export async function runAB(opts: BenchOptions, baselineUrl: string, hooks: BenchHooks = {}): Promise<ABRun> {
  const blockMs = abBlockMs(opts.durationMs);
  const runs: Record<Side, RunResult[]> = { candidate: [], baseline: [] };
  const windows: Record<Side, IntervalSample[]> = { candidate: [], baseline: [] };
  const left: Record<Side, number> = { candidate: opts.durationMs, baseline: opts.durationMs };
  let order = '';
  for (let i = 0; left.candidate > 0 || left.baseline > 0; i++) {
    if (hooks.signal?.aborted) break;
    let side = sideOfBlock(i);
    if (left[side] <= 0) side = side === 'candidate' ? 'baseline' : 'candidate';
    const durationMs = Math.min(blockMs, left[side]);
    left[side] -= durationMs;
    order += side === 'candidate' ? 'A' : 'B';
    const first = windows[side].length;
    const result = await runBench(
      {
        ...opts,
        url: side === 'candidate' ? opts.url : baselineUrl,
        durationMs,
        warmupMs: runs[side].length === 0 ? opts.warmupMs : 0,
        ramp: undefined,
      },
      {
        ...hooks,
        onInterval: (s) => {
          if (side === 'candidate') hooks.onInterval?.(s);
          foldInto(windows[side], s, first);
        },
      },
    );
    runs[side].push(result);
    if (result.interrupted) break;
  }
  const sideRun = (side: Side): SideRun => ({ result: mergeRuns(runs[side]), windows: windows[side] });
  // Stopped before the baseline's first block: nothing to compare, and the run exits as interrupted.
  if (runs.baseline.length === 0)
    throw new UserError('interrupted before the baseline (--against) was measured: no comparison', {
      exitCode: ExitCode.Interrupted,
    });
  return { candidate: sideRun('candidate'), baseline: sideRun('baseline'), blockMs, order };
}
