// Monitoring conventions shared by the controller's Prometheus service discovery file and the alert
// rules (common): the target labels every scraped series of a cluster carries, and the components.

/**
 * Labels `serve up` puts on every target of its service discovery file, so Prometheus adds them to
 * every series it scrapes there: the profile's name, the component, and the replica's id.
 */
export const SD_LABELS = { profile: 'profile', component: 'component', replica: 'replica' } as const;

/** What a scraped target is. */
export type MonitoredComponent = 'gateway' | 'replica' | 'controller';

/** File name of the service discovery file inside the state directory. */
export const SD_FILE_NAME = 'prometheus-targets.json';

/** One target group of a Prometheus file-based service discovery file (file_sd_configs). */
export interface SdTargetGroup {
  /** host:port, as Prometheus expects. */
  targets: string[];
  labels: Record<string, string>;
}

/**
 * A PromQL label matcher for a classic histogram's `le` label at `seconds`. Exporters write the
 * shortest decimal (prom-client: "0.1", "2"); Prometheus 3 rewrites whole numbers as "2.0" when it
 * ingests them, so a whole number is matched either way.
 */
export function leMatcher(seconds: number): string {
  const text = String(seconds);
  return Number.isInteger(seconds) ? `le=~"${text}(\\\\.0)?"` : `le="${text}"`;
}
