// The ONNX Runtime session behind a replica (data plane, replica): device choice with a CPU
// fallback, thread settings and warm-up. The only file of the replica that imports onnxruntime-node.
import * as ort from 'onnxruntime-node';
import { errorMessage } from '../common/errors.js';
import type { DeviceRequest } from '../common/settings/table.js';
import type { SessionSignature } from '../model/verify.js';
import type { TensorData } from './tensor.js';

export type { DeviceRequest };

/** A tensor handed to or returned by the session. */
export interface SessionTensor {
  data: TensorData;
  dims: readonly number[];
}

/**
 * One input of a run. With `lend`, a session in another thread may take the array's whole buffer
 * for the run (no copy) and puts the buffer back into `data` (a view of it) before `run` settles;
 * the caller must then use `data.buffer` again, as the old one may be detached.
 */
export interface FeedTensor {
  type: string;
  data: TensorData;
  dims: readonly number[];
  lend?: boolean;
}

/** A loaded session. `run` takes tensors by input name and returns tensors by output name. */
export interface ModelSession {
  /** The device actually used. */
  readonly device: 'cpu' | 'cuda';
  /** Set when the requested device could not be used (a one-line reason). */
  readonly fallbackReason: string | undefined;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Names, types and shapes as ONNX Runtime reads them from the file (for checking model.yaml). */
  readonly signature: SessionSignature;
  /**
   * True when `run` computes off the main thread (a worker session): the event loop keeps serving
   * while a batch runs, so the next batch may be formed the moment a run settles.
   */
  readonly offThread?: boolean;
  /**
   * Outputs may view memory the session reuses for a later run (a worker session's ring): they
   * stay valid until the event loop's next turn or another run settles, so read or copy them
   * before awaiting anything else.
   */
  run(feeds: Record<string, FeedTensor>): Promise<Record<string, SessionTensor>>;
  /**
   * Optional (a worker session's ring): arrays, by input name, with room for `rows` rows each, in
   * memory the worker reads directly; feeds that are prefixes of them reach it without another
   * copy. Undefined when none is free (the caller then uses arrays of its own).
   */
  feedBuffers?(rows: number): Record<string, TensorData> | undefined;
  release(): Promise<void>;
}

/** How to open a session. */
export interface SessionOptions {
  device: DeviceRequest;
  /** ONNX Runtime intra-op threads (1 keeps one replica on one core). */
  intraOpThreads: number;
}

/**
 * Opens `onnxPath`. `auto` uses CUDA where its provider loads and falls back to the CPU, saying why
 * (`fallbackReason`); `cuda` fails with the reason instead, so a GPU replica never runs on the CPU unseen.
 */
export async function openSession(onnxPath: string, opts: SessionOptions): Promise<ModelSession> {
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: opts.intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  let fallbackReason: string | undefined;
  if (opts.device !== 'cpu') {
    const cudaListed = ort.listSupportedBackends().some((b) => b.name === 'cuda');
    if (cudaListed) {
      // ORT prints a raw (non-JSON) error line when the CUDA library is missing; the fallback
      // below reports it as one JSON log line instead.
      ort.env.logLevel = 'fatal';
      try {
        const s = await ort.InferenceSession.create(onnxPath, {
          ...base,
          executionProviders: ['cuda'],
          logSeverityLevel: 4,
        });
        return wrap(s, 'cuda', undefined);
      } catch (err) {
        fallbackReason = `CUDA execution provider could not be loaded (${firstLine(errorMessage(err))})`;
      }
    } else fallbackReason = 'this onnxruntime-node build has no CUDA execution provider';
    if (opts.device === 'cuda') {
      throw new Error(
        `device cuda: ${fallbackReason}; install the CUDA build of onnxruntime-node ` +
          `(docs/guide/hosts.md, "GPU hosts") or use device auto or cpu`,
      );
    }
  }
  const s = await ort.InferenceSession.create(onnxPath, { ...base, executionProviders: ['cpu'] });
  return wrap(s, 'cpu', fallbackReason);
}

function wrap(s: ort.InferenceSession, device: 'cpu' | 'cuda', fallbackReason: string | undefined): ModelSession {
  return {
    device,
    fallbackReason,
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    signature: s,
    async run(feeds) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const name in feeds) {
        const f = feeds[name]!;
        ortFeeds[name] = new ort.Tensor(f.type as 'float32', f.data as Float32Array, f.dims);
      }
      const out = await s.run(ortFeeds);
      const result: Record<string, SessionTensor> = {};
      for (const name in out) result[name] = { data: out[name]!.data as TensorData, dims: out[name]!.dims };
      return result;
    },
    release: () => s.release(),
  };
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
