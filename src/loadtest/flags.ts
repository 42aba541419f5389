// `serve bench` flags to BenchOptions and SloTargets (loadtest, pure): every value parsed once,
// every problem collected and reported as one UserError naming the flags.
import { UserError } from '../common/errors.js';
import { parseDurationMs, parseFraction } from '../common/units.js';
import { parseRateSpec } from './schedule.js';
import type { BenchOptions, SloTargets } from './types.js';

/** Raw flag values as commander hands them over (strings, booleans, undefined when absent). */
export interface BenchFlags {
  url?: string;
  model?: string;
  modelVersion?: string;
  rps?: string;
  step?: string;
  arrival?: string;
  duration?: string;
  warmup?: string;
  connections?: string;
  concurrency?: string;
  timeout?: string;
  lateThreshold?: string;
  binary?: boolean;
  checkShape?: boolean;
  requests?: string;
  seed?: string;
  workers?: string;
  p50?: string;
  p90?: string;
  p95?: string;
  p99?: string;
  p999?: string;
  max?: string;
  errorRate?: string;
  minRps?: string;
  maxRegression?: string;
  /** --token, or SERVE_TOKEN (the caller reads the environment). */
  token?: string;
}

/**
 * Defaults, documented in the README. Warmup is 2 s: a cold connection pool and session make the
 * first second's tail several times the steady one (p99 18.9 ms cold against 8.7 ms warm on one run).
 */
export const benchDefaults = {
  ratePerSec: 100,
  durationMs: 30_000,
  warmupMs: 2000,
  stepMs: 10_000,
  connections: 256,
  timeoutMs: 10_000,
  lateThresholdMs: 2,
  seed: 1,
  maxRegression: 0.1,
} as const;

/**
 * Parses the flags. `profile` supplies the URL, model and targets of a running cluster; flags
 * override them. Throws one UserError (exit 2) listing every bad flag.
 */
export function parseBenchFlags(
  f: BenchFlags,
  profile?: { url: string; model: string; slo: SloTargets },
): { options: BenchOptions; targets: SloTargets; maxRegression: number } {
  const problems = new FlagProblems();
  const url = f.url ?? profile?.url;
  if (url === undefined)
    problems.add('--url: give the server to load (--url http://HOST:PORT) or --profile NAME of a running cluster');
  else
    problems.attempt('--url', () => {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:')
        throw new RangeError(`expected an http:// or https:// URL, got "${url}"`);
    });

  const rate = f.rps === undefined ? undefined : problems.attempt('--rps', () => parseRateSpec(f.rps!));
  const arrival = f.arrival ?? 'constant';
  if (arrival !== 'constant' && arrival !== 'poisson')
    problems.add(`--arrival: expected "constant" or "poisson", got "${arrival}"`);
  if (f.concurrency !== undefined && f.rps !== undefined)
    problems.add('--concurrency runs a closed loop, --rps an open loop: give one of them');
  if (f.step !== undefined && !(rate && 'ramp' in rate))
    problems.add('--step: only applies to a ramp such as --rps 50:1000:50');

  const targets = parseTargets(f, profile?.slo, problems);
  const maxRegression =
    f.maxRegression === undefined
      ? benchDefaults.maxRegression
      : (problems.attempt('--max-regression', () => parseFraction(f.maxRegression!)) ?? 0);
  const options = toOptions(f, { url, rate, arrival, targets }, profile, problems);
  if (options.durationMs <= 0 && !options.ramp) problems.add('--duration: must be longer than 0s');
  if (options.timeoutMs <= 0) problems.add('--timeout: must be longer than 0ms');
  // Never quoted: it is a secret. A line break in it would also split the request's headers.
  if (f.token !== undefined && !/^[\x21-\x7e]+$/.test(f.token))
    problems.add('--token (or SERVE_TOKEN): a bearer token is one word of visible ASCII characters');
  problems.throwIfAny();
  return { options, targets, maxRegression };
}

/** The SLO targets: the profile's, overridden by the latency, error-rate and rate flags. */
function parseTargets(f: BenchFlags, slo: SloTargets | undefined, problems: FlagProblems): SloTargets {
  const targets: SloTargets = { ...(slo ?? {}) };
  for (const [flag, key, value] of [
    ['--p50', 'p50Ms', f.p50],
    ['--p90', 'p90Ms', f.p90],
    ['--p95', 'p95Ms', f.p95],
    ['--p99', 'p99Ms', f.p99],
    ['--p999', 'p999Ms', f.p999],
    ['--max', 'maxMs', f.max],
  ] as const) {
    if (value !== undefined) targets[key] = problems.attempt(flag, () => parseDurationMs(value, 'ms'));
  }
  if (f.errorRate !== undefined)
    targets.errorRate = problems.attempt('--error-rate', () => parseFraction(f.errorRate!));
  if (f.minRps !== undefined)
    targets.minRps = problems.attempt('--min-rps', () => {
      const n = Number(f.minRps);
      if (!(n >= 0)) throw new RangeError(`expected requests per second such as 50, got "${f.minRps}"`);
      return n;
    });
  return targets;
}

/** What parseBenchFlags read before the options themselves. */
interface ReadSoFar {
  url: string | undefined;
  rate: ReturnType<typeof parseRateSpec> | undefined;
  arrival: string;
  targets: SloTargets;
}

/** The options, every number parsed (a bad one is a problem, and its default stands in). */
function toOptions(
  f: BenchFlags,
  { url, rate, arrival, targets }: ReadSoFar,
  profile: { model: string; slo: SloTargets } | undefined,
  problems: FlagProblems,
): BenchOptions {
  return {
    url: url ?? '',
    model: f.model ?? profile?.model,
    modelVersion: f.modelVersion,
    mode: f.concurrency !== undefined ? 'closed' : 'open',
    ratePerSec: rate && 'ratePerSec' in rate ? rate.ratePerSec : (profile?.slo.targetRps ?? benchDefaults.ratePerSec),
    ramp:
      rate && 'ramp' in rate
        ? { ...rate.ramp, stepMs: problems.duration('--step', f.step, 's', benchDefaults.stepMs) }
        : undefined,
    arrival: arrival === 'poisson' ? 'poisson' : 'constant',
    concurrency: problems.posInt('--concurrency', f.concurrency, 1),
    durationMs: problems.duration('--duration', f.duration, 's', benchDefaults.durationMs),
    warmupMs: problems.duration('--warmup', f.warmup, 's', benchDefaults.warmupMs),
    connections: problems.posInt('--connections', f.connections, benchDefaults.connections),
    timeoutMs: problems.duration('--timeout', f.timeout, 'ms', benchDefaults.timeoutMs),
    lateThresholdMs: problems.duration('--late-threshold', f.lateThreshold, 'ms', benchDefaults.lateThresholdMs),
    binary: Boolean(f.binary),
    checkShape: Boolean(f.checkShape),
    requestsFile: f.requests,
    seed: problems.posInt('--seed', f.seed, benchDefaults.seed, 0),
    workers: problems.posInt('--workers', f.workers, 1),
    targets,
    ...(f.token === undefined ? {} : { token: f.token }),
  };
}

/** Every problem with the flags, collected in order so they are reported together. */
class FlagProblems {
  private readonly list: string[] = [];

  add(problem: string): void {
    this.list.push(problem);
  }

  /** `fn()`, or undefined with the problem noted when it throws. */
  attempt<T>(flag: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      this.list.push(`${flag}: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** A duration flag in ms; `bare` is the unit of a bare number. */
  duration(flag: string, v: string | undefined, bare: 'ms' | 's', dflt: number): number {
    return v === undefined ? dflt : (this.attempt(flag, () => parseDurationMs(v, bare)) ?? dflt);
  }

  posInt(flag: string, v: string | undefined, dflt: number, min = 1): number {
    return v === undefined
      ? dflt
      : (this.attempt(flag, () => {
          const n = Number(v);
          if (!Number.isInteger(n) || n < min) throw new RangeError(`expected a whole number >= ${min}, got "${v}"`);
          return n;
        }) ?? dflt);
  }

  throwIfAny(): void {
    const problems = this.list;
    if (problems.length === 1) throw new UserError(problems[0]!);
    if (problems.length > 1) throw new UserError(`${problems.length} problems with the flags:`, { details: problems });
  }
}

/**
 * A complete BenchOptions for `url` with every default of the CLI, overridden by `over`; for
 * callers in code (`serve demo`, tune) that want the CLI's behaviour without its flags.
 */
export function benchOptionsWithDefaults(url: string, over: Partial<BenchOptions> = {}): BenchOptions {
  return {
    url,
    mode: 'open',
    ratePerSec: benchDefaults.ratePerSec,
    arrival: 'constant',
    concurrency: 1,
    durationMs: benchDefaults.durationMs,
    warmupMs: benchDefaults.warmupMs,
    connections: benchDefaults.connections,
    timeoutMs: benchDefaults.timeoutMs,
    lateThresholdMs: benchDefaults.lateThresholdMs,
    binary: false,
    checkShape: false,
    seed: benchDefaults.seed,
    ...over,
  };
}
