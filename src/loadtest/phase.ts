// What both drivers share (loadtest): the inputs of one timed phase and the ticking that turns a
// running Recorder into progress snapshots and HDR log intervals once a second.
import type { Clock } from '../common/clock.js';
import type { Outcome } from './recorder.js';
import { Recorder } from './recorder.js';
import type { Payload } from './payload.js';
import type { IntervalSample, ProgressSnapshot } from './types.js';

/** Sends one payload and resolves with its outcome; never rejects. */
export type Sender = (payload: Payload) => Promise<Outcome>;

/** One timed phase (warmup, a run, or one ramp step). */
export interface PhaseInput {
  clock: Clock;
  send: Sender;
  payloads: readonly Payload[];
  durationMs: number;
  timeoutMs: number;
  lateThresholdMs: number;
  phase: ProgressSnapshot['phase'];
  /** Called once per interval while the phase runs; `sample` only with `intervalSamples`. */
  onTick?: (tick: PhaseTick) => void;
  /** Whether ticks carry the interval's encoded latency histogram (only an HDR log needs it). */
  intervalSamples?: boolean;
  intervalMs: number;
  signal?: AbortSignal;
  step?: ProgressSnapshot['step'];
  /** Clock time the phase starts (default: now); workers share one start time. */
  startMs?: number;
}

/** One interval's progress and, when asked for, its latency histogram. */
export interface PhaseTick {
  sample?: IntervalSample;
  progress: ProgressSnapshot;
}

/** What a phase measured: the recorder and when the last answer came. */
export interface PhaseOutput {
  recorder: Recorder;
  startMs: number;
  /** Time of the last response (or the schedule end if later). */
  endMs: number;
  interrupted: boolean;
}

/** Starts the once-per-interval tick; returns a function that stops it. */
export function startTicker(
  input: PhaseInput,
  recorder: Recorder,
  live: () => { inFlight: number; backlog: number; requestedPerSec: number | null },
): () => void {
  if (!input.onTick) return () => {};
  const tick = () => {
    const now = input.clock.nowMs();
    const { sample, okPerSec } = recorder.rollInterval(now);
    const l = live();
    input.onTick!({
      sample,
      progress: {
        phase: input.phase,
        elapsedMs: now - recorder.startMs,
        totalMs: input.durationMs,
        requestedPerSec: l.requestedPerSec,
        currentPerSec: okPerSec,
        p99MsSoFar: recorder.p99MsSoFar(),
        errors: recorder.counts.errors,
        inFlight: l.inFlight,
        backlog: l.backlog,
        sentLate: recorder.counts.sentLate,
        step: input.step,
      },
    });
  };
  const timer = setInterval(tick, input.intervalMs);
  timer.unref();
  // The last, partial interval is reported too, so the intervals add up to the whole phase.
  return () => {
    clearInterval(timer);
    tick();
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
