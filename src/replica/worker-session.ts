// The main-thread side of a session that runs in a worker thread (data plane, replica): the same
// ModelSession interface as session.ts. Batches go through a shared-memory ring (session/ring-host.ts)
// when the signature fixes every row size; otherwise, or when every slot is busy, a run is a message
// round trip (inputs lent and transferred back, outputs copied by structured clone).
import { Worker } from 'node:worker_threads';
import { RingHost } from './session/ring-host.js';
import { ringLayout } from './session/ring.js';
import type { FromWorker, ToWorker } from './session-worker.js';
import type { FeedTensor, ModelSession, SessionOptions, SessionTensor } from './session.js';

/**
 * Opens `onnxPath` in a new worker thread; rejects with the worker's one-line error if it cannot.
 * `onCrash` is called if the worker dies after it was ready (every later run then fails).
 */
export function openWorkerSession(
  onnxPath: string,
  options: SessionOptions,
  onCrash?: (err: Error) => void,
  /** `ring: false` sends every batch by message (for comparisons); `entry` may wrap session-worker.js (tests). */
  how: { ring?: boolean; entry?: URL } = {},
): Promise<ModelSession> {
  const worker = new Worker(how.entry ?? new URL('./session-worker.js', import.meta.url), {
    workerData: { onnxPath, options },
    // The worker only clones one batch at a time: a small young generation keeps its RSS low.
    resourceLimits: { maxYoungGenerationSizeMb: 4 },
  });
  const link = new WorkerLink(worker, how.ring !== false);
  return new Promise((resolve, reject) => {
    worker.once('error', (err) => {
      reject(err);
      link.failAll(new Error(`session worker crashed: ${err.message}`));
    });
    worker.once('exit', (code) => {
      link.exited = true;
      reject(new Error(`session worker exited with code ${code} while loading`));
      const err = new Error(`session worker exited with code ${code}`);
      link.failAll(err);
      if (link.ready && !link.released) onCrash?.(err);
    });
    worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'result' || msg.type === 'run-failed') {
        link.settle(msg);
      } else if (msg.type === 'failed') {
        reject(new Error(msg.message));
        void worker.terminate();
      } else {
        link.ready = true;
        resolve(link.session(msg));
      }
    });
  });
}

/** A run sent to the worker and not answered yet. */
interface PendingRun {
  feeds: Record<string, FeedTensor>;
  resolve(o: Record<string, SessionTensor>): void;
  reject(e: Error): void;
}

/** The main thread's end of one session worker: runs in flight, matched to answers by id. */
class WorkerLink {
  private readonly pending = new Map<number, PendingRun>();
  private nextId = 1;
  private dead: Error | undefined;
  /** The shared-memory ring, once the worker is ready (none when some row size is not fixed). */
  private ring: RingHost | undefined;
  /** The worker said it loaded the model. */
  ready = false;
  /** `release` was called: the worker's exit is expected. */
  released = false;
  /** The worker thread has ended (released, or crashed). */
  exited = false;

  constructor(
    private readonly worker: Worker,
    private readonly useRing: boolean,
  ) {}

  /** Fails every run in flight, and every later one, with `err` (the first error kept). */
  failAll(err: Error): void {
    this.dead ??= err;
    this.ring?.failAll(this.dead);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Settles the run an answer is for, giving its lent input buffers back to the feeds. */
  settle(msg: Extract<FromWorker, { type: 'result' | 'run-failed' }>): void {
    const p = this.pending.get(msg.id);
    this.pending.delete(msg.id);
    if (p) for (const name in msg.lent) p.feeds[name]!.data = msg.lent[name]!;
    if (msg.type === 'result') p?.resolve(msg.outputs);
    else p?.reject(new Error(msg.message));
  }

  /** The ModelSession the worker's ready message describes. */
  session(msg: Extract<FromWorker, { type: 'ready' }>): ModelSession {
    const layout = this.useRing ? ringLayout(msg.signature) : undefined;
    if (layout)
      this.ring = new RingHost(layout, (setup) => this.worker.postMessage({ type: 'ring', setup } satisfies ToWorker));
    return {
      device: msg.device,
      fallbackReason: msg.fallbackReason,
      inputNames: msg.signature.inputNames,
      outputNames: msg.signature.outputNames,
      signature: msg.signature,
      offThread: true,
      run: (feeds) => this.run(feeds),
      feedBuffers: (rows) => this.ring?.stage(rows),
      release: () => this.release(),
    };
  }

  private run(feeds: Record<string, FeedTensor>): Promise<Record<string, SessionTensor>> {
    if (this.dead) return Promise.reject(this.dead);
    const viaRing = this.ring?.run(feeds);
    if (viaRing) return viaRing;
    const id = this.nextId++;
    const transfer: ArrayBuffer[] = [];
    for (const name in feeds) if (feeds[name]!.lend) transfer.push(feeds[name]!.data.buffer as ArrayBuffer);
    return new Promise((res, rej) => {
      this.pending.set(id, { feeds, resolve: res, reject: rej });
      this.worker.postMessage({ type: 'run', id, feeds } satisfies ToWorker, transfer);
    });
  }

  private async release(): Promise<void> {
    const worker = this.worker;
    this.released = true;
    this.failAll(new Error('session released'));
    // A crashed worker has nothing left to end (its 'exit' came already).
    if (this.exited) return;
    worker.postMessage({ type: 'release' } satisfies ToWorker);
    const exited = new Promise((r) => worker.once('exit', r));
    const timer = setTimeout(() => void worker.terminate(), 2000);
    await exited;
    clearTimeout(timer);
  }
}
