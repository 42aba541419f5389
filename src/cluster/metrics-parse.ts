// Reading load from Prometheus text (control plane, pure core): the autoscaler's in-flight signal
// comes from each replica's /metrics (or the gateway's), whatever the exact gauge is called.

/**
 * Sums every sample of gauges named `serve_..._in_flight...` (any labels), skipping histogram and
 * counter series. Returns undefined when the text has no such gauge.
 */
export function inFlightFromMetrics(text: string): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.length === 0) continue;
    const m = /^(serve_[a-zA-Z0-9_]*in_flight[a-zA-Z0-9_]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const name = m[1]!;
    if (/_(bucket|sum|count|total|created)$/.test(name)) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    total = (total ?? 0) + value;
  }
  return total;
}
