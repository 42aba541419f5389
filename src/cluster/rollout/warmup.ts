// Warming a rollout's new replicas before they are judged (control plane): synthetic requests, as
// Triton's model warmup sends, in rounds until a round's median latency settles, so the first
// requests and first batches of a cold replica (lazy compilation, first allocations) are never
// samples of a step. The rule and the request body are pure; the shell (warmReplicas) sends rounds
// through the host's `infer` and reads time from the injected clock.
import type { Clock } from '../../common/clock.js';

export interface WarmupRule {
  /** Requests a round, one after another. */
  roundRequests: number;
  /** Two rounds in a row whose medians differ by at most this fraction (or 0.05 ms) have settled. */
  settleFraction: number;
  minRounds: number;
  maxRounds: number;
  /** The most a replica's warmup may take. */
  maxMs: number;
}

/**
 * At least 500 requests (V8 compiles a replica's request path to optimized code only after some
 * hundreds of calls: a replica warmed by 50 was 1.4-1.9x slower at p50 than its old twin through
 * a whole step on the busy 2-core machine), at most 5 s: a model that answers in tens of ms gets
 * fewer, rather than holding the rollout for 500 of its answers.
 */
export const WARMUP: WarmupRule = {
  roundRequests: 20,
  settleFraction: 0.1,
  minRounds: 25,
  maxRounds: 60,
  maxMs: 5000,
};

/** Below this two medians count as equal whatever their ratio (timer resolution on a sub-ms model). */
const SETTLED_FLOOR_MS = 0.05;

/** True once the last two round medians agree within the rule (after minRounds rounds). */
export function settled(roundMediansMs: readonly number[], rule: WarmupRule = WARMUP): boolean {
  const n = roundMediansMs.length;
  if (n < Math.max(2, rule.minRounds)) return false;
  const a = roundMediansMs[n - 2]!;
  const b = roundMediansMs[n - 1]!;
  return Math.abs(b - a) <= Math.max(SETTLED_FLOOR_MS, rule.settleFraction * Math.min(a, b));
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? 0 : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One input of the model's OIP metadata (GET /v2/models/NAME/versions/V). */
interface InputMeta {
  name: string;
  datatype: string;
  shape: number[];
}

const NUMERIC = new Set([
  'FP32',
  'FP64',
  'FP16',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
]);

/**
 * A JSON infer request of zeros shaped from the model's metadata (dynamic dimensions as 1), or
 * undefined when an input is not numeric (strings, booleans: warmup is then skipped, and says so).
 */
export function warmupBody(metadataJson: string): string | undefined {
  let meta: { inputs?: InputMeta[] };
  try {
    meta = JSON.parse(metadataJson) as typeof meta;
  } catch {
    return undefined;
  }
  if (!Array.isArray(meta.inputs) || meta.inputs.length === 0) return undefined;
  const inputs = [];
  for (const t of meta.inputs) {
    if (!NUMERIC.has(t.datatype) || !Array.isArray(t.shape)) return undefined;
    const shape = t.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const size = shape.reduce((a, b) => a * b, 1);
    if (size > 1_000_000) return undefined;
    inputs.push({ name: t.name, shape, datatype: t.datatype, data: new Array<number>(size).fill(0) });
  }
  return JSON.stringify({ inputs });
}

/** What warming one replica needs: one infer request, resolving with its status. */
export interface WarmTarget {
  id: string;
  infer(): Promise<{ ok: boolean; error?: string }>;
}

export interface WarmResult {
  id: string;
  requests: number;
  /** The last round's median, in ms (undefined when no request succeeded). */
  settledMs?: number;
  settled: boolean;
  error?: string;
}

/** Per warmup request: a replica that takes longer is not warm, and the warmup line says so. */
export const WARM_REQUEST_TIMEOUT_MS = 5000;

/**
 * Warms `target` by rounds until its latency settles, `rule.maxMs` passes, `stop` aborts, or a
 * request fails. Both are checked before each request, so a warmup ends within `rule.maxMs` plus
 * the one request in flight (at most WARM_REQUEST_TIMEOUT_MS), even when a round is slow.
 */
export async function warmReplica(
  target: WarmTarget,
  clock: Clock,
  rule: WarmupRule = WARMUP,
  stop?: AbortSignal,
): Promise<WarmResult> {
  const endsAtMs = clock.nowMs() + rule.maxMs;
  const more = () => clock.nowMs() < endsAtMs && !stop?.aborted;
  const medians: number[] = [];
  let requests = 0;
  let last: number | undefined;
  while (medians.length < rule.maxRounds && more()) {
    const took: number[] = [];
    for (let i = 0; i < rule.roundRequests && more(); i++) {
      const t0 = clock.nowMs();
      const r = await target.infer();
      requests++;
      if (!r.ok) return { id: target.id, requests, settled: false, error: r.error ?? 'failed' };
      took.push(clock.nowMs() - t0);
    }
    last = median(took);
    // A round cut short (time limit, stop) is not compared: the warmup ends unsettled.
    if (took.length < rule.roundRequests) break;
    medians.push(last);
    if (settled(medians, rule)) return { id: target.id, requests, settledMs: last, settled: true };
  }
  return { id: target.id, requests, settled: false, ...(last !== undefined ? { settledMs: last } : {}) };
}

/** "warmed 2 replicas of version 2 (40 and 50 requests; settled at 1.31 and 1.28 ms)". */
export function warmupLine(version: number, results: readonly WarmResult[]): string {
  if (results.length === 0) return `version ${version}: no replica to warm`;
  const failed = results.filter((r) => r.error !== undefined);
  const parts = results.map(
    (r) =>
      `${r.id} ${r.requests} requests, ` +
      (r.error !== undefined
        ? `failed: ${r.error}`
        : `${r.settled ? 'settled' : 'not settled'} at ${(r.settledMs ?? 0).toFixed(2)} ms`),
  );
  return (
    `warmed ${results.length} replica${results.length === 1 ? '' : 's'} of version ${version}` +
    `${failed.length ? ` (${failed.length} failed a warmup request)` : ''}: ${parts.join('; ')}`
  );
}
