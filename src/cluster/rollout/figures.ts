// Per-version figures from the gateway's /metrics (control plane, pure): parses the per-version
// latency histogram and error counter, takes the difference of two scrapes (one step), and
// estimates percentiles by linear interpolation inside a bucket; each scrape's difference is one window
// of the judge's intervals.
import type { VersionFigures } from '../../common/rollout.js';
import type { RateWindow, WindowCounts } from '../../stats/index.js';

/** One version's cumulative counts at one scrape. */
export interface VersionCounts {
  /** [upper bound in ms, cumulative count], by bound; the last bound is +Inf. */
  buckets: Array<[number, number]>;
  count: number;
  errors: number;
}

export type MetricsSnapshot = Map<string, VersionCounts>;

const BUCKET = /^serve_gateway_version_request_duration_seconds_bucket\{([^}]*)\}\s+(\S+)/;
const ERRORS = /^serve_gateway_version_errors_total\{([^}]*)\}\s+(\S+)/;

/** The per-version counts in a Prometheus text exposition (empty when the gateway has none). */
export function parseVersionMetrics(text: string): MetricsSnapshot {
  const out: MetricsSnapshot = new Map();
  const entry = (v: string) => {
    let e = out.get(v);
    if (!e) out.set(v, (e = { buckets: [], count: 0, errors: 0 }));
    return e;
  };
  for (const line of text.split('\n')) {
    const b = BUCKET.exec(line);
    if (b) {
      const labels = parseLabels(b[1]!);
      if (labels.version === undefined || labels.le === undefined) continue;
      const le = labels.le === '+Inf' ? Infinity : Number(labels.le) * 1000;
      const e = entry(labels.version);
      e.buckets.push([le, Number(b[2])]);
      if (le === Infinity) e.count = Number(b[2]);
      continue;
    }
    const er = ERRORS.exec(line);
    if (er) {
      const v = parseLabels(er[1]!).version;
      if (v !== undefined) entry(v).errors = Number(er[2]);
    }
  }
  for (const e of out.values()) e.buckets.sort((a, b) => a[0] - b[0]);
  return out;
}

function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/(\w+)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

/**
 * What `version` did between two scrapes. A counter that went down (the gateway restarted) makes
 * the later scrape the whole step.
 */
export function stepCounts(before: MetricsSnapshot, after: MetricsSnapshot, version: string): VersionCounts {
  const a = after.get(version) ?? { buckets: [], count: 0, errors: 0 };
  const b = before.get(version);
  if (!b || b.count > a.count || b.errors > a.errors) return a;
  const prior = new Map(b.buckets);
  return {
    buckets: a.buckets.map(([le, c]) => [le, c - (prior.get(le) ?? 0)]),
    count: a.count - b.count,
    errors: a.errors - b.errors,
  };
}

/** Percentile q (0..1) in ms from cumulative buckets, interpolated inside its bucket; undefined when empty. */
export function percentileMs(c: VersionCounts, q: number): number | undefined {
  if (c.count <= 0) return undefined;
  const rank = q * c.count;
  let lowerMs = 0;
  let lowerCount = 0;
  for (const [le, cum] of c.buckets) {
    if (cum >= rank && cum > lowerCount) {
      // Past the last finite bound nothing is known but the bound itself.
      if (le === Infinity) return lowerMs;
      return lowerMs + ((rank - lowerCount) / (cum - lowerCount)) * (le - lowerMs);
    }
    if (le !== Infinity) lowerMs = le;
    lowerCount = cum;
  }
  return lowerMs;
}

/** The figures the judge reads, from one step's counts. */
export function figuresOf(c: VersionCounts): VersionFigures {
  const f: VersionFigures = { count: c.count, errors: c.errors };
  const set = (k: 'p50Ms' | 'p90Ms' | 'p95Ms' | 'p99Ms', q: number) => {
    const v = percentileMs(c, q);
    if (v !== undefined) f[k] = Math.round(v * 100) / 100;
  };
  set('p50Ms', 0.5);
  set('p90Ms', 0.9);
  set('p95Ms', 0.95);
  set('p99Ms', 0.99);
  return f;
}

/**
 * One window of a version for the judge, from the counts between two scrapes: each bucket's own
 * count at its upper bound (as an HDR bucket's highest equivalent value), the +Inf bucket at the
 * last finite bound; and the window's answers and failures.
 */
export function windowOf(c: VersionCounts): { latency: WindowCounts; rate: RateWindow } {
  const valuesMs: number[] = [];
  const counts: number[] = [];
  let below = 0;
  let lastFiniteMs = 0;
  for (const [le, cum] of c.buckets) {
    const own = cum - below;
    below = cum;
    const at = le === Infinity ? lastFiniteMs : le;
    if (le !== Infinity) lastFiniteMs = le;
    if (own <= 0) continue;
    if (valuesMs.length > 0 && valuesMs[valuesMs.length - 1] === at) counts[counts.length - 1]! += own;
    else {
      valuesMs.push(at);
      counts.push(own);
    }
  }
  return { latency: { valuesMs, counts }, rate: { ok: Math.max(0, c.count - c.errors), errors: c.errors } };
}
