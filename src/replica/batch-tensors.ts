// The batch's tensors (data plane, replica): each job's rows copied into the batch buffers (the
// batcher's own, or a worker session's shared-memory slot), the buffers taken back after the run,
// and each job's own rows cut out of the batch's outputs.
import type { Job } from './batch-job.js';
import type { ServedModel } from './served-model.js';
import type { FeedTensor, SessionTensor } from './session.js';
import type { TensorData } from './tensor.js';

/**
 * The session feeds for `jobs` (`rows` in all): every input copied into its batch buffer, lent for
 * the run when `lend` (the batcher's own buffers; not a session's shared arrays, which stay put).
 */
export function batchFeeds(
  model: ServedModel,
  buffers: TensorData[],
  jobs: Job[],
  rows: number,
  lend = true,
): Record<string, FeedTensor> {
  const feeds: Record<string, FeedTensor> = {};
  for (const t of model.inputs) {
    // Always copy into the batch buffer, even for a lone request: a request's array may view a
    // larger pooled buffer, which must not be lent to (or cloned whole into) a worker.
    const buf = buffers[t.index]!;
    let offset = 0;
    for (const job of jobs) {
      const src = job.request.inputs[t.index]!;
      (buf as Float32Array).set(src as Float32Array, offset);
      offset += src.length;
    }
    feeds[t.name] = { type: t.dt.ortType, data: buf.subarray(0, offset), dims: [rows, ...t.rowShape], lend };
  }
  return feeds;
}

/** Takes back into `buffers` the batch buffers a session may have swapped during the run. */
export function reclaimBuffers(
  model: ServedModel,
  buffers: TensorData[],
  bufferRows: number,
  feeds: Record<string, FeedTensor>,
): void {
  for (const t of model.inputs) {
    const f = feeds[t.name]!;
    const n = bufferRows * t.rowElements;
    // A buffer lost with a crashed worker comes back detached (length 0), and one lent before a
    // setPolicy grew the batch is too small: start a new one.
    buffers[t.index] =
      f.data.buffer.byteLength >= n * t.dt.bytesPerElement ? new t.dt.ctor(f.data.buffer, 0, n) : new t.dt.ctor(n);
  }
}

/**
 * Answers each of `jobs` with its own rows of every model output of the batch: views, not copies.
 * A worker session's outputs live in a ring slot held until the event loop's next turn or the next
 * run's end, and each job's answer is encoded inside `done` (synchronously), so the views are read
 * before the slot can carry another batch.
 */
export function deliver(
  model: ServedModel,
  jobs: Job[],
  rows: number,
  outputs: Record<string, SessionTensor>,
  startMs: number,
  inferMs: number,
): void {
  let row = 0;
  for (const job of jobs) {
    const r = job.request.rows;
    const mine = model.outputs.map((t) => {
      const out = outputs[t.name]!;
      const perRow = out.data.length / rows;
      return { data: out.data.subarray(row * perRow, (row + r) * perRow), dims: [r, ...out.dims.slice(1)] };
    });
    row += r;
    job.done({ ok: true, outputs: mine, queueMs: startMs - job.enqueuedMs, inferMs, batchRows: rows });
  }
}
