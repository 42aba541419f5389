// Reading load from Prometheus text (control plane, pure core): the autoscaler's signal comes from
// each replica's /metrics (requests in flight, queue depth) and the gateway's (requests queued for
// a free replica, and its request-duration histogram).
import type { HistogramSnapshot } from './latency-window.js';

/** Sum of every sample of gauges whose name matches `name` (any labels), skipping histogram and counter series. */
function sumGauges(text: string, name: RegExp): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.length === 0) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || !name.test(m[1]!) || /_(bucket|sum|count|total|created)$/.test(m[1]!)) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    total = (total ?? 0) + value;
  }
  return total;
}

/**
 * Sums every sample of gauges named `serve_..._in_flight...` (any labels), skipping histogram and
 * counter series. Returns undefined when the text has no such gauge.
 */
export function inFlightFromMetrics(text: string): number | undefined {
  return sumGauges(text, /^serve_[a-zA-Z0-9_]*in_flight[a-zA-Z0-9_]*$/);
}

/** A replica's requests waiting in its batch queue (serve_replica_queue_depth); 0 when it has no such gauge. */
export function queueDepthFromMetrics(text: string): number {
  return sumGauges(text, /^serve_replica_queue_depth$/) ?? 0;
}

/** What the autoscaler reads from the gateway's /metrics. */
export interface GatewayReading {
  /** Requests waiting at the gateway for a free replica slot (serve_gateway_queued_requests). */
  queued: number;
  /** serve_gateway_request_duration_seconds as scraped, in ms; undefined when absent. */
  latency: HistogramSnapshot | undefined;
}

/** Reads the gateway's queue gauge and request-duration histogram; undefined when it has neither. */
export function gatewayReading(text: string): GatewayReading | undefined {
  const queued = sumGauges(text, /^serve_gateway_queued_requests$/);
  const buckets: Array<[number, number]> = [];
  for (const line of text.split('\n')) {
    const m = /^serve_gateway_request_duration_seconds_bucket\{(?:[^}]*,)?le="([^"]+)"[^}]*\}\s+(\S+)/.exec(line);
    if (!m) continue;
    const le = m[1] === '+Inf' ? Infinity : Number(m[1]);
    const n = Number(m[2]);
    if (!Number.isNaN(le) && Number.isFinite(n)) buckets.push([le, n]);
  }
  if (queued === undefined && buckets.length === 0) return undefined;
  buckets.sort((a, b) => a[0] - b[0]);
  const latency =
    buckets.length > 0 && buckets.at(-1)![0] === Infinity
      ? { boundsMs: buckets.slice(0, -1).map(([le]) => le * 1000), cumulative: buckets.map(([, n]) => n) }
      : undefined;
  return { queued: queued ?? 0, latency };
}
