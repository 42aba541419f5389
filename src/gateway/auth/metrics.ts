// Prometheus counters of the gateway's authentication and quotas (gateway, data plane), in the
// gateway's registry: labelled by token *name* (never the token), and by why a request was refused.
import { Counter, type Registry } from 'prom-client';

export class AuthMetrics {
  private readonly failures: Counter<'reason'>;
  private readonly admitted: Counter<'token'>;
  private readonly overQuota: Counter<'token'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.failures = new Counter({
      name: 'serve_gateway_auth_failures_total',
      help: 'Requests refused with 401, by reason (missing: no bearer token, invalid: a ' + 'token that matches none).',
      labelNames: ['reason'],
      registers,
    });
    this.admitted = new Counter({
      name: 'serve_gateway_token_requests_total',
      help: 'Requests let in, by the name of the token they carried.',
      labelNames: ['token'],
      registers,
    });
    this.overQuota = new Counter({
      name: 'serve_gateway_quota_rejections_total',
      help:
        'Requests refused with 429 because their token was over its requests_per_second ' +
        "and burst, by the token's name.",
      labelNames: ['token'],
      registers,
    });
  }

  refused(reason: 'missing' | 'invalid'): void {
    this.failures.labels(reason).inc();
  }

  admittedAs(name: string): void {
    this.admitted.labels(name).inc();
  }

  overQuotaAs(name: string): void {
    this.overQuota.labels(name).inc();
  }
}
