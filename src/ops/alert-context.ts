// What every alerting rule is built from (ops, pure): the rule's shape, the thresholds not in the
// profile, the runbook link and the per-profile rule context.
import { SD_LABELS } from '../common/monitoring.js';
import { CERT_EXPIRY_WARNING_MS } from '../common/tls-expiry.js';
import type { Profile } from '../profile/types.js';

/** One alerting rule as Prometheus reads it (`for` is a Prometheus duration such as "5m"). */
export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: 'critical' | 'warning'; [name: string]: string };
  annotations: { summary: string; description: string; runbook: string };
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
export const RUNBOOK_DOC = 'docs/guide/monitoring.md#alerts-serve-alerts';

/** What every rule needs: the profile, its label selector, and a rule builder. */
export class RuleContext {
  /** `profile="market-hours"`: the label the service discovery file puts on every series of the cluster. */
  readonly sel: string;
  constructor(readonly profile: Profile) {
    this.sel = `${SD_LABELS.profile}="${profile.name}"`;
  }

  rule(
    alert: string,
    expr: string,
    forDuration: string,
    severity: 'critical' | 'warning',
    a: AlertRule['annotations'],
  ): AlertRule {
    return {
      alert,
      expr,
      for: forDuration,
      labels: { severity, [SD_LABELS.profile]: this.profile.name },
      annotations: a,
    };
  }

  /** Per-second rate of the gateway's answers with a status matching `codes` (a regex), or all. */
  answers(codes?: string): string {
    const code = codes === undefined ? '' : `,code=~"${codes}"`;
    return `sum(rate(serve_gateway_requests_total{${this.sel}${code}}[` + `${ALERT_THRESHOLDS.window}]))`;
  }
}

export const pct = (f: number) => `${+(f * 100).toFixed(3)}%`;
