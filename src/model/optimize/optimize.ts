// `serve model optimize` (model plane): writes the next version of a model, its graph optimized by
// ONNX Runtime and, with int8, its weights dynamically quantized; model.yaml records what was done.
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { DiskFullError, asDiskError, replaceFile } from '../../common/atomic-write.js';
import { UserError } from '../../common/errors.js';
import { listVersions, loadVersion, resolveModel, type ResolvedModel } from '../registry.js';
import type { ModelSpec } from '../spec.js';
import { formatModelYaml } from '../spec-yaml.js';
import { verifyModel } from '../verify.js';
import { decodeModel, encodeModel } from './onnx-model.js';
import { DEFAULT_OPTIMIZE_LEVEL, onnxRuntimeVersion, saveOptimizedGraph, type OptimizeLevel } from './ort-optimize.js';
import { quantizeModel, type QuantizeReport } from './quantize.js';

export interface OptimizeOptions {
  /** ONNX Runtime graph optimization level (default "extended"). */
  level?: OptimizeLevel;
  /** Quantize MatMul/Gemm/Conv/LSTM weights to INT8. */
  int8?: boolean;
  /** Node names or operator types to keep in FP32 when quantizing. */
  keepFp32?: readonly string[];
}

/** What `optimize` wrote, as plain data for rendering. */
export interface OptimizeResult {
  source: ResolvedModel;
  written: ResolvedModel;
  sourceBytes: number;
  writtenBytes: number;
  level: OptimizeLevel;
  int8: boolean;
  /** Per node of the source graph, when int8. */
  quantization?: QuantizeReport;
}

function describe(source: ModelSpec, level: OptimizeLevel, int8: boolean): string {
  const what =
    `optimized from version ${source.version}: ONNX Runtime level ${level}` + `${int8 ? ', dynamic INT8 weights' : ''}`;
  return source.description ? `${source.description} (${what})` : what;
}

/** Writes model.onnx and model.yaml of the new version into `work`; returns the INT8 report. */
async function writeVersion(
  source: ResolvedModel,
  work: string,
  version: number,
  level: OptimizeLevel,
  opts: OptimizeOptions,
) {
  let graphSource = source.onnxPath;
  let quantization: QuantizeReport | undefined;
  if (opts.int8) {
    const model = decodeModel(await readFile(source.onnxPath), source.onnxPath);
    quantization = quantizeModel(model, { keepFp32: opts.keepFp32 });
    graphSource = path.join(work, 'quantized.onnx');
    replaceFile(graphSource, encodeModel(model));
  }
  await saveOptimizedGraph(graphSource, path.join(work, 'model.onnx'), level, source.onnxPath);
  if (opts.int8) await rm(graphSource);
  const int8 = opts.int8 ?? false;
  const spec: ModelSpec = {
    ...source.spec,
    version,
    description: describe(source.spec, level, int8),
    optimized: {
      from: source.version,
      level,
      int8,
      quantized: quantization?.quantized ?? [],
      fp32Kept: quantization?.kept.map((k) => k.node) ?? [],
      onnxruntime: onnxRuntimeVersion(),
    },
  };
  replaceFile(path.join(work, 'model.yaml'), formatModelYaml(spec));
  return quantization;
}

/**
 * Optimizes `ref` into the next free version of the same model in `registryDir`, checks that ONNX
 * Runtime loads the result and that it matches its model.yaml, and returns what was done. The
 * version folder appears whole (written aside, then renamed) or not at all.
 */
export async function optimizeModel(
  registryDir: string,
  ref: string,
  opts: OptimizeOptions = {},
): Promise<OptimizeResult> {
  const source = await resolveModel(registryDir, ref);
  const level = opts.level ?? DEFAULT_OPTIMIZE_LEVEL;
  const versions = await listVersions(registryDir, source.name);
  const version = versions[versions.length - 1]! + 1;
  // A dot folder: the registry ignores folders that are not whole numbers.
  const work = path.join(registryDir, source.name, `.optimize-${process.pid}-${version}`);
  const target = path.join(registryDir, source.name, String(version));
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    const quantization = await writeVersion(source, work, version, level, opts);
    // The folder is published whole by one rename(2), as replaceFile publishes a file.
    await rename(work, target).catch((err: NodeJS.ErrnoException) => {
      const disk = asDiskError(err, target);
      if (disk instanceof DiskFullError) throw disk;
      throw new UserError(
        `cannot create ${target} (${err.code ?? err.message}): another command wrote ` +
          `that version meanwhile; run optimize again`,
      );
    });
    const written = await loadVersion(registryDir, source.name, version);
    // ONNX Runtime wrote it; loading it again (contrib operators and all) is the real check.
    await verifyModel(written).catch(async (err: unknown) => {
      await rm(target, { recursive: true, force: true });
      throw err;
    });
    const [sourceBytes, writtenBytes] = await Promise.all([stat(source.onnxPath), stat(written.onnxPath)]).then((s) =>
      s.map((x) => x.size),
    );
    return {
      source,
      written,
      sourceBytes: sourceBytes!,
      writtenBytes: writtenBytes!,
      level,
      int8: opts.int8 ?? false,
      quantization,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
