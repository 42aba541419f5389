// Capacity of the local host for placement (control plane): what the profile's `local` section
// says, else what the OS reports (CPUs, memory, and NVIDIA GPUs the driver lists under /proc).
import { readdirSync } from 'node:fs';
import os from 'node:os';
import type { Profile } from '../../profile/types.js';
import type { HostCapacity } from './placement.js';

/** The local host's CPUs, memory and GPUs; fields the profile leaves out are detected. */
export function localCapacity(
  local: Profile['local'],
  nvidiaGpusDir = '/proc/driver/nvidia/gpus',
  name = 'local',
): HostCapacity {
  return {
    name,
    cpus: local.cpus ?? os.availableParallelism(),
    memoryBytes: local.memoryBytes ?? os.totalmem(),
    gpus: local.gpus ?? countGpus(nvidiaGpusDir),
  };
}

/** NVIDIA GPUs the kernel driver knows (one folder each); 0 without the driver. */
function countGpus(dir: string): number {
  try {
    return readdirSync(dir).length;
  } catch {
    return 0;
  }
}
