// The cluster's Prometheus file-based service discovery file (control plane): the controller, the
// gateway and every listening replica as scrape targets labelled with profile, component and
// replica id, rewritten atomically whenever one of them comes, goes or moves.
import { replaceFile } from '../../common/atomic-write.js';
import { SD_LABELS, type MonitoredComponent, type SdTargetGroup } from '../../common/monitoring.js';
import type { ReplicaEndpoint } from '../../common/wire.js';

/** What is running now, as the controller knows it. */
export interface ScrapeTargets {
  profile: string;
  /** The controller's metrics URL (http://127.0.0.1:PORT/metrics). */
  controllerUrl?: string;
  gatewayUrl?: string;
  replicas: readonly ReplicaEndpoint[];
}

/** host:port of a URL, with a wildcard listen address turned into loopback (Prometheus runs here). */
export function scrapeAddress(url: string): string {
  const u = new URL(url);
  const host = u.hostname === '0.0.0.0' ? '127.0.0.1' : u.hostname === '[::]' ? '[::1]' : u.hostname;
  return `${host}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}

/** The target groups, one per target (their labels differ): controller, gateway, then replicas. */
export function targetGroups(t: ScrapeTargets): SdTargetGroup[] {
  const group = (url: string, component: MonitoredComponent, replica?: string): SdTargetGroup => {
    const labels: Record<string, string> = { [SD_LABELS.profile]: t.profile, [SD_LABELS.component]: component };
    if (replica !== undefined) labels[SD_LABELS.replica] = replica;
    // Prometheus' own label: a gateway with TLS is scraped over https.
    if (new URL(url).protocol === 'https:') labels.__scheme__ = 'https';
    return { targets: [scrapeAddress(url)], labels };
  };
  const out: SdTargetGroup[] = [];
  if (t.controllerUrl) out.push(group(t.controllerUrl, 'controller'));
  if (t.gatewayUrl) out.push(group(t.gatewayUrl, 'gateway'));
  for (const r of t.replicas) out.push(group(r.url, 'replica', r.id));
  return out;
}

/** What writes the file: RetriedWrites, which reports a failure and retries it until it succeeds. */
export interface FileWriter {
  attempt(file: string, write: () => void): boolean;
}

/**
 * Keeps the service discovery file current. Each write replaces it atomically (replaceFile: a temp
 * file, O_EXCL, no link followed, fsync, rename), so Prometheus never reads half of one; an unchanged
 * set is not rewritten. A write that fails (a full disk) is reported and retried by `writes` with the
 * latest targets: monitoring never stops the cluster.
 */
export class SdFile {
  private last = '';

  constructor(
    private readonly file: string,
    private readonly writes: FileWriter,
  ) {}

  update(t: ScrapeTargets): void {
    const text = JSON.stringify(targetGroups(t), null, 2) + '\n';
    if (text === this.last) return;
    // Set before the write: a failed one is retried with this text, so it is not attempted twice.
    this.last = text;
    this.writes.attempt(this.file, () => replaceFile(this.file, text, { mode: 0o600 }));
  }
}
