// What `serve model list` and `serve model inspect` report, as plain data (model plane); the CLI
// renders it. Inspection reads the ONNX file itself and checks it against model.yaml with ORT.
import { UserError } from '../common/errors.js';
import { inspectOnnxFile, type OnnxFileInfo } from './onnx-inspect.js';
import { listModels, resolveModel, type ResolvedModel } from './registry.js';
import type { ModelSpec } from './spec.js';
import { openVerifiedSession } from './verify.js';

/** One row of `serve model list`. */
export interface ModelListing {
  name: string;
  version: number;
  /** True for the highest version of its model (what NAME and NAME@latest resolve to). */
  latest: boolean;
  dir: string;
  ok: boolean;
  /** Present when ok. */
  spec?: ModelSpec;
  onnxBytes?: number;
  parameterCount?: number;
  /** Present when not ok: why this version cannot be used. */
  error?: string;
}

/** Every version in the registry, reading each model.yaml and decoding each model.onnx header. */
export async function listRegistry(registryDir: string): Promise<ModelListing[]> {
  const entries = await listModels(registryDir);
  const latest = new Map<string, number>();
  for (const e of entries) latest.set(e.name, Math.max(latest.get(e.name) ?? -1, e.version));
  const out: ModelListing[] = [];
  for (const e of entries) {
    const base = { name: e.name, version: e.version, latest: latest.get(e.name) === e.version };
    if (!e.ok) {
      out.push({ ...base, dir: '', ok: false, error: e.error });
      continue;
    }
    try {
      const info = await inspectOnnxFile(e.model.onnxPath);
      out.push({
        ...base,
        dir: e.model.dir,
        ok: true,
        spec: e.model.spec,
        onnxBytes: info.fileBytes,
        parameterCount: info.parameterCount,
      });
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      out.push({ ...base, dir: e.model.dir, ok: false, error: err.message });
    }
  }
  return out;
}

/** Everything `serve model inspect` shows. `check.ok` is false when ORT disagrees with model.yaml. */
export interface ModelInspection {
  model: ResolvedModel;
  onnx: OnnxFileInfo;
  check: { ok: boolean; problems: string[]; loadMs?: number };
}

/**
 * Resolves `ref`, decodes its ONNX file and loads it with ONNX Runtime to check it against
 * model.yaml. A corrupt file throws UserError; a mismatch is reported in `check`.
 */
export async function inspectModel(registryDir: string, ref: string): Promise<ModelInspection> {
  const model = await resolveModel(registryDir, ref);
  const onnx = await inspectOnnxFile(model.onnxPath);
  const startMs = performance.now();
  try {
    const session = await openVerifiedSession(model);
    const loadMs = performance.now() - startMs;
    await session.release();
    return { model, onnx, check: { ok: true, problems: [], loadMs } };
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return { model, onnx, check: { ok: false, problems: [err.message, ...err.details] } };
  }
}
