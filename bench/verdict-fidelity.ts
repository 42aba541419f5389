// What a schedule implies for a server that freezes (bench, issue 24): the intended-time latency
// percentiles of constant arrivals at `rps` against log-normal service times with one busy freeze
// of `freezeMs` at request `freezeAtRequest`, by simulation (the fidelity target's reference).
import { seededRandom } from '../src/common/random.js';
import { sampleMs, type LogNormalOptions, type ServerRecord } from './lognormal-server.js';

/**
 * Request i is due at i/rps. The server reads a request when it arrives, or when a freeze that
 * covers its arrival ends; an answer due during the freeze leaves when it ends. Only the requests
 * after the warmup count, as in `serve bench`. Averaged over several simulated schedules.
 */
export function impliedPercentilesMs(
  o: LogNormalOptions & { freezeAtRequest: number; freezeMs: number },
  rps: number,
  warmupS: number,
  durationS: number,
): { p50: number; p95: number; p99: number } {
  const random = seededRandom(24);
  const first = Math.round(rps * warmupS);
  const n = Math.round(rps * (warmupS + durationS));
  const freezeStart = (o.freezeAtRequest / rps) * 1000;
  const freezeEnd = freezeStart + o.freezeMs;
  const sums = { p50: 0, p95: 0, p99: 0 };
  const reps = 20;
  for (let r = 0; r < reps; r++) {
    const lat: number[] = [];
    for (let i = first; i < n; i++) {
      const due = (i / rps) * 1000;
      const read = due >= freezeStart && due < freezeEnd ? freezeEnd : due;
      let answered = read + sampleMs(o, random);
      if (answered >= freezeStart && answered < freezeEnd) answered = freezeEnd;
      lat.push(answered - due);
    }
    lat.sort((a, b) => a - b);
    const at = (f: number) => lat[Math.min(lat.length - 1, Math.ceil(f * lat.length) - 1)]!;
    sums.p50 += at(0.5) / reps;
    sums.p95 += at(0.95) / reps;
    sums.p99 += at(0.99) / reps;
  }
  return sums;
}

/**
 * What the server itself did, as intended-time percentiles: request k (in the order the server read
 * them) was due at t0 + k/rps from the start of the measured phase, and its latency is the server's answer time minus that. t0 is where
 * the reads before the freeze sit against the schedule (their 5th percentile: the transport's least
 * delay). Unlike `impliedPercentilesMs`, this includes what the model leaves out: the freeze's real
 * length and the time the server takes to read the requests queued during it once it ends.
 */
export function observedPercentilesMs(
  record: ServerRecord,
  rps: number,
  warmupS: number,
): { p50: number; p95: number; p99: number; requests: number; freezeMs: number; backlogDrainMs: number } {
  const stepMs = 1000 / rps;
  const freezeStart = record.freezeStartMs ?? Infinity;
  const freezeEnd = record.freezeEndMs ?? freezeStart;
  // The measured phase has a schedule of its own (it starts when the warmup ends): anchor it on its reads.
  const first = Math.round(rps * warmupS);
  const measured = record.readAtMs.slice(first);
  const before = measured.map((r, k) => r - k * stepMs).filter((_, k) => measured[k]! < freezeStart);
  before.sort((a, b) => a - b);
  const t0 = before[Math.floor(before.length * 0.05)] ?? measured[0]!;
  const lat: number[] = [];
  let backlogDrainMs = 0;
  measured.forEach((readAt, k) => {
    const due = t0 + k * stepMs;
    if (due < freezeEnd) backlogDrainMs = Math.max(backlogDrainMs, readAt - freezeEnd);
    const answered = record.answeredAtMs[first + k];
    if (answered !== undefined) lat.push(answered - due);
  });
  lat.sort((a, b) => a - b);
  const at = (f: number) => lat[Math.min(lat.length - 1, Math.ceil(f * lat.length) - 1)]!;
  return {
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    requests: record.readAtMs.length,
    freezeMs: freezeEnd - (record.freezeStartMs ?? freezeEnd),
    backlogDrainMs,
  };
}
