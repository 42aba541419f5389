// Measures how long the replica's session takes per batch size (data plane helper, no HTTP): the
// model opened as a replica opens it (same session options, main thread), zero-filled batches of
// each size warmed and timed. `serve autoscale simulate` uses it as the replicas' service time.
import { resolveModel } from '../model/registry.js';
import type { DeviceRequest } from '../common/settings/table.js';
import { compileModel } from './served-model.js';
import { openSession, type FeedTensor } from './session.js';

export interface BatchTiming {
  batch: number;
  /** Median run time of one batch, ms. */
  medianMs: number;
  runs: number;
}

/**
 * Times batches of each size in `batches` for about `msPerBatch` each (at most 2,000 runs), after
 * three warm-up runs. Resolves the model as the replica does (NAME@VERSION in `registry`).
 */
export async function measureBatchTimes(o: {
  registry: string;
  model: string;
  device: DeviceRequest;
  threads: number;
  batches: readonly number[];
  msPerBatch: number;
}): Promise<{ timings: BatchTiming[]; device: string; model: string }> {
  const resolved = await resolveModel(o.registry, o.model);
  const model = compileModel(resolved.spec);
  const session = await openSession(resolved.onnxPath, { device: o.device, intraOpThreads: o.threads });
  try {
    const timings: BatchTiming[] = [];
    for (const rows of o.batches) {
      const feeds: Record<string, FeedTensor> = {};
      for (const t of model.inputs)
        feeds[t.name] = { type: t.dt.ortType, data: new t.dt.ctor(rows * t.rowElements), dims: [rows, ...t.rowShape] };
      for (let i = 0; i < 3; i++) await session.run(feeds);
      const times: number[] = [];
      const start = performance.now();
      while (performance.now() - start < o.msPerBatch && times.length < 2000) {
        const t0 = performance.now();
        await session.run(feeds);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      timings.push({ batch: rows, medianMs: times[Math.floor(times.length / 2)]!, runs: times.length });
    }
    return { timings, device: session.device, model: `${model.name}@${model.version}` };
  } finally {
    await session.release();
  }
}
