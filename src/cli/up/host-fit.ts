// Whether a profile's replicas.min fits this machine (cli, pure over the detected capacity): the
// note `serve validate` prints. A note, not an error: the profile may be meant for other hosts.
import { localCapacity } from '../../cluster/placement/index.js';
import { placeReplicas, type HostCapacity } from '../../cluster/placement/index.js';
import type { Profile } from '../../profile/types.js';

/**
 * The note for `p` on `host` (this machine, as `serve up` would see it without SSH hosts), or
 * undefined when replicas.min fits or the profile runs replicas on SSH hosts (their size is known
 * only once connected).
 */
export function hostFitNote(p: Profile, host: HostCapacity = thisMachine(p)): string | undefined {
  if (p.hosts.some((h) => h.ssh !== undefined)) return undefined;
  const r = p.resources;
  const placed = placeReplicas(
    [host],
    {
      cpus: r.cpus,
      memoryBytes: r.memoryBytes,
      gpus: r.gpus,
      ...(r.gpuMemoryBytes === undefined ? {} : { gpuMemoryBytes: r.gpuMemoryBytes }),
    },
    p.replicas.min,
  );
  const fits = placed.slots.filter((s) => s.host !== undefined).length;
  if (fits >= p.replicas.min) return undefined;
  const why = placed.slots.find((s) => s.host === undefined)?.reason ?? 'does not fit';
  return (
    `note: replicas.min is ${p.replicas.min} but this machine fits ${fits} (${why}` +
    `): \`serve up\` here would exit 3; ` +
    'use --oversubscribe, a `hosts:` section, or a smaller profile (fine if the ' +
    'profile is meant for other hosts)'
  );
}

function thisMachine(p: Profile): HostCapacity {
  const spec = p.hosts[0];
  return localCapacity(
    {
      cpus: spec?.cpus ?? p.local.cpus,
      memoryBytes: spec?.memoryBytes ?? p.local.memoryBytes,
      gpus: spec?.gpus ?? p.local.gpus,
    },
    undefined,
    spec?.name ?? 'local',
  );
}
