// Builds and writes the bundled demo CNN+LSTM into a registry (model plane). Same options, same
// bytes: `serve model demo` can run any number of times and leaves an identical model behind.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { replaceFile } from '../common/atomic-write.js';
import { UserError } from '../common/errors.js';
import { DEMO_INPUT, DEMO_OUTPUT, encodeDemoGraph } from './demo-graph.js';
import {
  DEMO_CLASSES,
  generateDemoWeights,
  resolveDemoShape,
  type DemoShapeOptions,
  type DemoWeights,
} from './demo-weights.js';
import { isValidModelName, loadVersion, type ResolvedModel } from './registry.js';
import type { ModelSpec } from './spec.js';
import { formatModelYaml } from './spec-yaml.js';

export { DEMO_CLASSES, DEMO_DEFAULTS, type DemoShape, type DemoWeights } from './demo-weights.js';
export { DEMO_INPUT, DEMO_OUTPUT, DEMO_OPSET } from './demo-graph.js';

/** Name of the demo model in the registry. */
export const DEMO_MODEL_NAME = 'cnn-lstm';

export interface DemoOptions extends DemoShapeOptions {
  /** Model folder name (default "cnn-lstm"). */
  name?: string;
  /** Version folder (default 1). */
  version?: number;
  /** Write per-feature mean/std normalization into model.yaml (default true). */
  normalize?: boolean;
  /** Overwrite a version folder that holds a different model (default false). */
  force?: boolean;
}

/** The demo model in memory: ONNX bytes, the model.yaml spec and text, and the weights. */
export interface BuiltDemoModel {
  onnx: Uint8Array;
  spec: ModelSpec;
  yaml: string;
  weights: DemoWeights;
}

/** Builds the demo model in memory without touching the disk. */
export function buildDemoModel(opts: DemoOptions = {}): BuiltDemoModel {
  const name = opts.name ?? DEMO_MODEL_NAME;
  const version = opts.version ?? 1;
  if (!isValidModelName(name))
    throw new UserError(`--name "${name}" is not a valid model name: use letters, digits, ".", "_" and "-"`);
  if (!Number.isInteger(version) || version < 0)
    throw new UserError(`--version must be a whole number >= 0, got ${version}`);
  const weights = generateDemoWeights(resolveDemoShape(opts));
  const { window: T, features: F, channels: C, hidden: H, layers: L } = weights.shape;
  const spec: ModelSpec = {
    name,
    version,
    description:
      `Demo CNN+LSTM trading model (seeded, untrained): ${T} time steps x ${F} ` +
      `features -> ` +
      `Conv1d(${C}, k=3) + ReLU -> LSTM(hidden ${H}, ${L} layer${L > 1 ? 's' : ''}) ` +
      `-> Linear(3) -> Softmax over ${DEMO_CLASSES.join('/')}`,
    inputs: [{ name: DEMO_INPUT, datatype: 'FP32', shape: [-1, T, F] }],
    outputs: [{ name: DEMO_OUTPUT, datatype: 'FP32', shape: [-1, DEMO_CLASSES.length] }],
  };
  if (opts.normalize !== false)
    spec.preprocessing = { normalize: { input: DEMO_INPUT, mean: weights.mean, std: weights.std } };
  return { onnx: encodeDemoGraph(weights), spec, yaml: formatModelYaml(spec), weights };
}

/** What writeDemoModel did: wrote a new folder, found identical files, or replaced different ones. */
export type DemoWriteStatus = 'created' | 'unchanged' | 'overwritten';

/**
 * Writes `<registryDir>/<name>/<version>/{model.onnx,model.yaml}` (default cnn-lstm/1). When the
 * folder already holds exactly these bytes nothing is written; different contents need `force`.
 */
export async function writeDemoModel(
  registryDir: string,
  opts: DemoOptions = {},
): Promise<ResolvedModel & { status: DemoWriteStatus }> {
  const built = buildDemoModel(opts);
  const dir = path.join(registryDir, built.spec.name, String(built.spec.version));
  const onnxPath = path.join(dir, 'model.onnx');
  const yamlPath = path.join(dir, 'model.yaml');
  const [oldOnnx, oldYaml] = await Promise.all([
    readFile(onnxPath).catch(() => undefined),
    readFile(yamlPath, 'utf8').catch(() => undefined),
  ]);
  let status: DemoWriteStatus = 'created';
  if (oldOnnx !== undefined || oldYaml !== undefined) {
    const same = oldOnnx !== undefined && Buffer.compare(oldOnnx, built.onnx) === 0 && oldYaml === built.yaml;
    if (same) status = 'unchanged';
    else if (!opts.force)
      throw new UserError(
        `${dir} already holds a different model: pass --force to overwrite it, or ` +
          `--model-version N to write another version`,
      );
    else status = 'overwritten';
  }
  if (status !== 'unchanged') {
    await mkdir(dir, { recursive: true });
    // Replaced atomically, so a replica loading concurrently never sees half a file.
    replaceFile(onnxPath, built.onnx);
    replaceFile(yamlPath, built.yaml);
  }
  return { ...(await loadVersion(registryDir, built.spec.name, built.spec.version)), status };
}
