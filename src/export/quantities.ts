// Profile numbers as the targets write them (export plane, pure): Kubernetes quantities, whole
// seconds and microseconds. Each conversion says when it had to round, so the caller can warn.

/** CPUs as a Kubernetes quantity: 2 → "2", 0.5 → "500m" (millicores, rounded up). */
export function cpuQuantity(cpus: number): string {
  if (Number.isInteger(cpus)) return String(cpus);
  return `${Math.ceil(cpus * 1000)}m`;
}

/** Bytes as a Kubernetes quantity in the largest unit that divides them exactly: 2e9 → "2G", 512 MiB → "512Mi". */
export function memoryQuantity(bytes: number): string {
  const units: Array<[string, number]> = [
    ['Ti', 2 ** 40],
    ['T', 1e12],
    ['Gi', 2 ** 30],
    ['G', 1e9],
    ['Mi', 2 ** 20],
    ['M', 1e6],
    ['Ki', 1024],
    ['k', 1e3],
  ];
  for (const [suffix, size] of units) if (bytes % size === 0 && bytes >= size) return `${bytes / size}${suffix}`;
  return String(bytes);
}

/** Parses what memoryQuantity writes back to bytes (for tests and round trips). */
export function parseMemoryQuantity(q: string): number {
  const m = /^(\d+)(Ti|T|Gi|G|Mi|M|Ki|k)?$/.exec(q);
  if (!m) throw new Error(`not a memory quantity: ${q}`);
  const sizes: Record<string, number> = {
    Ti: 2 ** 40,
    T: 1e12,
    Gi: 2 ** 30,
    G: 1e9,
    Mi: 2 ** 20,
    M: 1e6,
    Ki: 1024,
    k: 1e3,
  };
  return Number(m[1]) * (m[2] ? sizes[m[2]]! : 1);
}

/** Milliseconds as whole seconds, rounded up (Kubernetes fields take seconds), and whether that rounded. */
export function wholeSeconds(ms: number): { seconds: number; rounded: boolean } {
  const seconds = Math.ceil(ms / 1000);
  return { seconds, rounded: seconds * 1000 !== ms };
}

/** Milliseconds as seconds for Ray's float fields: 10 → 0.01 (no float noise). */
export function floatSeconds(ms: number): number {
  return Number((ms / 1000).toFixed(6));
}

/** A duration as Knative and Go write it ("10s", "2m0s" is not needed: seconds only). */
export function goDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
