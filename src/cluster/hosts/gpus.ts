// GPUs of a host as nvidia-smi lists them (control plane, hosts): the query serve runs, its CSV
// parsed (pure), and the same query on this machine. Memory is MiB in the CSV, bytes here.
import type { GpuDevice } from '../placement/index.js';
import { runProcess } from './run-process.js';

/** One GPU's reading: placement's device plus what status shows. */
export interface GpuReading extends GpuDevice {
  name: string;
  /** Percent of the last sample period the GPU was busy; undefined when the driver does not say. */
  utilizationPercent?: number;
}

/** The arguments of the one nvidia-smi query serve makes, on every host. */
export const NVIDIA_SMI_ARGS = [
  '--query-gpu=index,name,memory.total,memory.used,utilization.gpu',
  '--format=csv,noheader,nounits',
] as const;

const MiB = 1024 * 1024;

/**
 * Parses the query's output ("0, NVIDIA H100, 81559, 1024, 7" a line); "[N/A]" fields become
 * undefined. Throws an Error naming the line that is not such a row.
 */
export function parseNvidiaSmi(text: string): GpuReading[] {
  const out: GpuReading[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const f = line.split(',').map((s) => s.trim());
    const index = Number(f[0]);
    if (f.length < 5 || !Number.isInteger(index) || index < 0)
      throw new Error(
        `nvidia-smi printed "${line.slice(0, 80)}", expected "index, name, ` +
          `memory.total, memory.used, utilization.gpu"`,
      );
    const num = (s: string | undefined) => (s !== undefined && /^\d+(\.\d+)?$/.test(s) ? Number(s) : undefined);
    const total = num(f[2]);
    const used = num(f[3]);
    const util = num(f[4]);
    out.push({
      index,
      name: f[1]!,
      ...(total === undefined ? {} : { memoryTotalBytes: total * MiB }),
      ...(used === undefined ? {} : { memoryUsedBytes: used * MiB }),
      ...(util === undefined ? {} : { utilizationPercent: util }),
    });
  }
  return out;
}

/** This machine's GPUs from nvidia-smi on the PATH; [] without it (or when it fails). */
export async function localGpus(timeoutMs = 5000): Promise<GpuReading[]> {
  const r = await runProcess('nvidia-smi', NVIDIA_SMI_ARGS, { timeoutMs });
  if (r.code !== 0) return [];
  try {
    return parseNvidiaSmi(r.stdout);
  } catch {
    return [];
  }
}
