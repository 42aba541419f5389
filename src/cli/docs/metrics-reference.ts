// docs/reference/metrics.md (cli docs): every Prometheus metric of the gateway, the replicas and the
// controller, read from their registries built without a server (each folder's metrics-catalog.ts).
import { SD_LABELS, type MetricInfo } from '../../common/monitoring.js';
import { controllerMetricCatalog } from '../../cluster/monitoring/index.js';
import { gatewayMetricCatalog } from '../../gateway/metrics-catalog.js';
import { replicaMetricCatalog } from '../../replica/metrics-catalog.js';
import { code, pageHead, table } from './markdown.js';

export function renderMetricsReference(): string {
  const section = (title: string, intro: string, metrics: MetricInfo[]) =>
    `## ${title}\n\n${intro}\n\n` +
    table(
      ['Metric', 'Type', 'Labels', 'Help'],
      metrics.map((m) => [code(m.name), m.type, m.labels.map(code).join(', '), m.help]),
    );
  return [
    pageHead(
      'Metrics reference',
      'the prom-client registries of the gateway, the replica and the controller ' + '(src/*/metrics-catalog.ts)',
    ),
    'Every component serves Prometheus text at `GET /metrics`; names start with ' +
      '`serve_`, durations are in seconds. ' +
      `Through the service discovery file \`serve up\` writes, Prometheus adds ` +
      `${code(SD_LABELS.profile)} and ${code(SD_LABELS.component)} to every series, ` +
      `and ${code(SD_LABELS.replica)} to a replica's.\n`,
    section(
      'Gateway',
      'The cache, auth, quota, external/fallback and shadow series appear only when ' + 'those features are on.',
      gatewayMetricCatalog(),
    ),
    section(
      'Replica',
      "Each replica also exports prom-client's process and Node.js metrics, prefixed " +
        '`serve_replica_` (they vary by platform and are not listed).',
      replicaMetricCatalog(),
    ),
    section(
      'Controller',
      'The controller (`serve up`) serves its own `/metrics` on loopback ' +
        '(`controller.metrics_port`; `serve status` shows the URL).',
      controllerMetricCatalog(),
    ),
  ].join('\n');
}
