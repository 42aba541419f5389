// What a host has (control plane, hosts): one POSIX sh script, run over ssh (or with sh here),
// prints Node.js and serve versions, CPUs, memory, nvidia-smi's GPUs and whether onnxruntime-node's
// CUDA provider and its libraries are there; the parser (pure) turns its lines into HostFacts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findPackageRoot } from '../../common/package-info.js';
import { NVIDIA_SMI_ARGS, parseNvidiaSmi, type GpuReading } from './gpus.js';
import { shellCommand, shellQuote } from './shell-quote.js';

export interface HostFacts {
  /** False when the workdir is missing (nothing else about serve can be right then). */
  workdirFound: boolean;
  /** "v20.18.1", or undefined with `nodeError` saying what the host answered instead. */
  nodeVersion?: string;
  nodeError?: string;
  /** The first word of `serve --version` there (the package version). */
  serveVersion?: string;
  serveError?: string;
  cpus?: number;
  memoryBytes?: number;
  /** missing: no nvidia-smi on the PATH; failed: it ran and failed (no driver?). */
  nvidiaSmi: 'missing' | 'failed' | 'ok';
  nvidiaSmiError?: string;
  gpus: GpuReading[];
  /** missing: no CUDA provider file; unresolved: the loader cannot find some of its libraries. */
  cuda: { state: 'missing' | 'unresolved' | 'present'; detail: string };
}

/** The script: `node` and `workdir` are the host's, quoted for its shell. */
export function factsScript(node: string, workdir: string): string {
  const n = shellQuote(node);
  const w = shellQuote(workdir);
  return [
    `if cd ${w} 2>/dev/null; then echo workdir=ok; else echo workdir=missing; fi`,
    `echo "node=$(${n} --version 2>&1 | head -n 1)"`,
    `echo "serve=$(${n} ${shellQuote(`${workdir}/bin/serve.js`)} --version 2>&1 | ` + `head -n 1)"`,
    `echo "cpus=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"`,
    `echo "mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null)"`,
    `if command -v nvidia-smi >/dev/null 2>&1; then out=$(` +
      `${shellCommand(['nvidia-smi', ...NVIDIA_SMI_ARGS])} 2>&1); rc=$?; ` +
      `printf '%s\\n' "$out" | sed 's/^/gpu=/'; echo "nvidia_smi=$rc"; else echo ` +
      `nvidia_smi=missing; fi`,
    `lib=$(ls ${w}` +
      `/node_modules/onnxruntime-node/bin/napi-v*/linux/*/libonnxruntime_providers_cuda.so ` +
      `2>/dev/null | head -n 1)`,
    `if [ -z "$lib" ]; then echo cuda=missing; else miss=$(ldd "$lib" 2>&1 | awk ` +
      `'/not found/ {print $1}' | tr '\\n' ' '); ` +
      `if [ -n "$miss" ]; then echo "cuda=unresolved $miss"; else echo "cuda=present $lib"; fi; fi`,
  ].join('\n');
}

/** HostFacts from the script's output. Pure. */
export function parseFacts(text: string): HostFacts {
  const one = new Map<string, string>();
  const gpuLines: string[] = [];
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    if (key === 'gpu') gpuLines.push(value);
    else if (!one.has(key)) one.set(key, value);
  }
  const node = one.get('node') ?? '';
  const serve = one.get('serve') ?? '';
  const cpus = Number(one.get('cpus'));
  const memKb = Number(one.get('mem_kb'));
  const smi = one.get('nvidia_smi');
  let gpus: GpuReading[] = [];
  let nvidiaSmi: HostFacts['nvidiaSmi'] =
    smi === 'missing' || smi === undefined ? 'missing' : smi === '0' ? 'ok' : 'failed';
  let nvidiaSmiError: string | undefined = nvidiaSmi === 'failed' ? gpuLines.join(' ').slice(0, 200) : undefined;
  if (nvidiaSmi === 'ok') {
    try {
      gpus = parseNvidiaSmi(gpuLines.join('\n'));
    } catch (err) {
      nvidiaSmi = 'failed';
      nvidiaSmiError = (err as Error).message;
    }
  }
  const cudaLine = one.get('cuda') ?? 'missing';
  const [cudaState, ...cudaRest] = cudaLine.split(' ');
  return {
    workdirFound: one.get('workdir') === 'ok',
    ...(/^v\d+\.\d+\.\d+/.test(node) ? { nodeVersion: node.split(/\s/)[0] } : { nodeError: node || 'no answer' }),
    ...(/^\d+\.\d+\.\d+/.test(serve) ? { serveVersion: serve.split(/\s/)[0] } : { serveError: serve || 'no answer' }),
    ...(Number.isInteger(cpus) && cpus > 0 ? { cpus } : {}),
    ...(Number.isFinite(memKb) && memKb > 0 ? { memoryBytes: memKb * 1024 } : {}),
    nvidiaSmi,
    ...(nvidiaSmiError ? { nvidiaSmiError } : {}),
    gpus,
    cuda: {
      state: cudaState === 'present' || cudaState === 'unresolved' ? cudaState : 'missing',
      detail: cudaRest.join(' ').trim(),
    },
  };
}

/** True when `version` ("v20.18.1") is at least `min` ("20.18.1"). */
export function nodeAtLeast(version: string, min: string): boolean {
  const a = version.replace(/^v/, '').split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/** The lowest Node.js the package supports ("20.18.1" from package.json's engines.node ">=20.18.1"). */
export function minNodeVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(findPackageRoot(), 'package.json'), 'utf8')) as {
    engines?: { node?: string };
  };
  return /(\d+\.\d+\.\d+)/.exec(pkg.engines?.node ?? '')?.[1] ?? '20.18.1';
}
