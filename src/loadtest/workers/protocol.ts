// What the load-test worker threads and their parent say to each other (loadtest), and the clock
// they share: wall-clock milliseconds, since each thread's performance.now has its own origin.
import { systemClock, type Clock } from '../../common/clock.js';
import type { TensorMeta } from '../oip.js';
import type { RecorderPart } from '../recorder.js';
import type { ArrivalKind, IntervalSample, ProgressSnapshot } from '../types.js';

/** performance.now on the common time line of every thread (ms since the epoch, fractional). */
export const epochClock: Clock = { ...systemClock, nowMs: () => performance.timeOrigin + performance.now() };

/** Everything one worker needs for its share of one phase. */
export interface WorkerJob {
  url: string;
  modelPath: string;
  timeoutMs: number;
  expectOutputs?: TensorMeta[];
  payloads: Array<{ body: Uint8Array; headers: Record<string, string> }>;
  mode: 'open' | 'closed';
  /** This worker's connections (open loop) or loops (closed loop). */
  connections: number;
  ratePerSec: number;
  arrival: ArrivalKind;
  seed: number;
  durationMs: number;
  lateThresholdMs: number;
  intervalMs: number;
  phase: ProgressSnapshot['phase'];
  step?: ProgressSnapshot['step'];
  share: { index: number; count: number };
  /** Whether to post a tick each interval (someone shows progress or logs intervals). */
  ticks: boolean;
  /** Whether ticks carry the interval's encoded histogram (an HDR log is written). */
  intervalSamples: boolean;
  /** Bearer token and trusted CA of the run (see BenchOptions). */
  token?: string;
  ca?: string;
}

export type ToWorker = { type: 'start'; startEpochMs: number } | { type: 'abort' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'tick'; seq: number; sample?: IntervalSample; progress: ProgressSnapshot }
  | { type: 'done'; part: RecorderPart; startMs: number; endMs: number; interrupted: boolean }
  | { type: 'failed'; error: string };
