// Graph optimization by ONNX Runtime itself (model plane): a session at the chosen level writes the
// graph it will run to a file (the session option optimizedModelFilePath), contrib operators included.
import * as ort from 'onnxruntime-node';
import { UserError, errorMessage } from '../../common/errors.js';

/** ONNX Runtime's graph optimization levels that `serve model optimize` offers. */
export const OPTIMIZE_LEVELS = ['basic', 'extended', 'all'] as const;
export type OptimizeLevel = (typeof OPTIMIZE_LEVELS)[number];

/**
 * The default level. "all" adds layout transformations (NCHWc) that ONNX Runtime itself warns are
 * tied to the CPU that ran them, and replicas may run on other hosts; every replica re-applies
 * the "all" level to what it loads anyway.
 */
export const DEFAULT_OPTIMIZE_LEVEL: OptimizeLevel = 'extended';

/** The version of ONNX Runtime that writes optimized graphs. */
export function onnxRuntimeVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

/**
 * Loads `source` (a file path or model bytes) at `level` and has ONNX Runtime write the optimized
 * graph to `outPath`. `label` names the source in the one-line error when ONNX Runtime refuses it.
 */
export async function saveOptimizedGraph(
  source: string | Uint8Array,
  outPath: string,
  level: OptimizeLevel,
  label: string,
): Promise<void> {
  let session: ort.InferenceSession;
  try {
    const options: ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: level,
      optimizedModelFilePath: outPath,
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionProviders: ['cpu'],
      // Errors only: the "hardware specific" warning for level all is explained by the CLI instead.
      logSeverityLevel: 3,
    };
    session =
      typeof source === 'string'
        ? await ort.InferenceSession.create(source, options)
        : await ort.InferenceSession.create(source, options);
  } catch (err) {
    const reason = errorMessage(err).split('\n')[0]!.replace(/\s+/g, ' ').slice(0, 300);
    throw new UserError(`ONNX Runtime cannot load ${label} (${reason}); check it with "serve model inspect"`);
  }
  await session.release();
}
