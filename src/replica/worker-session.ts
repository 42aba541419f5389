// The main-thread side of a session that runs in a worker thread (data plane, replica): the same
// ModelSession interface as session.ts, with each run a message round trip. Tensors are copied by
// structured clone (one batch at a time, so the copy is small next to the model run).
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './session-worker.js';
import type { FeedTensor, ModelSession, SessionOptions, SessionTensor } from './session.js';

/**
 * Opens `onnxPath` in a new worker thread; rejects with the worker's one-line error if it cannot.
 * `onCrash` is called if the worker dies after it was ready (every later run then fails).
 */
export function openWorkerSession(onnxPath: string, options: SessionOptions, onCrash?: (err: Error) => void): Promise<ModelSession> {
  const worker = new Worker(new URL('./session-worker.js', import.meta.url), {
    workerData: { onnxPath, options },
    // The worker only clones one batch at a time: a small young generation keeps its RSS low.
    resourceLimits: { maxYoungGenerationSizeMb: 4 },
  });
  const pending = new Map<number, { feeds: Record<string, FeedTensor>; resolve(o: Record<string, SessionTensor>): void; reject(e: Error): void }>();
  let nextId = 1;
  let dead: Error | undefined;
  let ready = false;
  let released = false;
  const failAll = (err: Error) => {
    dead ??= err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  return new Promise((resolve, reject) => {
    worker.once('error', (err) => {
      reject(err);
      failAll(new Error(`session worker crashed: ${err.message}`));
    });
    worker.once('exit', (code) => {
      reject(new Error(`session worker exited with code ${code} while loading`));
      const err = new Error(`session worker exited with code ${code}`);
      failAll(err);
      if (ready && !released) onCrash?.(err);
    });
    worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'result' || msg.type === 'run-failed') {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (p) for (const name in msg.lent) p.feeds[name]!.data = msg.lent[name]!;
        if (msg.type === 'result') p?.resolve(msg.outputs);
        else p?.reject(new Error(msg.message));
      } else if (msg.type === 'failed') {
        reject(new Error(msg.message));
        void worker.terminate();
      } else {
        ready = true;
        resolve({
          device: msg.device,
          fallbackReason: msg.fallbackReason,
          inputNames: msg.signature.inputNames,
          outputNames: msg.signature.outputNames,
          signature: msg.signature,
          offThread: true,
          run(feeds) {
            if (dead) return Promise.reject(dead);
            const id = nextId++;
            const transfer: ArrayBuffer[] = [];
            for (const name in feeds) if (feeds[name]!.lend) transfer.push(feeds[name]!.data.buffer as ArrayBuffer);
            return new Promise((res, rej) => {
              pending.set(id, { feeds, resolve: res, reject: rej });
              worker.postMessage({ type: 'run', id, feeds } satisfies ToWorker, transfer);
            });
          },
          async release() {
            released = true;
            failAll(new Error('session released'));
            worker.postMessage({ type: 'release' } satisfies ToWorker);
            const exited = new Promise((r) => worker.once('exit', r));
            const timer = setTimeout(() => void worker.terminate(), 2000);
            await exited;
            clearTimeout(timer);
          },
        });
      }
    });
  });
}
