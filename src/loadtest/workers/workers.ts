// Several worker threads sending one phase together (loadtest): each takes every N-th arrival of
// the shared schedule and a share of the connections; their ticks and histograms are merged here.
import { Worker } from 'node:worker_threads';
import { encodeHistogram, mergeEncoded } from '../histogram.js';
import { Recorder } from '../recorder.js';
import type { PhaseInput, PhaseOutput, PhaseTick } from '../phase.js';
import type { IntervalSample, ProgressSnapshot } from '../types.js';
import { epochClock, type FromWorker, type ToWorker, type WorkerJob } from './protocol.js';

/** `total` split into `count` near-equal whole parts (at least 1 each). */
export function splitEvenly(total: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.max(1, Math.floor(total / count) + (i < total % count ? 1 : 0)));
}

/** Merges the i-th tick of every worker into one progress snapshot and, if they carry them, one sample. */
export function mergeTicks(ticks: PhaseTick[]): PhaseTick {
  const sum = (f: (p: ProgressSnapshot) => number) => ticks.reduce((n, t) => n + f(t.progress), 0);
  const first = ticks[0]!.progress;
  return {
    sample: mergeSamples(ticks.map((t) => t.sample)),
    progress: {
      ...first,
      elapsedMs: Math.max(...ticks.map((t) => t.progress.elapsedMs)),
      currentPerSec: sum((p) => p.currentPerSec),
      errors: sum((p) => p.errors),
      inFlight: sum((p) => p.inFlight),
      backlog: sum((p) => p.backlog),
      sentLate: sum((p) => p.sentLate),
      // The exact p99 needs the whole histogram; the worst worker's is a close, safe stand-in.
      p99MsSoFar: Math.max(...ticks.map((t) => t.progress.p99MsSoFar)),
    },
  };
}

/** One sample of several workers' samples of the same interval; undefined when any is missing. */
function mergeSamples(samples: Array<IntervalSample | undefined>): IntervalSample | undefined {
  if (samples.some((s) => s === undefined)) return undefined;
  const all = samples as IntervalSample[];
  const merged = mergeEncoded(all.map((s) => s.latencyUs));
  return {
    startMs: Math.min(...all.map((s) => s.startMs)),
    endMs: Math.max(...all.map((s) => s.endMs)),
    latencyUs: encodeHistogram(merged),
    maxUs: merged.maxValue,
  };
}

/** Runs one phase over `count` worker threads and returns the merged result. */
export async function runPhaseInWorkers(
  base: Omit<WorkerJob, 'share' | 'connections'>,
  connections: number,
  count: number,
  input: PhaseInput,
): Promise<PhaseOutput> {
  const shares = splitEvenly(connections, count);
  const workers = shares.map(
    (c, index) =>
      new Worker(new URL('./worker.js', import.meta.url), {
        // Every worker gets the whole rate: it walks the whole schedule and keeps its share of it.
        workerData: { ...base, connections: c, share: { index, count } } satisfies WorkerJob,
      }),
  );
  const pending = new Map<number, PhaseTick[]>();
  const emit = (seq: number) => {
    const ticks = pending.get(seq);
    pending.delete(seq);
    if (ticks && ticks.length > 0) input.onTick?.(mergeTicks(ticks));
  };
  const send = (m: ToWorker) => workers.forEach((w) => w.postMessage(m));
  const onAbort = () => send({ type: 'abort' });
  try {
    const parts = await new Promise<Array<Extract<FromWorker, { type: 'done' }>>>((resolve, reject) => {
      let ready = 0;
      const done: Array<Extract<FromWorker, { type: 'done' }>> = [];
      workers.forEach((w) => {
        w.on('error', reject);
        w.on('message', (m: FromWorker) => {
          if (m.type === 'ready' && ++ready === count) {
            // Start a little ahead so every worker is waiting when the instant comes.
            send({ type: 'start', startEpochMs: epochClock.nowMs() + 20 });
            input.signal?.addEventListener('abort', onAbort, { once: true });
            if (input.signal?.aborted) onAbort();
          } else if (m.type === 'tick') {
            const list = pending.get(m.seq) ?? [];
            list.push({ sample: m.sample, progress: m.progress });
            pending.set(m.seq, list);
            if (list.length === count) emit(m.seq);
          } else if (m.type === 'failed') reject(new Error(`load worker failed: ${m.error}`));
          else if (m.type === 'done' && done.push(m) === count) resolve(done);
        });
      });
    });
    for (const seq of [...pending.keys()].sort((a, b) => a - b)) emit(seq);
    const startMs = Math.min(...parts.map((p) => p.startMs));
    const recorder = new Recorder(startMs, base.lateThresholdMs);
    for (const p of parts) recorder.absorb(p.part);
    return {
      recorder,
      startMs,
      endMs: Math.max(...parts.map((p) => p.endMs)),
      interrupted: parts.some((p) => p.interrupted),
    };
  } finally {
    input.signal?.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
