// Prometheus alerting rules from a profile's targets (ops, pure): latency, errors, throughput,
// resources, health, crash loops, autoscaling and shedding, each with a summary, a description that
// carries the figure, and a runbook line. Rendering to YAML is alert-yaml.ts.
import { leMatcher, SD_LABELS } from '../common/monitoring.js';
import { CERT_EXPIRY_WARNING_MS } from '../common/tls-expiry.js';
import { formatBytes } from '../common/units.js';
import type { Profile } from '../profile/types.js';
import { formatDuration } from '../profile/fields.js';

/** One alerting rule as Prometheus reads it (`for` is a Prometheus duration such as "5m"). */
export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: 'critical' | 'warning'; [name: string]: string };
  annotations: { summary: string; description: string; runbook: string };
}

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

/** The rules of one profile and the alerts left out (with why). */
export interface AlertRuleSet {
  profile: string;
  groups: RuleGroup[];
  /** "no throughput rule: slo.throughput.minimum is not set" ... */
  skipped: string[];
}

/** Thresholds that are not in the profile, documented in docs/guide/monitoring.md (Alerts). */
export const ALERT_THRESHOLDS = {
  /** The design's "latency over target for more than 5% of requests" (the p99 target itself allows 1%). */
  slowShare: 0.05,
  cpuRatio: 0.85,
  memoryRatio: 0.9,
  gpuRatio: 0.8,
  /** Share of answers that are 503 (shed) or 429 (over a token's quota). */
  shedShare: 0.05,
  /** Window of every rate(). */
  window: '5m',
  /** A TLS certificate closer than this to its notAfter (the gateway warns at the same point). */
  tlsExpirySeconds: CERT_EXPIRY_WARNING_MS / 1000,
} as const;

/** Where every rule's runbook line points: the alerts section of the monitoring guide. */
const RUNBOOK_DOC = 'docs/guide/monitoring.md#alerts-serve-alerts';

/** Every rule for `profile`; a target the profile does not set gives no rule (listed in `skipped`). */
export function alertRules(profile: Profile): AlertRuleSet {
  const p = new RuleContext(profile);
  const skipped: string[] = [];
  const slo = [latencyRule(p, skipped), errorRateRule(p, skipped), throughputRule(p, skipped)];
  const resources = [cpuRule(p), memoryRule(p), gpuRule(p, skipped)];
  const operations = [targetDownRule(p), healthRule(p), crashLoopRule(p), autoscalingRule(p, skipped), sheddingRule(p), tlsExpiryRule(p)];
  const keep = (rules: Array<AlertRule | undefined>) => rules.filter((r): r is AlertRule => r !== undefined);
  return {
    profile: profile.name,
    groups: [
      { name: `serve-${profile.name}-slo`, rules: keep(slo) },
      { name: `serve-${profile.name}-resources`, rules: keep(resources) },
      { name: `serve-${profile.name}-operations`, rules: keep(operations) },
    ],
    skipped,
  };
}

/** What every rule needs: the profile, its label selector, and a rule builder. */
class RuleContext {
  /** `profile="market-hours"`: the label the service discovery file puts on every series of the cluster. */
  readonly sel: string;
  constructor(readonly profile: Profile) {
    this.sel = `${SD_LABELS.profile}="${profile.name}"`;
  }

  rule(alert: string, expr: string, forDuration: string, severity: 'critical' | 'warning', a: AlertRule['annotations']): AlertRule {
    return { alert, expr, for: forDuration, labels: { severity, [SD_LABELS.profile]: this.profile.name }, annotations: a };
  }

  /** Per-second rate of the gateway's answers with a status matching `codes` (a regex), or all. */
  answers(codes?: string): string {
    const code = codes === undefined ? '' : `,code=~"${codes}"`;
    return `sum(rate(serve_gateway_requests_total{${this.sel}${code}}[${ALERT_THRESHOLDS.window}]))`;
  }
}

const pct = (f: number) => `${+(f * 100).toFixed(3)}%`;

function latencyRule(p: RuleContext, skipped: string[]): AlertRule | undefined {
  const targetMs = p.profile.slo.p99Ms;
  if (targetMs === undefined) {
    skipped.push('no latency rule: slo.p99 is not set');
    return undefined;
  }
  const w = ALERT_THRESHOLDS.window;
  const count = `sum(rate(serve_gateway_request_duration_seconds_count{${p.sel}}[${w}]))`;
  const fast = `sum(rate(serve_gateway_request_duration_seconds_bucket{${p.sel},${leMatcher(targetMs / 1000)}}[${w}]))`;
  const target = formatDuration(targetMs);
  return p.rule('ServeLatencyAboveTarget', `(${count} - ${fast}) / ${count} > ${ALERT_THRESHOLDS.slowShare}`, '5m', 'critical', {
    summary: `More than ${pct(ALERT_THRESHOLDS.slowShare)} of requests to ${p.profile.name} are slower than the p99 target ${target}`,
    description: `{{ $value | humanizePercentage }} of the requests through the gateway took longer than ${target} over the last ${w} (p99 target ${target} allows 1%; this alert fires above ${pct(ALERT_THRESHOLDS.slowShare)}).`,
    runbook: `Check \`serve status\` (replicas ready, CPU%, in-flight) and the gateway's queue (serve_gateway_queued_requests); add replicas (\`serve scale N\`, or raise replicas.max) or lower batching.batch_wait_timeout; see ${RUNBOOK_DOC}.`,
  });
}

function errorRateRule(p: RuleContext, skipped: string[]): AlertRule | undefined {
  const limit = p.profile.slo.errorRate;
  if (limit === undefined) {
    skipped.push('no error-rate rule: slo.error_rate is not set');
    return undefined;
  }
  return p.rule('ServeErrorRateHigh', `${p.answers('5..')} / ${p.answers()} > ${limit}`, '2m', 'critical', {
    summary: `${p.profile.name} answers more than ${pct(limit)} of requests with a 5xx error`,
    description: `{{ $value | humanizePercentage }} of the gateway's answers over the last ${ALERT_THRESHOLDS.window} were 5xx errors (slo.error_rate ${pct(limit)}).`,
    runbook: `Look at serve_gateway_requests_total by code and \`serve logs gateway\`: 502/504 point at failing replicas (\`serve logs replica-N\`), 503 at overload (see ServeShedding); see ${RUNBOOK_DOC}.`,
  });
}

function throughputRule(p: RuleContext, skipped: string[]): AlertRule | undefined {
  const min = p.profile.slo.minRps;
  if (min === undefined) {
    skipped.push('no throughput rule: slo.throughput.minimum is not set');
    return undefined;
  }
  // With no 2xx answer at all there is no such series: count 0 while the gateway target exists.
  const expr = `(${p.answers('2..')} or sum(up{${p.sel},${SD_LABELS.component}="gateway"}) * 0) < ${min}`;
  return p.rule('ServeThroughputBelowMinimum', expr, '5m', 'warning', {
    summary: `${p.profile.name} serves fewer than ${min} successful requests per second`,
    description: `The gateway answered {{ $value | humanize }} successful requests per second over the last ${ALERT_THRESHOLDS.window} (slo.throughput.minimum ${min} req/s).`,
    runbook: `Check that clients reach the gateway and that it answers (\`serve status\`, \`serve bench --profile ${p.profile.name}\`); a drop with errors points at ServeErrorRateHigh; see ${RUNBOOK_DOC}.`,
  });
}

function cpuRule(p: RuleContext): AlertRule {
  const cpus = p.profile.resources.cpus;
  return p.rule('ServeReplicaCpuHigh', `serve_controller_replica_cpu_usage_ratio{${p.sel}} > ${ALERT_THRESHOLDS.cpuRatio}`, '5m', 'warning', {
    summary: `Replica {{ $labels.replica }} of ${p.profile.name} uses more than ${pct(ALERT_THRESHOLDS.cpuRatio)} of its CPUs`,
    description: `{{ $labels.replica }} used {{ $value | humanizePercentage }} of its ${cpus} CPU(s) (resources.cpus) for 5 minutes.`,
    runbook: `Add replicas (\`serve scale N\`) or give each more CPUs (resources.cpus, runtime.threads); \`serve status\` shows CPU% per replica; see ${RUNBOOK_DOC}.`,
  });
}

function memoryRule(p: RuleContext): AlertRule {
  const limit = formatBytes(p.profile.resources.memoryBytes);
  return p.rule('ServeReplicaMemoryHigh', `serve_controller_replica_memory_usage_ratio{${p.sel}} > ${ALERT_THRESHOLDS.memoryRatio}`, '5m', 'warning', {
    summary: `Replica {{ $labels.replica }} of ${p.profile.name} uses more than ${pct(ALERT_THRESHOLDS.memoryRatio)} of its memory`,
    description: `{{ $labels.replica }} has an RSS of {{ $value | humanizePercentage }} of resources.memory (${limit}); at 100% the controller replaces it.`,
    runbook: `Raise resources.memory or lower batching.max_batch_size; a steady climb is a leak worth a bug report (\`serve logs {{ $labels.replica }}\`); see ${RUNBOOK_DOC}.`,
  });
}

function gpuRule(p: RuleContext, skipped: string[]): AlertRule | undefined {
  if (p.profile.resources.gpus <= 0) {
    skipped.push('no GPU rule: resources.gpus is 0');
    return undefined;
  }
  return p.rule('ServeGpuBusy', `serve_controller_gpu_utilization_ratio{${p.sel}} > ${ALERT_THRESHOLDS.gpuRatio}`, '5m', 'warning', {
    summary: `A GPU of ${p.profile.name} is busier than ${pct(ALERT_THRESHOLDS.gpuRatio)}`,
    description: `GPU {{ $labels.gpu }} was busy {{ $value | humanizePercentage }} of the time for 5 minutes. (Nothing exports this series yet: until a GPU reader does, this rule never fires.)`,
    runbook: `Spread replicas over more GPUs (resources.gpus per replica, more hosts) or add replicas on CPU; see ${RUNBOOK_DOC}.`,
  });
}

function targetDownRule(p: RuleContext): AlertRule {
  return p.rule('ServeTargetDown', `up{${p.sel}} == 0`, '1m', 'critical', {
    summary: `Prometheus cannot scrape the {{ $labels.${SD_LABELS.component} }} of ${p.profile.name}`,
    description: `{{ $labels.${SD_LABELS.component} }} {{ $labels.${SD_LABELS.replica} }} at {{ $labels.instance }} has not answered /metrics for a minute.`,
    runbook: `Run \`serve status\`: a replica that stays down is restarted by the controller (see ServeReplicaCrashLoop); the gateway or the controller down means the cluster is down (\`serve logs\`); see ${RUNBOOK_DOC}.`,
  });
}

function healthRule(p: RuleContext): AlertRule {
  const n = p.profile.health.failureThreshold;
  return p.rule('ServeHealthChecksFailing', `increase(serve_controller_health_check_failures_total{${p.sel}}[10m]) > 0`, '0m', 'warning', {
    summary: `Replicas of ${p.profile.name} fail their health checks`,
    description: `{{ $value | humanize }} time(s) in the last 10 minutes a replica was found unhealthy and replaced: ${n} failed readiness probes in a row (health.failure_threshold), not ready within health.startup_timeout, or over resources.memory.`,
    runbook: `\`serve logs replica-N\` around that time: a replica that hangs or answers /v2/health/ready slowly under load needs more CPU or a longer health.timeout; see ${RUNBOOK_DOC}.`,
  });
}

function crashLoopRule(p: RuleContext): AlertRule {
  const r = p.profile.restart;
  return p.rule('ServeReplicaCrashLoop', `serve_controller_replicas{${p.sel},state="failed"} > 0`, '0m', 'critical', {
    summary: `Replicas of ${p.profile.name} are in a crash loop`,
    description: `{{ $value }} replica(s) failed ${r.crashLoopFailures} times within ${formatDuration(r.crashLoopWindowMs)} and are not restarted until restart.failed_retry (${formatDuration(r.failedRetryMs)}).`,
    runbook: `\`serve status\` shows each failed replica with its last error; fix the cause (model file, memory limit, port) and \`serve scale\` or wait for the retry; see ${RUNBOOK_DOC}.`,
  });
}

function autoscalingRule(p: RuleContext, skipped: string[]): AlertRule | undefined {
  const { min, max } = p.profile.replicas;
  if (!p.profile.autoscaling.enabled || min === max) {
    skipped.push('no autoscaling rule: autoscaling is off or replicas.min equals replicas.max');
    return undefined;
  }
  const expr = `serve_controller_replicas_desired{${p.sel}} >= serve_controller_replicas_max{${p.sel}}`;
  return p.rule('ServeAutoscalingAtMaximum', expr, '10m', 'warning', {
    summary: `${p.profile.name} has run at its most replicas (${max}) for 10 minutes`,
    description: `The autoscaler has wanted {{ $value }} replicas, replicas.max of ${p.profile.name}, for 10 minutes: more load would queue or be shed.`,
    runbook: `Raise replicas.max (and check the hosts have room: \`serve status\` lists pending replicas), or move load elsewhere; see ${RUNBOOK_DOC}.`,
  });
}

function sheddingRule(p: RuleContext): AlertRule {
  const share = ALERT_THRESHOLDS.shedShare;
  return p.rule('ServeShedding', `${p.answers('503|429')} / ${p.answers()} > ${share}`, '5m', 'warning', {
    summary: `${p.profile.name} sheds more than ${pct(share)} of requests (503 or 429)`,
    description: `{{ $value | humanizePercentage }} of the gateway's answers over the last ${ALERT_THRESHOLDS.window} were 503 (overload) or 429 (a token over its quota).`,
    runbook: `serve_gateway_shed_total{reason} says why the gateway shed, serve_gateway_quota_rejections_total{token} which client is over its quota; add replicas or raise that token's requests_per_second; see ${RUNBOOK_DOC}.`,
  });
}

function tlsExpiryRule(p: RuleContext): AlertRule {
  const limitS = ALERT_THRESHOLDS.tlsExpirySeconds;
  const days = limitS / 86_400;
  return p.rule('ServeTlsCertificateExpiresSoon', `serve_gateway_tls_cert_expiry_timestamp_seconds{${p.sel}} - time() < ${limitS}`, '10m', 'warning', {
    summary: `The gateway of ${p.profile.name} presents a TLS certificate that expires within ${days} days`,
    description: `The certificate of the gateway at {{ $labels.instance }} expires in {{ $value | humanizeDuration }} (a negative figure: it has expired). Only a gateway with TLS exports this series.`,
    runbook: `Renew the certificate in place (gateway.tls.cert and gateway.tls.key) and send SIGHUP to the gateway (or to the controller, which passes it on); an expired or not yet valid file is refused and the old one kept, so check \`serve logs gateway\`; see ${RUNBOOK_DOC}.`,
  });
}
