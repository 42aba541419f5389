// What the batcher is given and answers (data plane, replica): a validated request waiting for a
// batch, the result it gets back (its own rows of every output, or an error), and metric hooks.
import type { QueuedItem } from '../common/batching/batch-queue.js';
import type { HttpError } from './http-error.js';
import type { InferRequest } from './infer-request.js';
import type { SessionTensor } from './session.js';

/** What a request gets back: its own rows of every model output, in model output order. */
export type JobResult =
  | { ok: true; outputs: SessionTensor[]; queueMs: number; inferMs: number; batchRows: number }
  | { ok: false; error: HttpError };

/** A validated request waiting for (or in) a batch. `done` is called exactly once. */
export interface Job extends QueuedItem {
  request: InferRequest;
  /** The gateway's in-flight count to this replica when it sent the request, if it said. */
  gatewayInflight?: number;
  done(result: JobResult): void;
}

/** Observers for metrics; all optional. */
export interface BatcherHooks {
  onQueueDepth?(requests: number): void;
  onBatch?(rows: number, inferMs: number): void;
}
