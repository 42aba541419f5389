// Placement of replicas onto hosts by CPUs, memory and GPUs (control plane, pure core): new
// replicas go where the ones already placed leave room, spread over the hosts so that losing one
// host loses as few replicas as possible; GPU replicas get devices, fractions of one shared.

/** One GPU of a host: its index (as CUDA_VISIBLE_DEVICES names it) and memory as nvidia-smi reported it. */
export interface GpuDevice {
  index: number;
  /** Undefined when unknown (a GPU count from the profile): memory is then not checked. */
  memoryTotalBytes?: number;
  /** In use by anything when it was read (other processes included). */
  memoryUsedBytes?: number;
}

/** What one host offers. GPUs 0 means a CPU-only host, where a replica's GPU request is ignored. */
export interface HostCapacity {
  name: string;
  cpus: number;
  memoryBytes: number;
  gpus: number;
  /** The GPUs themselves; absent: devices 0..gpus-1 of unknown memory. Only the first `gpus` are used. */
  gpuDevices?: readonly GpuDevice[];
}

/** What one replica asks for. */
export interface ReplicaRequest {
  cpus: number;
  memoryBytes: number;
  /** Fraction of one GPU (at most 1), or a whole number of GPUs. */
  gpus: number;
  /** Memory on each of its GPUs; undefined: not checked. */
  gpuMemoryBytes?: number;
}

/** A replica already placed: its host and the GPU indexes it holds. */
export interface PlacedReplica {
  host: string;
  gpus?: readonly number[];
}

/** Where one replica goes: `host` undefined means pending with `reason`. */
export interface PlacementSlot {
  host?: string;
  /** GPU indexes for CUDA_VISIBLE_DEVICES; absent for a CPU replica. */
  gpus?: number[];
  reason?: string;
  oversubscribed?: boolean;
}

/** Where each of `count` replicas goes, in order. */
export interface PlacementResult {
  slots: PlacementSlot[];
  warnings: string[];
}

// Floating-point sums of fractional CPUs (0.1 x 10) must not refuse the last replica.
const EPS = 1e-9;

interface FreeGpu {
  index: number;
  /** Share of the device still free (1 = whole). */
  share: number;
  /** Free memory in bytes; undefined when unknown. */
  memoryBytes: number | undefined;
}

interface FreeHost {
  name: string;
  order: number;
  cpus: number;
  memoryBytes: number;
  gpus: FreeGpu[];
  /** Replicas of this set on the host (placed and newly placed). */
  replicas: number;
}

/**
 * Places `count` more identical replicas on what the replicas already placed (`placed`) leave free.
 * Each goes to a host where it fits with the fewest replicas of this set so far (hosts with GPUs
 * first when it asks for GPUs; then profile order). Those that fit nowhere are pending with a
 * reason naming each host's short resource; with `oversubscribe` they go to the least used host
 * anyway, each with a warning.
 */
export function placeReplicas(
  hosts: readonly HostCapacity[],
  request: ReplicaRequest,
  count: number,
  opts: { oversubscribe?: boolean; placed?: ReadonlyArray<string | PlacedReplica> } = {},
): PlacementResult {
  const free = hosts.map(freeHost);
  for (const p of opts.placed ?? []) {
    const placed = typeof p === 'string' ? { host: p } : p;
    const host = free.find((h) => h.name === placed.host);
    if (host) take(host, request, placed.gpus ?? (usesGpus(host, request) ? pickGpus(host, request, true) : undefined));
  }
  const result: PlacementResult = { slots: [], warnings: [] };
  for (let i = 0; i < count; i++) {
    const ranked = [...free].sort(
      (a, b) => rank(a, request) - rank(b, request) || a.replicas - b.replicas || a.order - b.order,
    );
    const host = ranked.find((h) => shortOf(h, request) === undefined);
    if (host) {
      result.slots.push(placeOn(host, request, false));
      continue;
    }
    const reason =
      free.length === 0 ? 'no host to place it on' : `does not fit: ${free.map((h) => shortOf(h, request)).join('; ')}`;
    const least = ranked[0];
    if (opts.oversubscribe && least) {
      result.slots.push({ ...placeOn(least, request, true), oversubscribed: true });
      result.warnings.push(
        `replica ${(opts.placed?.length ?? 0) + i + 1} oversubscribes ${least.name} (` +
          `${reason.replace('does not fit: ', '')})`,
      );
    } else {
      result.slots.push({ reason });
    }
  }
  return result;
}

function freeHost(h: HostCapacity, order: number): FreeHost {
  const count = Math.max(0, Math.floor(h.gpus));
  const devices: readonly GpuDevice[] = h.gpuDevices ?? Array.from({ length: count }, (_, index) => ({ index }));
  const gpus = devices.slice(0, count).map((d) => ({
    index: d.index,
    share: 1,
    memoryBytes: d.memoryTotalBytes === undefined ? undefined : d.memoryTotalBytes - (d.memoryUsedBytes ?? 0),
  }));
  return { name: h.name, order, cpus: h.cpus, memoryBytes: h.memoryBytes, gpus, replicas: 0 };
}

/** GPU requests prefer hosts with GPUs; everything else ranks the same. */
function rank(h: FreeHost, req: ReplicaRequest): number {
  return req.gpus > 0 && h.gpus.length === 0 ? 1 : 0;
}

function placeOn(host: FreeHost, req: ReplicaRequest, force: boolean): PlacementSlot {
  const gpus = usesGpus(host, req) ? pickGpus(host, req, force) : undefined;
  take(host, req, gpus);
  return gpus === undefined ? { host: host.name } : { host: host.name, gpus };
}

/** The first resource `host` lacks for `req`, described for people; undefined if it fits. */
function shortOf(host: FreeHost, req: ReplicaRequest): string | undefined {
  if (req.cpus > host.cpus + EPS) return `needs ${req.cpus} CPUs, ${round(host.cpus)} free on ${host.name}`;
  if (req.memoryBytes > host.memoryBytes + EPS) {
    return `needs ${gib(req.memoryBytes)} memory, ${gib(host.memoryBytes)} free on ` + `${host.name}`;
  }
  if (!usesGpus(host, req) || pickGpus(host, req, false) !== undefined) return undefined;
  const wholeFree = host.gpus.filter((g) => g.share >= 1 - EPS).length;
  const bestShare = Math.max(...host.gpus.map((g) => g.share));
  const enoughShare = req.gpus > 1 ? wholeFree >= req.gpus : bestShare >= req.gpus - EPS;
  if (!enoughShare) {
    return req.gpus > 1
      ? `needs ${req.gpus} whole GPUs, ${wholeFree} free on ${host.name}`
      : `needs ${req.gpus} of a GPU, at most ${round(bestShare)} free on ${host.name}`;
  }
  const most = Math.max(...host.gpus.map((g) => g.memoryBytes ?? 0));
  return `needs ${gib(req.gpuMemoryBytes ?? 0)} GPU memory, at most ${gib(most)} free on ` + `one GPU of ${host.name}`;
}

/**
 * GPU indexes for one replica: a fraction goes to the device with the largest free share that fits
 * (spreading load over devices), whole GPUs to devices entirely free. `force` takes the best devices
 * even when they are short. Undefined when they do not fit.
 */
function pickGpus(host: FreeHost, req: ReplicaRequest, force: boolean): number[] | undefined {
  const memoryFits = (g: FreeGpu) =>
    req.gpuMemoryBytes === undefined || g.memoryBytes === undefined || g.memoryBytes + EPS >= req.gpuMemoryBytes;
  const byShare = [...host.gpus].sort((a, b) => b.share - a.share || a.index - b.index);
  if (req.gpus > 1) {
    const whole = byShare.filter((g) => g.share >= 1 - EPS && memoryFits(g));
    const chosen = whole.length >= req.gpus ? whole : force ? byShare : [];
    return chosen.length >= req.gpus
      ? chosen
          .slice(0, req.gpus)
          .map((g) => g.index)
          .sort((a, b) => a - b)
      : undefined;
  }
  const device = byShare.find((g) => g.share + EPS >= req.gpus && memoryFits(g)) ?? (force ? byShare[0] : undefined);
  return device ? [device.index] : undefined;
}

function take(host: FreeHost, req: ReplicaRequest, gpus: readonly number[] | undefined): void {
  host.cpus -= req.cpus;
  host.memoryBytes -= req.memoryBytes;
  host.replicas++;
  for (const index of gpus ?? []) {
    const g = host.gpus.find((d) => d.index === index);
    if (!g) continue;
    g.share -= req.gpus > 1 ? 1 : req.gpus;
    if (g.memoryBytes !== undefined && req.gpuMemoryBytes !== undefined) g.memoryBytes -= req.gpuMemoryBytes;
  }
}

// GPU requests count only on hosts that have GPUs (a CPU-only host serves the model on CPU).
function usesGpus(host: FreeHost, req: ReplicaRequest): boolean {
  return req.gpus > 0 && host.gpus.length > 0;
}

function round(n: number): number {
  return Math.max(0, Math.round(n * 100) / 100);
}

function gib(bytes: number): string {
  return `${round(bytes / 1024 ** 3)}GiB`;
}
