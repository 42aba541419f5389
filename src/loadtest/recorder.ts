// What one measured phase saw (loadtest): latency and service-time histograms, counts, errors by
// class, and, when an HDR log wants it, a per-interval histogram. Constant memory.
import {
  bucketsOf,
  decodeHistogram,
  newHistogram,
  recordMs,
  encodeHistogram,
  summarize,
  type Histogram,
} from './histogram.js';
import { PerSecondSeries, mergeSeries, type SecondRow, type SeriesPart } from './series.js';
import type { IntervalSample, RequestCounts } from './types.js';

/** A recorder's totals in a form that crosses a worker boundary. */
export interface RecorderPart {
  counts: RequestCounts;
  errorsByClass: Record<string, number>;
  latencyUs: string;
  serviceUs: string;
  series: SeriesPart;
  /** By the model version the answers named (X-Model-Version): successes' latency, successes, failures. */
  versions: Record<string, { latencyUs: string; ok: number; errors: number }>;
}

/** What the answers of one model version saw. */
interface VersionTally {
  latency: Histogram;
  ok: number;
  errors: number;
}

/**
 * Error class of a request still in flight when the run was stopped (Ctrl-C): counted so the counts
 * add up, but left out of the error rate, since it says nothing about the server.
 */
export const INTERRUPTED_CLASS = 'interrupted';

/** Outcome of one request as the client classifies it; `version`: the X-Model-Version its answer named. */
export type Outcome = { ok: true; version?: string } | { ok: false; errorClass: string; version?: string };

export class Recorder {
  readonly latency: Histogram = newHistogram();
  readonly service: Histogram = newHistogram();
  readonly counts: RequestCounts = { scheduled: 0, sent: 0, ok: 0, errors: 0, notSent: 0, sentLate: 0 };
  readonly errorsByClass: Record<string, number> = {};
  /** Only when interval samples are wanted: recording and encoding it costs on every request. */
  private readonly interval: Histogram | undefined;
  private intervalStartMs: number;
  private intervalOk = 0;
  /** Per-second counts and percentiles (the result's `series`). */
  private readonly perSecond: PerSecondSeries;
  /** Workers' series parts, merged when the series is read. */
  private readonly absorbed: SeriesPart[] = [];
  /** Answers that named a model version, by version (empty when none did, as without a serve gateway). */
  readonly versions = new Map<string, VersionTally>();

  /**
   * @param startMs clock time the measured phase began; @param lateThresholdMs see BenchOptions
   * @param intervalSamples whether rollInterval returns each interval's encoded histogram
   */
  constructor(
    readonly startMs: number,
    private readonly lateThresholdMs: number,
    intervalSamples = false,
  ) {
    this.intervalStartMs = startMs;
    this.perSecond = new PerSecondSeries(startMs);
    if (intervalSamples) this.interval = newHistogram();
  }

  /** A request left the client at `sentMs`, intended for `intendedMs`. */
  sent(intendedMs: number, sentMs: number): void {
    this.counts.sent++;
    this.perSecond.sent(sentMs);
    if (sentMs - intendedMs > this.lateThresholdMs) this.counts.sentLate++;
  }

  /** A request finished (answer or failure). Latencies are recorded for successes only. */
  done(intendedMs: number, sentMs: number, doneMs: number, outcome: Outcome): void {
    if (outcome.ok) {
      this.counts.ok++;
      this.intervalOk++;
      recordMs(this.latency, doneMs - intendedMs);
      if (this.interval) recordMs(this.interval, doneMs - intendedMs);
      recordMs(this.service, doneMs - sentMs);
      this.perSecond.ok(doneMs, doneMs - intendedMs);
    } else this.error(outcome.errorClass, doneMs);
    if (outcome.version !== undefined) {
      const v = this.tally(outcome.version);
      if (outcome.ok) {
        v.ok++;
        recordMs(v.latency, doneMs - intendedMs);
      } else v.errors++;
    }
  }

  private tally(version: string): VersionTally {
    let v = this.versions.get(version);
    if (v === undefined) this.versions.set(version, (v = { latency: newHistogram(), ok: 0, errors: 0 }));
    return v;
  }

  /** Counts a failure of class `errorClass` (e.g. "http_503", "timeout", "not_sent"), at `atMs` when known. */
  error(errorClass: string, atMs?: number): void {
    this.counts.errors++;
    this.perSecond.error(atMs);
    this.errorsByClass[errorClass] = (this.errorsByClass[errorClass] ?? 0) + 1;
    if (errorClass === 'not_sent') this.counts.notSent++;
  }

  /** p99 of everything recorded so far, milliseconds. */
  p99MsSoFar(): number {
    return this.latency.totalCount === 0 ? 0 : this.latency.getValueAtPercentile(99) / 1000;
  }

  /**
   * Closes the current interval at `nowMs`: its success rate and, when interval samples were asked
   * for, its sample; then starts a new one.
   */
  rollInterval(nowMs: number): { sample?: IntervalSample; okPerSec: number } {
    const spanMs = Math.max(nowMs - this.intervalStartMs, 1e-3);
    const sample: IntervalSample | undefined = this.interval && {
      startMs: this.intervalStartMs - this.startMs,
      endMs: nowMs - this.startMs,
      latencyUs: encodeHistogram(this.interval),
      maxUs: this.interval.maxValue,
      // Read now, while the histogram is live: decoding 60 of them after the run costs ~10 ms.
      buckets: bucketsOf(this.interval),
    };
    const okPerSec = (this.intervalOk * 1000) / spanMs;
    this.interval?.reset();
    this.intervalOk = 0;
    this.intervalStartMs = nowMs;
    return { sample, okPerSec };
  }

  /** What a worker sends back at the end of a phase (see absorb). */
  export(): RecorderPart {
    return {
      counts: { ...this.counts },
      errorsByClass: { ...this.errorsByClass },
      latencyUs: encodeHistogram(this.latency),
      serviceUs: encodeHistogram(this.service),
      series: this.perSecond.export(),
      versions: Object.fromEntries(
        [...this.versions].map(([k, v]) => [k, { latencyUs: encodeHistogram(v.latency), ok: v.ok, errors: v.errors }]),
      ),
    };
  }

  /** Adds a worker's part into this recorder. */
  absorb(part: RecorderPart): void {
    for (const k of Object.keys(this.counts) as Array<keyof RequestCounts>) this.counts[k] += part.counts[k];
    for (const [k, v] of Object.entries(part.errorsByClass)) this.errorsByClass[k] = (this.errorsByClass[k] ?? 0) + v;
    this.latency.add(decodeHistogram(part.latencyUs));
    this.service.add(decodeHistogram(part.serviceUs));
    this.absorbed.push(part.series);
    for (const [k, v] of Object.entries(part.versions)) {
      const t = this.tally(k);
      t.ok += v.ok;
      t.errors += v.errors;
      t.latency.add(decodeHistogram(v.latencyUs));
    }
  }

  /** The per-second series of the phase (merged from the workers' when they ran it). */
  series(): SecondRow[] {
    return this.absorbed.length > 0 ? mergeSeries(this.absorbed) : this.perSecond.finish();
  }

  summaries() {
    return { latency: summarize(this.latency), service: summarize(this.service) };
  }
}
