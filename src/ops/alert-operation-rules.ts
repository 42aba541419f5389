// Alerting rules on how the cluster runs (ops, pure): targets down, failing health checks, crash
// loops, autoscaling at its maximum, shedding and an expiring TLS certificate.
import { SD_LABELS } from '../common/monitoring.js';
import { formatDuration } from '../profile/fields/fields.js';
import { ALERT_THRESHOLDS, pct, RUNBOOK_DOC, type AlertRule, type RuleContext } from './alert-context.js';

export function targetDownRule(p: RuleContext): AlertRule {
  return p.rule('ServeTargetDown', `up{${p.sel}} == 0`, '1m', 'critical', {
    summary: `Prometheus cannot scrape the {{ $labels.${SD_LABELS.component} }} of ` + `${p.profile.name}`,
    description:
      `{{ $labels.${SD_LABELS.component} }} {{ $labels.${SD_LABELS.replica} }} at {{ ` +
      `$labels.instance }} has not answered /metrics for a minute.`,
    runbook:
      `Run \`serve status\`: a replica that stays down is restarted by the controller ` +
      `(see ServeReplicaCrashLoop); the gateway or the controller down means the ` +
      `cluster is down (\`serve logs\`); see ${RUNBOOK_DOC}.`,
  });
}

export function healthRule(p: RuleContext): AlertRule {
  const n = p.profile.health.failureThreshold;
  return p.rule(
    'ServeHealthChecksFailing',
    `increase(serve_controller_health_check_failures_total{${p.sel}}[10m]) > 0`,
    '0m',
    'warning',
    {
      summary: `Replicas of ${p.profile.name} fail their health checks`,
      description:
        `{{ $value | humanize }} time(s) in the last 10 minutes a replica was found ` +
        `unhealthy and replaced: ${n} failed readiness probes in a row ` +
        `(health.failure_threshold), not ready within health.startup_timeout, or over ` +
        `resources.memory.`,
      runbook:
        `\`serve logs replica-N\` around that time: a replica that hangs or answers ` +
        `/v2/health/ready slowly under load needs more CPU or a longer health.timeout; ` +
        `see ${RUNBOOK_DOC}.`,
    },
  );
}

export function crashLoopRule(p: RuleContext): AlertRule {
  const r = p.profile.restart;
  return p.rule('ServeReplicaCrashLoop', `serve_controller_replicas{${p.sel},state="failed"} > 0`, '0m', 'critical', {
    summary: `Replicas of ${p.profile.name} are in a crash loop`,
    description:
      `{{ $value }} replica(s) failed ${r.crashLoopFailures} times within ` +
      `${formatDuration(r.crashLoopWindowMs)} and are not restarted until ` +
      `restart.failed_retry (${formatDuration(r.failedRetryMs)}).`,
    runbook:
      `\`serve status\` shows each failed replica with its last error; fix the cause ` +
      `(model file, memory limit, port) and \`serve scale\` or wait for the retry; see ` +
      `${RUNBOOK_DOC}.`,
  });
}

export function autoscalingRule(p: RuleContext, skipped: string[]): AlertRule | undefined {
  const { min, max } = p.profile.replicas;
  if (!p.profile.autoscaling.enabled || min === max) {
    skipped.push('no autoscaling rule: autoscaling is off or replicas.min equals replicas.max');
    return undefined;
  }
  const expr = `serve_controller_replicas_desired{${p.sel}} >= serve_controller_replicas_max{` + `${p.sel}}`;
  return p.rule('ServeAutoscalingAtMaximum', expr, '10m', 'warning', {
    summary: `${p.profile.name} has run at its most replicas (${max}) for 10 minutes`,
    description:
      `The autoscaler has wanted {{ $value }} replicas, replicas.max of ` +
      `${p.profile.name}, for 10 minutes: more load would queue or be shed.`,
    runbook:
      `Raise replicas.max (and check the hosts have room: \`serve status\` lists ` +
      `pending replicas), or move load elsewhere; see ${RUNBOOK_DOC}.`,
  });
}

export function sheddingRule(p: RuleContext): AlertRule {
  const share = ALERT_THRESHOLDS.shedShare;
  return p.rule('ServeShedding', `${p.answers('503|429')} / ${p.answers()} > ${share}`, '5m', 'warning', {
    summary: `${p.profile.name} sheds more than ${pct(share)} of requests (503 or 429)`,
    description:
      `{{ $value | humanizePercentage }} of the gateway's answers over the last ` +
      `${ALERT_THRESHOLDS.window} were 503 (overload) or 429 (a token over its quota).`,
    runbook:
      `serve_gateway_shed_total{reason} says why the gateway shed, ` +
      `serve_gateway_quota_rejections_total{token} which client is over its quota; add ` +
      `replicas or raise that token's requests_per_second; see ${RUNBOOK_DOC}.`,
  });
}

export function tlsExpiryRule(p: RuleContext): AlertRule {
  const limitS = ALERT_THRESHOLDS.tlsExpirySeconds;
  const days = limitS / 86_400;
  return p.rule(
    'ServeTlsCertificateExpiresSoon',
    `serve_gateway_tls_cert_expiry_timestamp_seconds{${p.sel}} - time() < ${limitS}`,
    '10m',
    'warning',
    {
      summary: `The gateway of ${p.profile.name} presents a TLS certificate that expires ` + `within ${days} days`,
      description:
        `The certificate of the gateway at {{ $labels.instance }} expires in {{ $value | ` +
        `humanizeDuration }} (a negative figure: it has expired). Only a gateway with ` +
        `TLS exports this series.`,
      runbook:
        `Renew the certificate in place (gateway.tls.cert and gateway.tls.key) and send ` +
        `SIGHUP to the gateway (or to the controller, which passes it on); an expired or ` +
        `not yet valid file is refused and the old one kept, so check \`serve logs ` +
        `gateway\`; see ${RUNBOOK_DOC}.`,
    },
  );
}
