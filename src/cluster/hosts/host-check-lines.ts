// The lines of `serve hosts check` (control plane, hosts): node, serve, capacity, GPUs and the CUDA
// provider judged from a host's facts, and whether the profile's model is there.
import { errorMessage } from '../../common/errors.js';
import { packageVersion } from '../../common/package-info.js';
import { formatBytes } from '../../common/units.js';
import type { HostSpec, Profile } from '../../profile/types.js';
import { minNodeVersion, nodeAtLeast, type HostFacts } from './facts.js';
import { remoteModelState, type ModelFile } from './model-sync.js';
import type { runProcess } from './run-process.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckLine {
  check: 'reachable' | 'host key' | 'node' | 'serve' | 'capacity' | 'gpus' | 'cuda' | 'model';
  status: CheckStatus;
  detail: string;
}

/** The profile's model in this machine's registry, with its files; undefined when it is not there. */
export type ModelInfo = { name: string; version: number; files: ModelFile[] } | undefined;

/** node, serve, capacity, gpus and cuda lines from a host's facts. */
export function factLines(f: HostFacts, h: HostSpec, profile: Profile | undefined, workdir?: string): CheckLine[] {
  const lines: CheckLine[] = [];
  const min = minNodeVersion();
  if (!f.nodeVersion)
    lines.push({
      check: 'node',
      status: 'fail',
      detail: `${h.node} does not run (${f.nodeError}): install Node.js >= ${min} or set ` + `hosts[].node`,
    });
  else if (!nodeAtLeast(f.nodeVersion, min))
    lines.push({ check: 'node', status: 'fail', detail: `${f.nodeVersion} is older than ${min}` });
  else lines.push({ check: 'node', status: 'ok', detail: `${f.nodeVersion} (here ${process.version})` });
  const here = packageVersion();
  if (workdir !== undefined && !f.workdirFound)
    lines.push({
      check: 'serve',
      status: 'fail',
      detail: `workdir ${workdir} does not exist: install serve there or set hosts[].workdir`,
    });
  else if (f.serveVersion === here) lines.push({ check: 'serve', status: 'ok', detail: `${here}, the same as here` });
  else
    lines.push({
      check: 'serve',
      status: 'fail',
      detail: `${f.serveVersion ?? `no serve (${f.serveError})`} there, ${here} here: install ` + `the same package`,
    });
  const cpus = h.cpus ?? profile?.local.cpus ?? f.cpus;
  const memory = h.memoryBytes ?? profile?.local.memoryBytes ?? f.memoryBytes;
  lines.push({
    check: 'capacity',
    status: cpus && memory ? 'ok' : 'fail',
    detail:
      `${cpus ?? '?'} CPUs, ${memory ? formatBytes(memory) : '?'} memory` +
      `${h.cpus === undefined && h.memoryBytes === undefined ? ' (detected)' : ''}`,
  });
  if (f.nvidiaSmi === 'failed')
    lines.push({ check: 'gpus', status: 'warn', detail: `nvidia-smi failed: ${f.nvidiaSmiError ?? ''}` });
  else if (f.gpus.length === 0)
    lines.push({ check: 'gpus', status: 'ok', detail: f.nvidiaSmi === 'missing' ? 'none (no nvidia-smi)' : 'none' });
  else
    lines.push({
      check: 'gpus',
      status: 'ok',
      detail: f.gpus
        .map((g) => `${g.index}: ${g.name}` + `${g.memoryTotalBytes ? ` ${formatBytes(g.memoryTotalBytes)}` : ''}`)
        .join(', '),
    });
  lines.push(cudaLine(f));
  return lines;
}

function cudaLine(f: HostFacts): CheckLine {
  if (f.gpus.length === 0) {
    return {
      check: 'cuda',
      status: 'skip',
      detail: `not verified: no GPU` + `${f.cuda.state === 'present' ? ' (the CUDA provider is installed)' : ''}`,
    };
  }
  if (f.cuda.state === 'missing') {
    return {
      check: 'cuda',
      status: 'fail',
      detail:
        'the CUDA provider of onnxruntime-node is not installed: see ' +
        'docs/guide/hosts.md, "GPU hosts" (replicas would run on the CPU)',
    };
  }
  if (f.cuda.state === 'unresolved')
    return {
      check: 'cuda',
      status: 'fail',
      detail: `the CUDA provider cannot load: missing ${f.cuda.detail} (CUDA 12 and cuDNN 9 ` + `on the loader path)`,
    };
  return {
    check: 'cuda',
    status: 'ok',
    detail: 'provider installed, its libraries resolve (a CUDA session itself is not verified)',
  };
}

/** The model line: is the profile's model in the host's registry, or what `serve up` would copy there. */
export async function modelLine(
  model: ModelInfo,
  h: HostSpec,
  workdir: string,
  exec: (cmd: string) => ReturnType<typeof runProcess>,
): Promise<CheckLine> {
  if (!model) return { check: 'model', status: 'skip', detail: 'not in the registry here, so nothing to compare' };
  const registry = h.registry ?? `${workdir}/models`;
  try {
    const state = await remoteModelState((cmd) => exec(cmd), registry, model.name, model.version, model.files);
    if (state.missing.length === 0)
      return { check: 'model', status: 'ok', detail: `${model.name}@${model.version} in ${registry}` };
    const bytes = state.missing.filter((f) => !state.haveBlobs.has(f.sha256)).reduce((a, f) => a + f.bytes, 0);
    return {
      check: 'model',
      status: 'warn',
      detail:
        `${model.name}@${model.version} missing there: serve up copies it (` +
        `${state.missing.length} files, ${formatBytes(bytes)} to send)`,
    };
  } catch (err) {
    return { check: 'model', status: 'fail', detail: errorMessage(err) };
  }
}
