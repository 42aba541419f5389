// `serve tune`'s flags (cli): every flag problem collected at once into tune options, and the
// profile to tune (--profile, else the one the running cluster in --state-dir runs).
import { UserError, errorMessage } from '../../common/errors.js';
import { replicaSettingsTable as t } from '../../common/settings/table.js';
import { runningPid, statePaths } from '../../common/state-layout.js';
import { readClusterState } from '../../client/cluster-state.js';
import { parseDurationMs } from '../../common/units.js';
import { parseDurationList, parseIntegerList } from '../../profile/fields/tune-fields.js';
import type { SpaceFlags } from '../../tune/space.js';
import type { TuneOptions } from '../../tune/tuner.js';

/** The flags of `serve tune` as commander hands them over. */
export interface TuneFlags {
  profile?: string;
  objective: string;
  cluster?: boolean;
  rps?: string;
  batchSizes?: string;
  batchWaits?: string;
  replicas?: string;
  threads?: string;
  exhaustive?: boolean;
  budget?: string;
  window: string;
  maxWindows: string;
  warmup: string;
  attach?: boolean;
  stateDir: string;
  oversubscribe?: boolean;
  registry?: string;
  json?: boolean;
  html?: string;
  write?: string;
  writeAnyway?: boolean;
  allowCapacityChange?: boolean;
}

/** Every flag problem at once, then the options (without the profile's parts). */
export function parseFlags(
  f: TuneFlags,
): Omit<TuneOptions, 'profile' | 'text' | 'space' | 'hostCpus' | 'cliEntry'> & { spaceFlags: SpaceFlags } {
  const problems: string[] = [];
  const attempt = <T>(flag: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      problems.push(`${flag}: ${errorMessage(err)}`);
      return undefined;
    }
  };
  const duration = (flag: string, v: string | undefined, min: number) =>
    v === undefined
      ? undefined
      : attempt(flag, () => {
          const msValue = parseDurationMs(v, 's');
          if (msValue < min) throw new RangeError(`expected at least ${min}ms, got "${v}"`);
          return msValue;
        });
  if (f.objective !== 'cost' && f.objective !== 'throughput')
    problems.push(`--objective: expected cost or throughput, got "${f.objective}"`);
  if (f.cluster && f.objective !== 'throughput')
    problems.push(
      '--cluster: only with --objective throughput (the cost objective always measures ' + 'the whole cluster)',
    );
  for (const [flag, on] of [
    ['--write-anyway', f.writeAnyway],
    ['--allow-capacity-change', f.allowCapacityChange],
  ] as const)
    if (on && f.write === undefined)
      problems.push(`${flag}: only with --write FILE (it says how that file is written)`);
  const rps =
    f.rps === undefined
      ? undefined
      : attempt('--rps', () => {
          const n = Number(f.rps);
          if (!(n > 0) || !Number.isFinite(n)) throw new RangeError(`expected a rate above 0, got "${f.rps}"`);
          return n;
        });
  const maxWindows = attempt('--max-windows', () => {
    const n = Number(f.maxWindows);
    if (!Number.isInteger(n) || n < 3 || n > 100)
      throw new RangeError(
        `expected a whole number from 3 to 100 (stability needs three windows), got "` + `${f.maxWindows}"`,
      );
    return n;
  });
  const spaceFlags: SpaceFlags = {
    batchSizes:
      f.batchSizes === undefined
        ? undefined
        : attempt('--batch-sizes', () => parseIntegerList(f.batchSizes, t.maxBatchSize)),
    batchWaitsMs:
      f.batchWaits === undefined
        ? undefined
        : attempt('--batch-waits', () => parseDurationList(f.batchWaits, t.batchWaitMs)),
    replicas:
      f.replicas === undefined
        ? undefined
        : attempt('--replicas', () => parseIntegerList(f.replicas, { ...t.threads, min: 1, max: 1024 })),
    threads: f.threads === undefined ? undefined : attempt('--threads', () => parseIntegerList(f.threads, t.threads)),
  };
  const out = {
    objective: f.objective as TuneOptions['objective'],
    cluster: f.cluster === true,
    ratePerSec: rps,
    exhaustive: f.exhaustive === true,
    budgetMs: duration('--budget', f.budget, 1000),
    windowMs: duration('--window', f.window, 100)!,
    maxWindows: maxWindows!,
    warmupMs: duration('--warmup', f.warmup, 0)!,
    tolerance: 0.05,
    oversubscribe: f.oversubscribe === true,
    attach: f.attach ? f.stateDir : undefined,
    spaceFlags,
  };
  if (problems.length === 1) throw new UserError(problems[0]!);
  if (problems.length > 1) throw new UserError(`${problems.length} problems with the flags:`, { details: problems });
  return out;
}

/**
 * The profile to tune: --profile, else the one the cluster in --state-dir runs (as `serve bench`
 * finds its cluster). With neither, one line saying what to pass (exit 2).
 */
export function profileRef(f: TuneFlags): string {
  if (f.profile !== undefined) return f.profile;
  const paths = statePaths(f.stateDir);
  if (runningPid(paths) === undefined) {
    throw new UserError(
      `--profile: no cluster is running in ${paths.dir} to take the profile from: ` +
        `pass --profile NAME (e.g. --profile local), or start one with \`serve up ` +
        `--profile NAME\``,
    );
  }
  return readClusterState(f.stateDir).profilePath;
}
