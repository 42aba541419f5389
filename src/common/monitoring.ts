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

/** One Prometheus metric as the reference documents it (read from a component's registry). */
export interface MetricInfo {
  component: MonitoredComponent;
  name: string;
  type: string;
  help: string;
  /** Label names, the registry's default labels first. */
  labels: string[];
}

/** What `describeMetrics` reads of a prom-client Registry (structural, so common/ needs no prom-client). */
export interface RegistryLike {
  getMetricsAsArray(): ReadonlyArray<{ name: string; help: string; type?: unknown; labelNames?: readonly string[] }>;
}

/**
 * The metrics registered in `registry`, sorted by name; `defaultLabels` are the labels the registry
 * adds to every series, `skip` drops names (prom-client's process and Node.js defaults).
 */
export function describeMetrics(
  registry: RegistryLike,
  component: MonitoredComponent,
  defaultLabels: readonly string[] = [],
  skip: (name: string) => boolean = () => false,
): MetricInfo[] {
  return registry
    .getMetricsAsArray()
    .filter((m) => !skip(m.name))
    .map((m) => ({
      component,
      name: m.name,
      type: String(m.type),
      help: m.help,
      labels: [...defaultLabels, ...(m.labelNames ?? [])],
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
