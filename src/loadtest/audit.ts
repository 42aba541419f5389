// The load generator's self-audit (loadtest, pure): did the generator itself fall behind enough to
// distort what it measured? Intended-time latency charges every millisecond the generator's own
// event loop was stalled to the server, so a stalled generator reports a slow server. A busy host
// alone does not make a run unreliable: only the generator's measured lag does.
import { formatMs } from '../common/units.js';
import type { RunResult } from './types.js';

/** What the probe saw while the run was measured (audit-probe.ts). */
export interface AuditProbe {
  /** Event-loop delay of the thread that sent the load; null with worker threads (not measured there). */
  eventLoopDelayP99Ms: number | null;
  eventLoopDelayMaxMs: number | null;
  /** Host load average over the last minute and the number of CPUs, for context only. */
  loadAverage1m: number;
  cpuCount: number;
  /** Most requests seen waiting for a free connection in a progress snapshot. */
  maxBacklog: number;
}

/** The self-audit, as --json `audit`. */
export interface GeneratorAudit extends AuditProbe {
  /** Share of sent requests that left later than lateThresholdMs behind schedule. */
  sentLateShare: number;
  /** Mean time between a request's intended and actual send (latency mean minus service mean), ms. */
  meanLatenessMs: number;
  unreliable: boolean;
  /** Why the figures cannot be trusted, and what to do, when unreliable. */
  reason?: string;
  fix?: string;
}

/**
 * The generator's lag is a distortion once it exceeds this many milliseconds and this share of
 * the median it measured: a 3 ms stall hides in a 200 ms answer, not in a 5 ms one.
 */
export const LAG_FLOOR_MS = 5;
export const LAG_SHARE_OF_P50 = 0.1;
/** Sent late with free connections by more than this share of requests: the schedule slipped. */
export const LATE_SHARE_LIMIT = 0.1;

const FIX = 'run fewer --connections or a lower --rps, use --workers, or run the generator on another host';

export function auditRun(result: RunResult, probe: AuditProbe): GeneratorAudit {
  const sentLateShare = result.requests.sent === 0 ? 0 : result.requests.sentLate / result.requests.sent;
  const meanLatenessMs = Math.max(0, result.latency.meanMs - result.service.meanMs);
  const allowedMs = Math.max(LAG_FLOOR_MS, LAG_SHARE_OF_P50 * result.latency.p50Ms);
  const audit: GeneratorAudit = { ...probe, sentLateShare, meanLatenessMs, unreliable: false };
  const reasons: string[] = [];
  if (probe.eventLoopDelayP99Ms !== null && probe.eventLoopDelayP99Ms > allowedMs) {
    reasons.push(
      `the generator's event loop was delayed ${formatMs(probe.eventLoopDelayP99Ms)} ` +
        `at p99 (allowed ${formatMs(allowedMs)})`,
    );
  }
  // Late sends while every request had a free connection are the generator's own slip; with a
  // backlog they are the server's slowness, which intended-time latency rightly charges to it.
  if (
    result.mode === 'open' &&
    probe.maxBacklog === 0 &&
    sentLateShare > LATE_SHARE_LIMIT &&
    meanLatenessMs > allowedMs
  ) {
    reasons.push(
      `${+(sentLateShare * 100).toFixed(1)}% of requests left late (mean ` +
        `${formatMs(meanLatenessMs)} behind schedule) with connections free`,
    );
  }
  if (reasons.length > 0) Object.assign(audit, { unreliable: true, reason: reasons.join('; '), fix: FIX });
  return audit;
}

/** One line for the table: the generator's lag with the host's load beside it. */
export function auditLine(a: GeneratorAudit): string {
  const eld =
    a.eventLoopDelayP99Ms === null
      ? 'event-loop delay not measured (worker threads)'
      : `event-loop delay p99 ${formatMs(a.eventLoopDelayP99Ms)}, max ` + `${formatMs(a.eventLoopDelayMaxMs ?? 0)}`;
  return (
    `generator: ${+(a.sentLateShare * 100).toFixed(1)}% sent late, mean ` +
    `${formatMs(a.meanLatenessMs)} behind schedule; ${eld}; host load ` +
    `${a.loadAverage1m.toFixed(2)} on ${a.cpuCount} CPUs`
  );
}
