// Worker thread entry (loadtest): sends its share of one phase's schedule with its own client and
// event loop, posting interval ticks and, at the end, its counts and histograms.
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../../common/errors.js';
import { InferClient } from '../client.js';
import { runClosedPhase } from '../driver-closed.js';
import { runOpenPhase } from '../driver-open.js';
import type { Payload } from '../payload.js';
import type { PhaseInput } from '../phase.js';
import { epochClock, type FromWorker, type ToWorker, type WorkerJob } from './protocol.js';

const job = workerData as WorkerJob;
const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);
const payloads: Payload[] = job.payloads.map((p) => ({
  body: Buffer.from(p.body.buffer, p.body.byteOffset, p.body.byteLength),
  headers: p.headers,
}));
const client = new InferClient(job.url, job.modelPath, {
  connections: job.connections,
  timeoutMs: job.timeoutMs,
  expectOutputs: job.expectOutputs,
  token: job.token,
  ca: job.ca,
});
const controller = new AbortController();
let seq = 0;

async function run(startEpochMs: number): Promise<void> {
  const input: PhaseInput = {
    clock: epochClock,
    send: (p) => client.send(p),
    payloads,
    durationMs: job.durationMs,
    timeoutMs: job.timeoutMs,
    lateThresholdMs: job.lateThresholdMs,
    phase: job.phase,
    intervalMs: job.intervalMs,
    signal: controller.signal,
    step: job.step,
    startMs: startEpochMs,
    intervalSamples: job.intervalSamples,
    onTick: job.ticks ? ({ sample, progress }) => post({ type: 'tick', seq: seq++, sample, progress }) : undefined,
  };
  const out =
    job.mode === 'closed'
      ? await runClosedPhase({ ...input, concurrency: job.connections })
      : await runOpenPhase({
          ...input,
          ratePerSec: job.ratePerSec,
          arrival: job.arrival,
          seed: job.seed,
          connections: job.connections,
          share: job.share,
        });
  post({
    type: 'done',
    part: out.recorder.export(),
    startMs: out.startMs,
    endMs: out.endMs,
    interrupted: out.interrupted,
  });
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'abort') return controller.abort();
  // Everyone starts on the same instant, so the shares interleave as one schedule.
  setTimeout(
    () => {
      run(m.startEpochMs)
        .catch((err) => post({ type: 'failed', error: errorMessage(err) }))
        .finally(() => void client.close().then(() => port.close()));
    },
    Math.max(0, m.startEpochMs - epochClock.nowMs()),
  );
});
post({ type: 'ready' });
