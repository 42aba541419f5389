// KEDA ScaledObject for a schedule on KServe (export plane, pure): cron triggers hold each window's
// replica floor (prewarm included) in the schedule's time zone, and a Prometheus trigger scales on
// the requests in flight at Triton (Little's law on its request-duration counter) per replica.
import type { LoadedSchedule } from '../profile/schedule/load.js';
import type { MergedScaling } from './schedule-merge.js';
import type { ExportWarning } from './types.js';

/** Written as the Prometheus trigger's serverAddress; the warning says to replace it. */
export const PROMETHEUS_PLACEHOLDER = 'http://prometheus.REPLACE_ME.svc:9090';

/**
 * Average requests in flight at every Triton pod of `model` over `windowS` seconds: the request
 * durations completed per second (µs/s) divided by 1e6 is the mean number of requests inside.
 */
export function inflightQuery(model: string, windowS: number): string {
  return `sum(rate(nv_inference_request_duration_us{model="${model}"}[${windowS}s])) / 1000000`;
}

/** The ScaledObject that scales the KServe predictor Deployment `name`-predictor. */
export function scaledObject(
  name: string,
  model: string,
  s: LoadedSchedule,
  m: MergedScaling,
): { object: Record<string, unknown>; warnings: ExportWarning[] } {
  const warnings: ExportWarning[] = [];
  const secs = (ms: number) => Math.ceil(ms / 1000);
  for (const [field, ms] of [
    ['autoscaling.upscale_delay', m.upscaleDelayMs],
    ['autoscaling.downscale_delay', m.downscaleDelayMs],
  ] as const) {
    if (ms > 3_600_000)
      warnings.push({
        field,
        message: `the HPA's stabilization window is at most 3600s: ${secs(ms)}s is written as 3600`,
      });
  }
  warnings.push({
    field: 'KEDA prometheus trigger',
    message:
      `serverAddress is the placeholder ${PROMETHEUS_PLACEHOLDER}: point it at the ` +
      `Prometheus that scrapes the Triton pods (KServe annotates them for scraping on ` +
      `port 8002), and add a namespace matcher to the query if other namespaces serve ` +
      `a model named "${model}"`,
  });
  const cron = m.floors.filter((f) => f.replicas > m.minReplicas);
  for (const f of cron) {
    if (f.start === f.end)
      warnings.push({
        field: `schedule.windows[${f.window}]`,
        message:
          `the window covers the whole week: KEDA's cron trigger cannot start and end at ` +
          `the same time, so its floor of ${f.replicas} is not written; raise replicas.min ` +
          `of ${s.schedule.default} instead`,
      });
  }
  const object = {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: `${name}-predictor` },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `${name}-predictor` },
      pollingInterval: Math.max(1, secs(m.metricsIntervalMs)),
      minReplicaCount: m.minReplicas,
      maxReplicaCount: m.maxReplicas,
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: {
            scaleUp: { stabilizationWindowSeconds: Math.min(3600, secs(m.upscaleDelayMs)) },
            scaleDown: { stabilizationWindowSeconds: Math.min(3600, secs(m.downscaleDelayMs)) },
          },
        },
      },
      triggers: [
        ...cron
          .filter((f) => f.start !== f.end)
          .map((f) => ({
            type: 'cron',
            name: `${f.profile}-floor-${f.window}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-'),
            metadata: { timezone: f.timezone, start: f.start, end: f.end, desiredReplicas: String(f.replicas) },
          })),
        {
          type: 'prometheus',
          name: 'inflight-per-replica',
          metricType: 'AverageValue',
          metadata: {
            serverAddress: PROMETHEUS_PLACEHOLDER,
            query: inflightQuery(model, secs(m.lookbackMs)),
            threshold: String(m.targetOngoingRequests),
          },
        },
      ],
    },
  };
  return { object, warnings };
}
