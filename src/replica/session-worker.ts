// Worker-thread entry that owns a replica's ONNX Runtime session (data plane, replica). Running
// the session here keeps the main thread free to parse and answer HTTP while a batch computes.
// Protocol: see worker-session.ts (the main-thread side) and session/ring-worker.ts (batches in shared memory).
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../common/errors.js';
import { openSession, type ModelSession, type SessionOptions } from './session.js';
import type { TensorData } from './tensor.js';
import { serveRing, type RingSetup } from './session/ring-worker.js';

/** Messages the worker receives. */
export type ToWorker =
  | { type: 'run'; id: number; feeds: Parameters<ModelSession['run']>[0] }
  | { type: 'ring'; setup: RingSetup }
  | { type: 'release' };

/** Messages the worker sends. */
export type FromWorker =
  | { type: 'ready'; device: 'cpu' | 'cuda'; fallbackReason: string | undefined; signature: ModelSession['signature'] }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; outputs: Awaited<ReturnType<ModelSession['run']>>; lent: Record<string, TensorData> }
  | { type: 'run-failed'; id: number; message: string; lent: Record<string, TensorData> };

const port = parentPort!;
const { onnxPath, options } = workerData as { onnxPath: string; options: SessionOptions };
const post = (m: FromWorker) => port.postMessage(m);

try {
  const session = await openSession(onnxPath, options);
  const sig = session.signature;
  const signature = {
    inputNames: [...sig.inputNames],
    outputNames: [...sig.outputNames],
    inputMetadata: structuredClone([...sig.inputMetadata]),
    outputMetadata: structuredClone([...sig.outputMetadata]),
  };
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'release') {
      void session.release().finally(() => port.close());
      return;
    }
    if (msg.type === 'ring') {
      void serveRing(session, msg.setup);
      return;
    }
    // Lent input buffers go back to the main thread with the answer, transferred, not copied.
    const lent: Record<string, TensorData> = {};
    const transfer: ArrayBuffer[] = [];
    for (const name in msg.feeds) {
      const f = msg.feeds[name]!;
      if (f.lend) {
        lent[name] = f.data;
        transfer.push(f.data.buffer as ArrayBuffer);
      }
    }
    session.run(msg.feeds).then(
      (outputs) => port.postMessage({ type: 'result', id: msg.id, outputs, lent } satisfies FromWorker, transfer),
      (err: unknown) =>
        port.postMessage(
          { type: 'run-failed', id: msg.id, message: errorMessage(err), lent } satisfies FromWorker,
          transfer,
        ),
    );
  });
  post({ type: 'ready', device: session.device, fallbackReason: session.fallbackReason, signature });
} catch (err) {
  post({ type: 'failed', message: errorMessage(err) });
}
