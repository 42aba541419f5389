// `serve rollout` (cli): rolls a running cluster out to a new model version by traffic steps, judged
// per version by the controller; follows it with progress lines on stderr; `status` and `abort`.
import type { Command } from 'commander';
import { UserError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { formatMs, parseDurationMs, parseFraction } from '../common/units.js';
import { rolloutEnded, type RolloutStatus } from '../common/rollout.js';
import { interruptedRolloutLine } from '../common/controller-death.js';
import { AdminClient } from '../client/admin-client.js';
import { untilCluster } from '../client/cluster-changes.js';
import { DEFAULT_STATE_DIR } from '../cluster/state/index.js';
import { parseStepsPercent } from '../cluster/rollout/index.js';
import { DEFAULT_MAX_STEP_FACTOR, REGRESSION_FLOOR_MS } from '../cluster/rollout/index.js';
import { parseModelRef } from '../model/registry.js';
import { action } from './errors.js';
import { printJson } from './output.js';

interface RolloutFlags {
  steps: string;
  stepTime: string;
  maxStepTime?: string;
  maxRegression: string;
  json?: boolean;
  stateDir: string;
}

export function register(program: Command): void {
  program
    .command('rollout')
    .description(
      'Roll the running cluster out to another model version: new replicas start ' +
        'beside the old, traffic moves to them step by step, and each step is judged on ' +
        "the new version's own latency and errors. A step that misses rolls back at " +
        'once; no request fails either way.',
    )
    .argument(
      '<NAME@VERSION|status|abort>',
      'the version to roll out (e.g. cnn-lstm@2); status: show the rollout in progress ' +
        'or the last one; abort: roll it back',
    )
    .option('--steps <list>', 'share of traffic for the new version at each step, ending at 100%', '10%,50%,100%')
    .option('--step-time <duration>', 'how long each step runs before it is judged', '2m')
    .option(
      '--max-step-time <duration>',
      `how long a step may run on while its judgement is "not yet" (an interval straddles its ` +
        `limit); then the profile's rollout.on_inconclusive decides (default: ${DEFAULT_MAX_STEP_FACTOR}x --step-time; ` +
        `counted, like --step-time, from when the step is routed, after any rejoin warmup)`,
    )
    .option(
      '--max-regression <percent>',
      `how much slower than the old version the new one may be at p50, p95 and p99 (the ratio ` +
        `new/old, judged by its one-sided 95% bounds; differences under ${REGRESSION_FLOOR_MS} ms never count)`,
      '20%',
    )
    .option('--json', 'print the final result (or the status) as JSON on stdout')
    .option('--state-dir <dir>', 'state directory of the cluster', DEFAULT_STATE_DIR)
    .addHelpText(
      'after',
      `
Before the first step the new replicas are warmed with synthetic requests until their latency
settles; warmup requests are not judged. A step routes the new version's share to only as many
of its replicas as carry about the old replicas' rate each; the others are held out of routing,
and one that rejoins at a later step is warmed again first (at most 10 s, the step before's
traffic going on meanwhile): the step's time and windows start once it is routed warm.
Each step is then judged from the gateway's per-version
histogram, taken every 24th of the step (250 ms to 1 s a window), over the same windows for
both versions (at 100%: the old version's windows of the step before), with 90% intervals (each
bound a one-sided 95% bound: two one-sided tests, as equivalence tests are judged):
  ratio new/old of p50, p95, p99     pass when the interval is wholly within 1 + --max-regression
                                     or the difference is under 5 ms; fail when both lie beyond;
                                     judged only where both versions' replicas carry about the
                                     same rate each (within 1.5x: with as many new replicas as
                                     old, the 50% step), since on a shared host a replica's
                                     latency depends on its load
  p50, p90, p95, p99 (if slo sets)   pass when the interval is wholly under the target
  error rate                         pass when wholly under slo.error_rate (1% if unset), or the
                                     old version's own rate if higher; zero old errors hide nothing
A figure whose interval lies wholly beyond its limit fails the step; one that straddles it is
"not yet": the step runs on, half a step at a time, up to --max-step-time, and then the profile's
rollout.on_inconclusive (rollback by default, or proceed) decides. A figure needs samples before it
is judged (p50: 40, p95: 400, p99: 2,000, and 8 windows); a step where the new version answered
fewer than 40 requests is "not yet", never a pass (answers from the response cache are not the
version's samples). From a
quarter of a step on the judge also looks every eighth of it at 98% (a one-sided 99% lower bound)
and rolls back at once on a fail, so a plainly worse version goes back within its first step.
Every decision line names each figure with its interval, e.g. "p50 1.15x [1.08, 1.23], allowed
1.20: not yet". A rollback moves traffic back to the old version (the gateway acknowledges), then
the new replicas drain as on scale-down. Schedule switches that fall due during a rollout wait for
its end.

Exit codes: 0 the rollout completed (the new version serves all traffic), 1 it rolled back,
  2 bad flags or version, 3 no cluster running, 130 interrupted twice. Ctrl-C once rolls back.

Examples:
  $ serve model optimize cnn-lstm@1                       writes cnn-lstm@2
  $ serve rollout cnn-lstm@2                              10%, 50%, 100%, two minutes each
  $ serve rollout cnn-lstm@2 --steps 25%,100% --step-time 30s --max-regression 10%
  $ serve rollout cnn-lstm@2 --step-time 20s --max-step-time 2m
  $ serve rollout status                                  the steps so far, with their intervals
  $ serve rollout abort                                   roll back now`,
    )
    .action(action(async (target: string, flags: RolloutFlags) => run(target, flags)));
}

async function run(target: string, flags: RolloutFlags): Promise<number> {
  const client = new AdminClient(flags.stateDir);
  if (target === 'status') {
    const s = await client.rolloutStatus();
    if (flags.json) printJson({ rollout: s ?? null });
    else process.stdout.write(s ? renderRollout(s) : await noRollout(client));
    return ExitCode.Ok;
  }
  if (target === 'abort') {
    const s = await client.rolloutAbort();
    if (flags.json) printJson(s);
    else
      process.stdout.write(
        rolloutEnded(s) && s.phase === 'completed'
          ? `the rollout to version ${s.toVersion} had already completed\n`
          : `rolling back to version ${s.fromVersion} (see \`serve rollout status\`)\n`,
      );
    return ExitCode.Ok;
  }
  const ref = parseModelRef(target);
  if (ref.version === undefined)
    throw new UserError(`name the version to roll out, e.g. ${ref.name}@2 (not "${target}")`);
  const req = {
    model: ref.name,
    version: ref.version,
    stepsPercent: flag('--steps', () => parseStepsPercent(flags.steps)),
    stepTimeMs: flag('--step-time', () => parseDurationMs(flags.stepTime)),
    maxRegression: flag('--max-regression', () => parseFraction(flags.maxRegression)),
    ...(flags.maxStepTime === undefined
      ? {}
      : { maxStepTimeMs: flag('--max-step-time', () => parseDurationMs(flags.maxStepTime!)) }),
  };
  if (req.stepTimeMs < 100) throw new UserError(`--step-time must be at least 100ms, got "${flags.stepTime}"`);
  if (req.maxStepTimeMs !== undefined && req.maxStepTimeMs < req.stepTimeMs)
    throw new UserError(
      `--max-step-time ${flags.maxStepTime} is shorter than --step-time ${flags.stepTime}: give at least the step time`,
    );
  const started = await client.rollout(req);
  const final = await follow(client, started);
  if (flags.json) printJson(final);
  else
    process.stdout.write(
      final.phase === 'completed'
        ? `rollout completed: ${final.model}@${final.toVersion} serves all traffic\n`
        : `rolled back to ${final.model}@${final.fromVersion}: ` + `${final.reason ?? 'aborted'}\n`,
    );
  return final.phase === 'completed' ? ExitCode.Ok : ExitCode.TargetMissed;
}

/** Prints each new decision on stderr until the rollout ends; Ctrl-C once rolls back, twice leaves. */
async function follow(client: AdminClient, first: RolloutStatus): Promise<RolloutStatus> {
  let shown = 0;
  let interrupts = 0;
  const onInt = () => {
    if (++interrupts > 1) process.exit(ExitCode.Interrupted);
    process.stderr.write('interrupted: rolling back (Ctrl-C again to leave it running)\n');
    void client.rolloutAbort('interrupted: Ctrl-C of serve rollout').catch(() => undefined);
  };
  process.on('SIGINT', onInt);
  const show = (s: RolloutStatus) => {
    for (const d of s.decisions.slice(shown)) process.stderr.write(`${d.at.slice(11, 19)} ${d.message}\n`);
    shown = s.decisions.length;
  };
  try {
    let s = first;
    show(s);
    if (rolloutEnded(s)) return s;
    // Each decision is a line of controller.log: asked again at each change the controller makes
    // (cluster-changes.ts), and when its heartbeat stops (a controller that died is then exit 3).
    const ended = await untilCluster(client.paths, async () => {
      s = (await client.rolloutStatus()) ?? s;
      // The list keeps the last 50: when it was trimmed, show what is new.
      if (s.decisions.length < shown) shown = 0;
      show(s);
      return rolloutEnded(s) ? s : undefined;
    });
    return ended ?? s;
  } finally {
    process.off('SIGINT', onInt);
  }
}

/** "no rollout has run", with the rollout a dead controller before this one left unfinished. */
async function noRollout(client: AdminClient): Promise<string> {
  const r = (await client.status().catch(() => undefined))?.previousController?.rollout;
  return (
    `no rollout has run on this cluster` +
    `${
      r ? `; before it, a controller died while ${interruptedRolloutLine(r)} (\`serve ` + `status\` says more)` : ''
    }\n`
  );
}

function flag<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UserError(`${name}: ${(err as Error).message}`);
  }
}

/** The rollout for `serve rollout status` and `serve status`. */
export function renderRollout(s: RolloutStatus, lastDecisions = Infinity): string {
  const weights = Object.entries(s.weights)
    .map(([v, w]) => `version ${v} ${w}%`)
    .join(', ');
  const routed =
    s.routed && s.routed.replicas < s.routed.of
      ? ` (version ${s.toVersion} on ${s.routed.replicas} of ${s.routed.of} replicas)`
      : '';
  const lines = [
    `Rollout ${s.model} ${s.fromVersion} -> ${s.toVersion}: ${s.phase}` +
      `${s.step > 0 ? `, step ${s.step}/${s.stepsPercent.length}` : ''} (steps ` +
      `${s.stepsPercent.join('%, ')}%, ${formatMs(s.stepTimeMs)} each, up to ` +
      `${formatMs(s.maxStepTimeMs ?? s.stepTimeMs)} while not decided, then ${s.onInconclusive ?? 'rollback'}); traffic ` +
      `${weights}${routed}`,
  ];
  if (s.reason) lines.push(`  reason: ${s.reason}`);
  for (const d of s.decisions.slice(-lastDecisions)) lines.push(`  ${d.at.slice(11, 19)} ${d.message}`);
  return `${lines.join('\n')}\n`;
}
