// Triton model repository (export plane, pure): NAME/config.pbtxt for the onnxruntime backend and
// the version folder with model.onnx. Used by --to triton (one server, a fixed instance count) and
// by --to kserve (one instance per pod; KServe scales the pods).
import type { ResolvedModel } from '../model/registry.js';
import type { TensorSpec } from '../model/spec.js';
import type { Profile } from '../profile/types.js';
import { PbEnum, pbtxt, type PbMessage } from './pbtxt.js';
import type { ExportFile, ExportWarning } from './types.js';

/** Folder of the model repository under --out. */
export const TRITON_REPOSITORY_DIR = 'model-repository';

/** Serve's request priorities 0 (default, lowest) .. 9 become Triton's levels 10 .. 1 (1 is highest). */
export const TRITON_PRIORITY_LEVELS = 10;

const TRITON_TYPE: Readonly<Record<string, string>> = {
  BOOL: 'TYPE_BOOL',
  UINT8: 'TYPE_UINT8',
  UINT16: 'TYPE_UINT16',
  UINT32: 'TYPE_UINT32',
  UINT64: 'TYPE_UINT64',
  INT8: 'TYPE_INT8',
  INT16: 'TYPE_INT16',
  INT32: 'TYPE_INT32',
  INT64: 'TYPE_INT64',
  FP16: 'TYPE_FP16',
  FP32: 'TYPE_FP32',
  FP64: 'TYPE_FP64',
  BYTES: 'TYPE_STRING',
};

/** True when the profile asks for a GPU share (and does not pin the CPU). */
export function wantsGpu(p: Profile): boolean {
  return p.resources.gpus > 0 && p.runtime.device !== 'cpu';
}

/** Where each Triton server's instances run, and how many: per GPU for KIND_GPU, in all for KIND_CPU. */
function instanceGroup(p: Profile, perPod: boolean, warnings: ExportWarning[]): PbMessage {
  if (!wantsGpu(p)) return { count: perPod ? 1 : p.replicas.initial, kind: new PbEnum('KIND_CPU') };
  const gpus = p.resources.gpus;
  // On Kubernetes the pod asks for a GPU, so it lands where one is; a standalone server may have none.
  if (p.runtime.device === 'auto' && !perPod) {
    warnings.push({
      field: 'runtime.device',
      message:
        `auto with resources.gpus ${gpus} is written as KIND_GPU: Triton fails to load ` +
        `the model where no GPU is visible, where serve falls back to the CPU`,
    });
  }
  if (perPod) return { count: 1, kind: new PbEnum('KIND_GPU') };
  if (gpus > 1)
    warnings.push({
      field: 'resources.gpus',
      message: `Triton runs instances on GPUs, not one instance across ${gpus} GPUs: each ` + `instance uses one GPU`,
    });
  const perGpu = gpus < 1 ? Math.round(1 / gpus) : 1;
  warnings.push({
    field: 'replicas.initial, resources.gpus',
    message:
      `KIND_GPU count is per GPU: ${perGpu} instance(s) on every GPU the server sees; ` +
      `for replicas.initial = ${p.replicas.initial} start tritonserver with ` +
      `${Math.ceil(p.replicas.initial / perGpu)} GPU(s) visible (CUDA_VISIBLE_DEVICES)`,
  });
  return { count: perGpu, kind: new PbEnum('KIND_GPU') };
}

function tensor(t: TensorSpec, batched: boolean): PbMessage {
  const type = TRITON_TYPE[t.datatype];
  if (type === undefined) throw new Error(`no Triton type for datatype ${t.datatype}`);
  return { name: t.name, data_type: new PbEnum(type), dims: batched ? t.shape.slice(1) : t.shape };
}

/**
 * config.pbtxt for `model` served as `p` says. `perPod`: one instance per server (KServe scales
 * servers); otherwise the profile's replicas become instances of one server.
 */
export function tritonConfig(
  p: Profile,
  model: ResolvedModel,
  perPod: boolean,
  header: readonly string[],
): { text: string; warnings: ExportWarning[] } {
  const warnings: ExportWarning[] = [];
  const tensors = [...model.spec.inputs, ...model.spec.outputs];
  const batched = tensors.every((t) => t.shape[0] === -1);
  if (!batched) {
    warnings.push({
      field: 'batching.max_batch_size, batching.batch_wait_timeout',
      message:
        `${model.name}@${model.version} has a tensor without a dynamic first dimension: ` +
        `Triton cannot batch it (max_batch_size 0, no dynamic_batching)`,
    });
  }
  const norm = model.spec.preprocessing?.normalize;
  if (norm) {
    warnings.push({
      field: 'model.yaml preprocessing.normalize',
      message:
        `Triton runs model.onnx as it is: serve's per-feature normalization of "` +
        `${norm.input}" (mean/std from model.yaml) is not applied, so clients must send ` +
        `normalized values, or bake it into the graph`,
    });
  }
  warnings.push({
    field: 'x-serve-priority (request header)',
    message:
      `Triton reads a request's priority from the "priority" parameter of the infer ` +
      `request, not from serve's header: send level ${TRITON_PRIORITY_LEVELS} - N for ` +
      `serve priority N (1 is Triton's highest; requests without one get level ` +
      `${TRITON_PRIORITY_LEVELS})`,
  });
  const config: PbMessage = {
    name: model.name,
    platform: 'onnxruntime_onnx',
    max_batch_size: batched ? p.batching.maxBatchSize : 0,
    input: model.spec.inputs.map((t) => tensor(t, batched)),
    output: model.spec.outputs.map((t) => tensor(t, batched)),
    dynamic_batching: batched
      ? {
          max_queue_delay_microseconds: Math.round(p.batching.batchWaitMs * 1000),
          priority_levels: TRITON_PRIORITY_LEVELS,
          default_priority_level: TRITON_PRIORITY_LEVELS,
          default_queue_policy: {
            timeout_action: new PbEnum('REJECT'),
            default_timeout_microseconds: Math.round(p.gateway.requestTimeoutMs * 1000),
            allow_timeout_override: true,
            max_queue_size: p.batching.maxQueuedRequests,
          },
        }
      : undefined,
    instance_group: [instanceGroup(p, perPod, warnings)],
    // Triton's own response cache (the server needs --cache-config; see the carry table's warning).
    response_cache: p.cache.enabled ? { enable: true } : undefined,
    parameters: [
      { key: 'intra_op_thread_count', value: { string_value: String(p.runtime.threads) } },
      { key: 'inter_op_thread_count', value: { string_value: '1' } },
    ],
  };
  return { text: pbtxt(config, header), warnings };
}

/** The repository's files: config.pbtxt and the version folder with model.onnx (model.yaml stays out: config.pbtxt says what Triton needs). */
export function tritonRepositoryFiles(
  p: Profile,
  model: ResolvedModel,
  perPod: boolean,
  header: readonly string[],
): { files: ExportFile[]; warnings: ExportWarning[] } {
  const { text, warnings } = tritonConfig(p, model, perPod, header);
  const dir = `${TRITON_REPOSITORY_DIR}/${model.name}`;
  return {
    files: [
      { path: `${dir}/config.pbtxt`, what: 'Triton model configuration', text },
      {
        path: `${dir}/${model.version}/model.onnx`,
        what: `${model.name}@${model.version} model file`,
        copyFrom: model.onnxPath,
      },
    ],
    warnings,
  };
}
