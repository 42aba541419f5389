// Prometheus metrics of the gateway (gateway, data plane), one registry per gateway so several can
// run in one process (tests, the benchmark). Gauges are read at scrape time, not on the hot path.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StateCounts } from './upstream-set.js';

/**
 * Why the gateway answered 503 itself: its queue was full, the wait ahead would eat too much of the
 * request's budget, the request's budget ran out while the replicas were saturated (waiting for a
 * slot, or at a replica while others waited), no replica was available, or the gateway is draining.
 */
export type ShedReason = 'queue_full' | 'over_budget' | 'expired' | 'no_replica' | 'draining';
const shedReasons: readonly ShedReason[] = ['queue_full', 'over_budget', 'expired', 'no_replica', 'draining'];

/** What the gauges read when /metrics is scraped. */
export interface GaugeSource {
  inflight(): number;
  queued(): number;
  replicaCounts(): StateCounts;
}

/** Upper bounds of the request-duration buckets in seconds; GatewayMetrics adds one more (the p99 target). */
export const LATENCY_BUCKETS_S: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.08, 0.1, 0.2, 0.5, 1, 2.5,
];

/** The fixed buckets with `extraS` added in order (once, if it is not one of them already). */
export function latencyBuckets(extraS?: number): number[] {
  return [...new Set([...LATENCY_BUCKETS_S, ...(extraS === undefined ? [] : [extraS])])].sort((a, b) => a - b);
}

/**
 * Buckets (seconds) of the per-version histogram: 5% apart from 0.2 ms to 10 s (222 bounds, three
 * significant digits). A rollout judges the ratio of two versions' percentiles from them, so a
 * bucket must be much narrower than the regression it should see (20% by default): with 5% steps a
 * 1.3 ms p50 and a 1.7 ms one land eleven buckets apart, where 1 ms buckets put both in one.
 */
export const VERSION_BUCKETS_S: readonly number[] = logBucketsMs(0.2, 10_000, 1.05).map((ms) => ms / 1000);

/** Bounds from `fromMs`, each `step` times the last (rounded to three significant digits), up to `toMs`. */
export function logBucketsMs(fromMs: number, toMs: number, step: number): number[] {
  const out: number[] = [];
  for (let v = fromMs; v <= toMs; v *= step) out.push(Number(v.toPrecision(3)));
  return out;
}

/** Counters and histograms the request path updates. */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'code'>;
  private readonly byCode = new Map<number, Counter.Internal>();
  private readonly latency: Histogram;
  private readonly retries: Counter<'reason'>;
  private readonly retryConnect: Counter.Internal;
  private readonly retryShed: Counter.Internal;
  private readonly ejections: Counter;
  private readonly sheds = new Map<ShedReason, Counter.Internal>();
  private readonly versionLatency: Histogram<'version'>;
  private readonly versionErrors: Counter<'version'>;

  /** `latencyBucketS`: an extra histogram bucket boundary in seconds (the profile's p99 target). */
  constructor(source: GaugeSource, latencyBucketS?: number) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'serve_gateway_requests_total',
      help: 'Requests answered by the gateway, by HTTP status.',
      labelNames: ['code'],
      registers,
    });
    this.latency = new Histogram({
      name: 'serve_gateway_request_duration_seconds',
      help: 'Time from request arrival at the gateway to the end of its response, in seconds.',
      buckets: latencyBuckets(latencyBucketS),
      registers,
    });
    this.retries = new Counter({
      name: 'serve_gateway_retries_total',
      help:
        'Requests resent to a different replica, by reason (connect: the connection ' +
        'failed before a response; shed: the replica answered 503; version: a replica ' +
        'answered a 5xx of its own while another model version serves, during a rollout; ' +
        'timeout: the replica answered nothing at all for its try timeout).',
      labelNames: ['reason'],
      registers,
    });
    this.retryConnect = this.retries.labels('connect');
    this.retryShed = this.retries.labels('shed');
    const shed = new Counter({
      name: 'serve_gateway_shed_total',
      help:
        'Requests the gateway answered 503 itself, by reason (queue_full, over_budget: ' +
        'the wait ahead would take too much of the budget, expired: the budget ran out ' +
        'while the replicas were saturated, no_replica, draining).',
      labelNames: ['reason'],
      registers,
    });
    for (const r of shedReasons) this.sheds.set(r, shed.labels(r));
    this.versionLatency = new Histogram({
      name: 'serve_gateway_version_request_duration_seconds',
      labelNames: ['version'],
      buckets: [...VERSION_BUCKETS_S],
      registers,
      help:
        'Time from request arrival to the end of its response, in seconds, by the model ' +
        'version of the replica that answered (a rollout judges versions by it).',
    });
    this.versionErrors = new Counter({
      name: 'serve_gateway_version_errors_total',
      help: 'Requests a replica of this model version took that ended with a 5xx status.',
      labelNames: ['version'],
      registers,
    });
    this.ejections = new Counter({
      name: 'serve_gateway_ejections_total',
      help: 'Times a replica was ejected after consecutive failures.',
      registers,
    });
    new Gauge({
      name: 'serve_gateway_inflight_requests',
      help: 'Requests sent to replicas and not yet answered.',
      registers,
      collect() {
        this.set(source.inflight());
      },
    });
    new Gauge({
      name: 'serve_gateway_queued_requests',
      help: 'Requests waiting for a free replica slot.',
      registers,
      collect() {
        this.set(source.queued());
      },
    });
    new Gauge({
      name: 'serve_gateway_replicas',
      help: 'Replicas in the set, by state (ready, not_ready, ejected).',
      labelNames: ['state'],
      registers,
      collect() {
        const c = source.replicaCounts();
        for (const state of Object.keys(c) as (keyof StateCounts)[]) this.labels(state).set(c[state]);
      },
    });
  }

  /** Counts one answered request and its latency. */
  observe(status: number, seconds: number): void {
    let child = this.byCode.get(status);
    if (child === undefined) {
      child = this.requests.labels(String(status));
      this.byCode.set(status, child);
    }
    child.inc();
    this.latency.observe(seconds);
  }

  /** Counts one request a replica of `version` took (its answer, or the gateway's error after it). */
  observeVersion(version: string, status: number, seconds: number): void {
    this.versionLatency.labels(version).observe(seconds);
    if (status >= 500) this.versionErrors.labels(version).inc();
  }

  retried(reason: 'connect' | 'shed' | 'version' | 'timeout'): void {
    if (reason === 'version' || reason === 'timeout') this.retries.labels(reason).inc();
    else (reason === 'connect' ? this.retryConnect : this.retryShed).inc();
  }

  shed(reason: ShedReason): void {
    this.sheds.get(reason)!.inc();
  }

  ejected(): void {
    this.ejections.inc();
  }

  private tlsExpiry: Gauge | undefined;

  /**
   * Sets the notAfter of the certificate in use (seconds since the epoch). The gauge exists only
   * on a gateway with TLS: a 0 on a plain one would read as a certificate long expired.
   */
  setTlsCertExpiry(notAfterS: number): void {
    this.tlsExpiry ??= new Gauge({
      name: 'serve_gateway_tls_cert_expiry_timestamp_seconds',
      registers: [this.registry],
      help:
        'When the TLS certificate the gateway presents expires (its notAfter), in ' + 'seconds since the Unix epoch.',
    });
    this.tlsExpiry.set(notAfterS);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}
