// runBench (loadtest): discovers the model, builds payloads, then runs warmup, the measured phase
// or each ramp step, and assembles the RunResult. The one entry point `serve bench`/`demo` call.
import { systemClock, type Clock } from '../common/clock.js';
import { InferClient } from './client.js';
import { runClosedPhase } from './driver-closed.js';
import { runOpenPhase } from './driver-open.js';
import { targetChecks } from './gates.js';
import { findKnee, reportedStepIndex } from './knee.js';
import { fetchMetadata, modelPath, resolveModel } from './oip.js';
import { generatePayloads, loadReplayPayloads, type Payload } from './payload.js';
import type { PhaseInput, PhaseOutput } from './phase.js';
import { assembleResult, stepOf } from './result.js';
import { runPhaseInWorkers } from './workers/workers.js';
import type { WorkerJob } from './workers/protocol.js';
import { rampRates } from './schedule.js';
import type { BenchOptions, IntervalSample, ProgressSnapshot, RunResult, StepResult } from './types.js';

/** Callbacks of a run; all optional. */
export interface BenchHooks {
  /** Once per interval (1 s) during warmup, the run and each ramp step. */
  onProgress?(p: ProgressSnapshot): void;
  /** Once per interval of a measured phase: the interval's latency histogram (for HDR logs). */
  onInterval?(sample: IntervalSample): void;
  /** Aborting stops sending at once; the result holds what was measured, with interrupted: true. */
  signal?: AbortSignal;
  clock?: Clock;
}

/** A ramp step is carried only if the server answered at least this share of the requested rate. */
export const RAMP_MIN_ACHIEVED_SHARE = 0.9;

/**
 * Runs a load test as `opts` describes. Request failures are counted in the result, not thrown;
 * it throws UserError/UnreachableError only before the load starts (bad model, unreachable URL).
 */
export async function runBench(opts: BenchOptions, hooks: BenchHooks = {}): Promise<RunResult> {
  const clock = hooks.clock ?? systemClock;
  // Discovery is bounded by --timeout too: a server that accepts but never answers fails in time.
  const access = { token: opts.token, ca: opts.ca };
  const model = await resolveModel(opts.url, opts.model, opts.timeoutMs, access);
  const meta = await fetchMetadata(opts.url, model, opts.modelVersion, opts.timeoutMs, access);
  const payloads: Payload[] = opts.requestsFile
    ? await loadReplayPayloads(opts.requestsFile, opts.binary)
    : generatePayloads(meta, opts.binary, opts.seed);
  const client = new InferClient(opts.url, modelPath(model, opts.modelVersion), {
    connections: opts.mode === 'closed' ? opts.concurrency : opts.connections,
    timeoutMs: opts.timeoutMs,
    expectOutputs: opts.checkShape ? meta.outputs : undefined,
    ...access,
  });
  const startedAt = new Date();
  try {
    const base = {
      clock,
      send: (p: Payload) => client.send(p),
      payloads,
      timeoutMs: opts.timeoutMs,
      lateThresholdMs: opts.lateThresholdMs,
      intervalMs: opts.intervalMs ?? 1000,
      signal: hooks.signal,
    };
    const job = {
      url: opts.url,
      modelPath: modelPath(model, opts.modelVersion),
      expectOutputs: opts.checkShape ? meta.outputs : undefined,
      ...access,
    };
    const phase = (
      p: Partial<PhaseInput> & { durationMs: number; phase: PhaseInput['phase'] },
      ratePerSec: number,
      measured: boolean,
    ) =>
      runPhase(
        opts,
        {
          ...base,
          ...p,
          onTick: tickHandler(hooks, measured),
          intervalSamples: measured && hooks.onInterval !== undefined,
        },
        ratePerSec,
        job,
      );

    if (opts.warmupMs > 0 && !hooks.signal?.aborted) {
      await phase({ durationMs: opts.warmupMs, phase: 'warmup' }, opts.ramp?.fromPerSec ?? opts.ratePerSec, false);
    }
    if (!opts.ramp || opts.mode === 'closed') {
      const out = await phase({ durationMs: opts.durationMs, phase: 'run' }, opts.ratePerSec, true);
      const requested = opts.mode === 'open' ? opts.ratePerSec : null;
      return assembleResult({
        opts,
        model,
        startedAt,
        phase: out,
        requestedPerSec: requested,
        interrupted: out.interrupted || Boolean(hooks.signal?.aborted),
      });
    }
    return await runRamp(opts, model, startedAt, hooks, (rate, index, count) =>
      phase({ durationMs: opts.ramp!.stepMs, phase: 'run', step: { index, count } }, rate, true),
    );
  } finally {
    await client.close();
  }
}

function tickHandler(hooks: BenchHooks, measured: boolean): PhaseInput['onTick'] {
  if (!hooks.onProgress && !(measured && hooks.onInterval)) return undefined;
  return ({ sample, progress }) => {
    hooks.onProgress?.(progress);
    if (measured && sample) hooks.onInterval?.(sample);
  };
}

function runPhase(
  opts: BenchOptions,
  input: PhaseInput,
  ratePerSec: number,
  job: Pick<WorkerJob, 'url' | 'modelPath' | 'expectOutputs' | 'token' | 'ca'>,
): Promise<PhaseOutput> {
  const workers = opts.workers ?? 1;
  if (workers > 1) {
    const connections = opts.mode === 'closed' ? opts.concurrency : opts.connections;
    return runPhaseInWorkers(
      {
        ...job,
        timeoutMs: opts.timeoutMs,
        payloads: [...input.payloads],
        mode: opts.mode,
        ratePerSec,
        arrival: opts.arrival,
        seed: opts.seed,
        durationMs: input.durationMs,
        lateThresholdMs: opts.lateThresholdMs,
        intervalMs: input.intervalMs,
        phase: input.phase,
        step: input.step,
        ticks: input.onTick !== undefined,
        intervalSamples: input.intervalSamples ?? false,
      },
      connections,
      Math.min(workers, connections),
      input,
    );
  }
  if (opts.mode === 'closed') return runClosedPhase({ ...input, concurrency: opts.concurrency });
  return runOpenPhase({ ...input, ratePerSec, arrival: opts.arrival, seed: opts.seed, connections: opts.connections });
}

/** Steps through the ramp's rates until one misses the targets; reports the knee step. */
async function runRamp(
  opts: BenchOptions,
  model: string,
  startedAt: Date,
  hooks: BenchHooks,
  runStep: (ratePerSec: number, index: number, count: number) => Promise<PhaseOutput>,
): Promise<RunResult> {
  const rates = rampRates(opts.ramp!);
  const steps: StepResult[] = [];
  const outputs: PhaseOutput[] = [];
  let interrupted = false;
  for (let i = 0; i < rates.length; i++) {
    const out = await runStep(rates[i]!, i, rates.length);
    if (out.interrupted) interrupted = true;
    const step = stepOf(out, rates[i]!);
    const checks = targetChecks(
      {
        latency: step.latency,
        errorRate: step.errorRate,
        rate: { requestedPerSec: step.requestedPerSec, sentPerSec: 0, achievedPerSec: step.achievedPerSec },
      },
      opts.targets ?? {},
    );
    step.passed =
      checks.every((c) => c.passed) && step.achievedPerSec >= RAMP_MIN_ACHIEVED_SHARE * step.requestedPerSec;
    steps.push(step);
    outputs.push(out);
    if (!step.passed || interrupted || hooks.signal?.aborted) break;
  }
  const index = reportedStepIndex(steps);
  return assembleResult({
    opts,
    model,
    startedAt,
    phase: outputs[index]!,
    requestedPerSec: steps[index]!.requestedPerSec,
    steps,
    knee: findKnee(steps),
    seriesPhases: outputs,
    interrupted: interrupted || Boolean(hooks.signal?.aborted),
  });
}
