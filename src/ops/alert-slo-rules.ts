// Alerting rules on a profile's targets (ops, pure): p99 latency, error rate and throughput.
import { leMatcher, SD_LABELS } from '../common/monitoring.js';
import { formatDuration } from '../profile/fields/fields.js';
import { ALERT_THRESHOLDS, pct, RUNBOOK_DOC, type AlertRule, type RuleContext } from './alert-context.js';

export function latencyRule(p: RuleContext, skipped: string[]): AlertRule | undefined {
  const targetMs = p.profile.slo.p99Ms;
  if (targetMs === undefined) {
    skipped.push('no latency rule: slo.p99 is not set');
    return undefined;
  }
  const w = ALERT_THRESHOLDS.window;
  const count = `sum(rate(serve_gateway_request_duration_seconds_count{${p.sel}}[${w}]))`;
  const fast =
    `sum(rate(serve_gateway_request_duration_seconds_bucket{${p.sel},` + `${leMatcher(targetMs / 1000)}}[${w}]))`;
  const target = formatDuration(targetMs);
  return p.rule(
    'ServeLatencyAboveTarget',
    `(${count} - ${fast}) / ${count} > ${ALERT_THRESHOLDS.slowShare}`,
    '5m',
    'critical',
    {
      summary:
        `More than ${pct(ALERT_THRESHOLDS.slowShare)} of requests to ${p.profile.name} ` +
        `are slower than the p99 target ${target}`,
      description:
        `{{ $value | humanizePercentage }} of the requests through the gateway took ` +
        `longer than ${target} over the last ${w} (p99 target ${target} allows 1%; this ` +
        `alert fires above ${pct(ALERT_THRESHOLDS.slowShare)}).`,
      runbook:
        `Check \`serve status\` (replicas ready, CPU%, in-flight) and the gateway's ` +
        `queue (serve_gateway_queued_requests); add replicas (\`serve scale N\`, or ` +
        `raise replicas.max) or lower batching.batch_wait_timeout; see ${RUNBOOK_DOC}.`,
    },
  );
}

export function errorRateRule(p: RuleContext, skipped: string[]): AlertRule | undefined {
  const limit = p.profile.slo.errorRate;
  if (limit === undefined) {
    skipped.push('no error-rate rule: slo.error_rate is not set');
    return undefined;
  }
  return p.rule('ServeErrorRateHigh', `${p.answers('5..')} / ${p.answers()} > ${limit}`, '2m', 'critical', {
    summary: `${p.profile.name} answers more than ${pct(limit)} of requests with a 5xx error`,
    description:
      `{{ $value | humanizePercentage }} of the gateway's answers over the last ` +
      `${ALERT_THRESHOLDS.window} were 5xx errors (slo.error_rate ${pct(limit)}).`,
    runbook:
      `Look at serve_gateway_requests_total by code and \`serve logs gateway\`: ` +
      `502/504 point at failing replicas (\`serve logs replica-N\`), 503 at overload ` +
      `(see ServeShedding); see ${RUNBOOK_DOC}.`,
  });
}

export function throughputRule(p: RuleContext, skipped: string[]): AlertRule | undefined {
  const min = p.profile.slo.minRps;
  if (min === undefined) {
    skipped.push('no throughput rule: slo.throughput.minimum is not set');
    return undefined;
  }
  // With no 2xx answer at all there is no such series: count 0 while the gateway target exists.
  const expr = `(${p.answers('2..')} or sum(up{${p.sel},${SD_LABELS.component}="gateway"}) * ` + `0) < ${min}`;
  return p.rule('ServeThroughputBelowMinimum', expr, '5m', 'warning', {
    summary: `${p.profile.name} serves fewer than ${min} successful requests per second`,
    description:
      `The gateway answered {{ $value | humanize }} successful requests per second ` +
      `over the last ${ALERT_THRESHOLDS.window} (slo.throughput.minimum ${min} req/s).`,
    runbook:
      `Check that clients reach the gateway and that it answers (\`serve status\`, ` +
      `\`serve bench --profile ${p.profile.name}\`); a drop with errors points at ` +
      `ServeErrorRateHigh; see ${RUNBOOK_DOC}.`,
  });
}
