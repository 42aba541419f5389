// A replica's own account of a request's stay (bench): its /metrics counters of infer requests
// (serve_replica_request_duration_seconds, from the moment the infer handler takes the request until
// it is answered: the same span as serve_replica_in_flight, the gauge the autoscaler reads), of the
// batch queue's wait and of the session's runs. Between two scrapes they give the mean stay and the
// part of it outside the batch queue and the session: the per-request handling time that
// `serve autoscale simulate --handling-ms` models.
import { request } from 'undici';

/** The counters of one scrape (seconds, counts). */
export interface StayCounters {
  staySumS: number;
  stayCount: number;
  queueSumS: number;
  queueCount: number;
  runSumS: number;
  runCount: number;
  rowsSum: number;
  /** serve_replica_in_flight at the scrape. */
  inFlight: number;
}

/** The figures between two scrapes of the same replica. */
export interface StayFigures {
  requests: number;
  /** Mean stay of an infer request, ms (rate × this is the time-averaged serve_replica_in_flight). */
  stayMs: number;
  /** Mean wait in the batch queue, ms. */
  queueMs: number;
  /** Mean run of the batch a request was in, ms (each batch weighed by its rows). */
  runMs: number;
  /** Mean rows per run. */
  batchRows: number;
  /** stay - queue - run: reading, parsing, answering and waiting for the CPU, ms. */
  handlingMs: number;
}

const value = (text: string, name: string): number => {
  let total = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+(\\S+)`, 'gm'))) total += Number(m[1]);
  return total;
};

/** Reads a replica's counters from its /metrics (an open path). */
export async function scrapeStay(replicaUrl: string): Promise<StayCounters> {
  const res = await request(`${replicaUrl}/metrics`);
  const text = await res.body.text();
  return {
    staySumS: value(text, 'serve_replica_request_duration_seconds_sum'),
    stayCount: value(text, 'serve_replica_request_duration_seconds_count'),
    queueSumS: value(text, 'serve_replica_queue_wait_seconds_sum'),
    queueCount: value(text, 'serve_replica_queue_wait_seconds_count'),
    runSumS: value(text, 'serve_replica_inference_duration_seconds_sum'),
    runCount: value(text, 'serve_replica_inference_duration_seconds_count'),
    rowsSum: value(text, 'serve_replica_batch_size_sum'),
    inFlight: value(text, 'serve_replica_in_flight'),
  };
}

/** The figures from scrape `a` to the later scrape `b`. */
export function stayBetween(a: StayCounters, b: StayCounters): StayFigures {
  const requests = b.stayCount - a.stayCount;
  const runs = b.runCount - a.runCount;
  const rows = b.rowsSum - a.rowsSum;
  const stayMs = ((b.staySumS - a.staySumS) * 1000) / Math.max(1, requests);
  const queueMs = ((b.queueSumS - a.queueSumS) * 1000) / Math.max(1, b.queueCount - a.queueCount);
  const batchRows = rows / Math.max(1, runs);
  // A request waits for its whole batch: the mean over requests weighs each run by its rows. The
  // histogram has only the mean run; with batches of about one row the two agree.
  const runMs = ((b.runSumS - a.runSumS) * 1000) / Math.max(1, runs);
  return { requests, stayMs, queueMs, runMs, batchRows, handlingMs: stayMs - queueMs - runMs };
}

/** One scrape of one replica, seconds on performance.now()'s clock. */
export interface StaySample {
  atS: number;
  id: string;
  counters: StayCounters;
}

/** Scrapes every ready replica's counters every `everyMs` while started. */
export class StayRecorder {
  readonly samples: StaySample[] = [];
  private timer: NodeJS.Timeout | undefined;

  start(replicas: () => ReadonlyArray<{ id: string; state: string; url?: string }>, everyMs = 1000): void {
    const scrape = () => {
      for (const r of replicas())
        if (r.state === 'ready' && r.url !== undefined)
          scrapeStay(r.url).then(
            (counters) => this.samples.push({ atS: performance.now() / 1000, id: r.id, counters }),
            () => undefined,
          );
    };
    scrape();
    this.timer = setInterval(scrape, everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * Replica `id`'s figures from its first scrape at or after `fromS` to its last at or before `toS`
 * (samples' clock); undefined when it has fewer than two scrapes there or answered nothing.
 */
export function stayIn(samples: readonly StaySample[], id: string, fromS: number, toS: number) {
  const mine = samples.filter((s) => s.id === id && s.atS >= fromS && s.atS <= toS).sort((a, b) => a.atS - b.atS);
  if (mine.length < 2) return undefined;
  const a = mine[0]!;
  const b = mine.at(-1)!;
  const f = stayBetween(a.counters, b.counters);
  return f.requests > 0 ? { ...f, fromS: a.atS, toS: b.atS, ratePerSec: f.requests / (b.atS - a.atS) } : undefined;
}

/**
 * The per-request main-thread time S of an M/D/1 queue (Poisson arrivals at `ratePerSec`) whose
 * mean time in the system is `stayMs`: S + rho S / (2 (1 - rho)) = stayMs, rho = rate × S.
 */
export function md1ServiceMs(ratePerSec: number, stayMs: number): number {
  const sojourn = (s: number) => {
    const rho = (ratePerSec * s) / 1000;
    return s + (rho * s) / (2 * (1 - rho));
  };
  let lo = 0;
  let hi = Math.min(stayMs, 1000 / ratePerSec);
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (sojourn(mid) < stayMs) lo = mid;
    else hi = mid;
  }
  return lo;
}
