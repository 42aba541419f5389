// Placement of replicas onto hosts by CPUs, memory and GPUs (control plane, pure core): new
// replicas go where the ones already placed leave room.

/** What one host offers. GPUs 0 means a CPU-only host, where a replica's GPU request is ignored. */
export interface HostCapacity {
  name: string;
  cpus: number;
  memoryBytes: number;
  gpus: number;
}

/** What one replica asks for. */
export interface ReplicaRequest {
  cpus: number;
  memoryBytes: number;
  gpus: number;
}

/** Where each of `count` replicas goes, in order; `host` undefined means pending with `reason`. */
export interface PlacementResult {
  slots: Array<{ host?: string; reason?: string; oversubscribed?: boolean }>;
  warnings: string[];
}

// Floating-point sums of fractional CPUs (0.1 x 10) must not refuse the last replica.
const EPS = 1e-9;

/**
 * Places `count` more identical replicas greedily, first host first, on what the replicas already
 * placed (`placed`: the host of each) leave free. Those that do not fit are pending with a reason
 * naming the short resource; with `oversubscribe` they go onto the first host anyway, each with a
 * warning.
 */
export function placeReplicas(
  hosts: readonly HostCapacity[],
  request: ReplicaRequest,
  count: number,
  opts: { oversubscribe?: boolean; placed?: readonly string[] } = {},
): PlacementResult {
  const free = hosts.map((h) => ({ ...h, hasGpus: h.gpus > 0 }));
  for (const name of opts.placed ?? []) {
    const host = free.find((h) => h.name === name);
    if (host) take(host, request);
  }
  const result: PlacementResult = { slots: [], warnings: [] };
  for (let i = 0; i < count; i++) {
    const host = free.find((h) => shortOf(h, request) === undefined);
    if (host) {
      take(host, request);
      result.slots.push({ host: host.name });
      continue;
    }
    const first = free[0];
    const reason = first ? `does not fit: ${shortOf(first, request)}` : 'no host to place it on';
    if (opts.oversubscribe && first) {
      take(first, request);
      result.slots.push({ host: first.name, oversubscribed: true });
      result.warnings.push(`replica ${(opts.placed?.length ?? 0) + i + 1} oversubscribes ${first.name} (${reason.replace('does not fit: ', '')})`);
    } else {
      result.slots.push({ reason });
    }
  }
  return result;
}

/** The first resource `host` lacks for `req`, described for people; undefined if it fits. */
function shortOf(host: FreeHost, req: ReplicaRequest): string | undefined {
  if (req.cpus > host.cpus + EPS) return `needs ${req.cpus} CPUs, ${round(host.cpus)} free on ${host.name}`;
  if (req.memoryBytes > host.memoryBytes + EPS) {
    return `needs ${gib(req.memoryBytes)} memory, ${gib(host.memoryBytes)} free on ${host.name}`;
  }
  if (usesGpus(host, req) && req.gpus > host.gpus + EPS) return `needs ${req.gpus} GPUs, ${round(host.gpus)} free on ${host.name}`;
  return undefined;
}

function take(host: FreeHost, req: ReplicaRequest): void {
  host.cpus -= req.cpus;
  host.memoryBytes -= req.memoryBytes;
  if (usesGpus(host, req)) host.gpus -= req.gpus;
}

// GPU requests count only on hosts that have GPUs (a CPU-only host serves the model on CPU).
function usesGpus(host: FreeHost, req: ReplicaRequest): boolean {
  return req.gpus > 0 && host.hasGpus;
}

type FreeHost = HostCapacity & { hasGpus: boolean };

function round(n: number): number {
  return Math.max(0, Math.round(n * 100) / 100);
}

function gib(bytes: number): string {
  return `${round(bytes / 1024 ** 3)}GiB`;
}
