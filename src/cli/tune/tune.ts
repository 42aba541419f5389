// `serve tune` (cli): tunes a profile on a cluster it starts (or --attach) and writes the winner back;
// the work is tune/, this file shows progress, prints, writes the files and picks the exit code.
import os from 'node:os';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ExitCode } from '../../common/exit-codes.js';
import { DEFAULT_STATE_DIR, statePaths } from '../../common/state-layout.js';
import { loadProfile } from '../../profile/load.js';
import type { Profile } from '../../profile/types.js';
import { buildSpace } from '../../tune/space.js';
import { runTune } from '../../tune/tuner.js';
import { decide } from '../../tune/decision.js';
import { measuredComment } from '../../tune/measured-comment.js';
import { changesText, keptText } from '../../tune/write-guard.js';
import type { TuneCluster } from '../../tune/cluster.js';
import type { TuneReport } from '../../tune/types.js';
import { action } from '../errors.js';
import { ensureModel } from '../ensure-model.js';
import { printJson } from '../output.js';
import { checkWritable, writeAtomically, writeProfile } from './files.js';
import { parseFlags, profileRef, type TuneFlags } from './flags.js';
import { tuneHtml } from './html.js';
import { renderTune, renderTuneProgress } from './render.js';

const cliEntry = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'main.js');

async function run(f: TuneFlags): Promise<number> {
  const o = parseFlags(f);
  const ref = profileRef(f);
  if (f.profile === undefined)
    process.stderr.write(
      `tuning the profile of the cluster running in ${statePaths(f.stateDir).dir}: ` +
        `${ref}${o.attach ? '' : ' (on a cluster of its own; --attach tunes the running one in place)'}\n`,
    );
  const loaded = await loadProfile(ref);
  const profile: Profile = f.registry
    ? { ...loaded, model: { ...loaded.model, registry: path.resolve(f.registry) } }
    : loaded;
  const text = await readFile(profile.sourcePath, 'utf8');
  if (!o.attach) await ensureModel(profile.model.registry, profile, (line) => process.stderr.write(line + '\n'));
  const hostCpus = profile.local.cpus ?? os.availableParallelism();
  const space = buildSpace(profile, o.spaceFlags, hostCpus, o.objective, o.cluster);
  if (f.write) await checkWritable(f.write);
  if (f.html) await checkWritable(f.html);

  const interactive = Boolean(process.stderr.isTTY) && !process.env.CI;
  const abort = new AbortController();
  let cluster: TuneCluster | undefined;
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals > 1) {
      // A second Ctrl-C: stop now; the cluster tune started goes with it.
      cluster?.kill();
      process.exit(ExitCode.Interrupted);
    }
    process.stderr.write('\nstopping: the best found so far is reported (Ctrl-C again to stop at once)\n');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let report: TuneReport;
  try {
    report = await runTune({
      ...o,
      profile,
      text,
      space,
      hostCpus,
      cliEntry,
      signal: abort.signal,
      onCluster: (c) => (cluster = c),
      onProgress: interactive ? (p) => process.stderr.write(`\r\x1b[K${renderTuneProgress(p)}`) : undefined,
    });
  } catch (err) {
    if (abort.signal.aborted) {
      process.stderr.write(`${interactive ? '\n' : ''}serve: interrupted before anything was measured\n`);
      return ExitCode.Interrupted;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (interactive) process.stderr.write('\r\x1b[K');
  }
  const { decision, advice } = decide(report);
  const rec = report.recommendation;
  const mayWrite = rec !== null && (decision === 'decided' || f.writeAnyway === true);
  let plan: Awaited<ReturnType<typeof writeProfile>> | undefined;
  if (f.write && mayWrite) {
    const achieved = report.candidates[0]?.result?.achievedPerSec;
    const on = { host: os.hostname(), cpus: os.availableParallelism(), loadAverage: os.loadavg(), at: new Date() };
    const comment = measuredComment(on, report, rec, decision !== 'decided', achieved);
    plan = await writeProfile(f.write, text, profile, report, {
      allowCapacityChange: f.allowCapacityChange === true,
      comment,
    });
    process.stderr.write(
      `changes to ${f.write}:\n${changesText(plan.changes)
        .map((l) => `  ${l}\n`)
        .join('')}`,
    );
    const kept = keptText(plan.kept);
    if (kept) process.stderr.write(`${kept}\n`);
  }
  if (f.html) await writeAtomically(f.html, tuneHtml(report));
  if (f.json)
    printJson({
      ...report,
      decision,
      ...(advice ? { advice } : {}),
      ...(plan ? { written: f.write, changes: plan.changes, capacityKept: plan.kept } : {}),
    });
  else {
    const notWritten =
      rec === null ? 'nothing met every target' : 'nothing was decided with confidence; --write-anyway writes it';
    const files = [
      plan && `Wrote ${f.write}`,
      f.html && `Wrote ${f.html}`,
      f.write && !plan && `Not written: ${f.write} (${notWritten})`,
    ].filter(Boolean);
    const lines = [renderTune(report, decision === 'decided'), ...(advice ? [advice] : []), ...files];
    process.stdout.write(lines.map((l) => `${l}\n`).join(''));
  }
  if (report.stopped === 'interrupted') return ExitCode.Interrupted;
  return { decided: ExitCode.Ok, missed: ExitCode.TargetMissed, inconclusive: ExitCode.Inconclusive }[decision];
}

export function register(program: Command): void {
  program
    .command('tune')
    .description(
      'Find the cheapest configuration (batch size, batch wait, replicas, threads) ' +
        'that meets every target of a profile, or the highest rate within them, and ' +
        'write it back as a profile.',
    )
    .option(
      '--profile <name|file>',
      'profile to tune: its model, targets (slo) and starting values; found as `serve ' +
        'up` finds profiles (default: the profile of the cluster running in --state-dir; ' +
        'tune still starts a cluster of its own unless --attach)',
    )
    .option(
      '--objective <cost|throughput>',
      'cost: cheapest configuration meeting every target at the target rate; ' +
        'throughput: highest rate within the targets',
      'cost',
    )
    .option('--cluster', 'throughput of the whole cluster (with --replicas) instead of one replica')
    .option(
      '--rps <rate>',
      "cost: the rate to meet the targets at (default the profile's " +
        'slo.throughput.target); throughput: the first rate tried',
    )
    .option(
      '--batch-sizes <list>',
      "values of max_batch_size to try, e.g. 1,8,16,32 (default the profile's " + 'tune.batch_sizes, else 1,8,16,32)',
    )
    .option('--batch-waits <list>', 'values of batch_wait_timeout to try, e.g. 0ms,2ms,5ms,10ms')
    .option(
      '--replicas <list>',
      'replica counts to try, e.g. 1..4 or 1,2,4 (default: as many as the host fits, up to 4)',
    )
    .option(
      '--threads <list>',
      'ONNX Runtime threads per replica to try, e.g. 1,2 (each thread is one CPU of the replica)',
    )
    .option('--exhaustive', 'measure every configuration of the space instead of searching')
    .option('--budget <duration>', 'stop after this long and report the best found so far, e.g. 10m')
    .option('--window <duration>', 'length of one measurement window', '1s')
    .option('--max-windows <n>', 'windows at most before a measurement is declared unstable', '5')
    .option('--warmup <duration>', 'load before each measurement, not recorded', '1s')
    .option(
      '--attach',
      'tune the cluster running in --state-dir instead of starting one (it is handed ' +
        "back unpinned, with the profile's settings)",
    )
    .option(
      '--state-dir <dir>',
      'state directory of the running cluster whose profile is tuned without ' + '--profile, and that --attach tunes',
      DEFAULT_STATE_DIR,
    )
    .option('--oversubscribe', 'also try configurations that need more CPUs than the host has')
    .option('--registry <dir>', "model registry folder (overrides the profile's model.registry)")
    .option('--json', 'print the report as JSON')
    .option(
      '--html <file>',
      'write a self-contained HTML page: p99 against rate for each candidate, cost ' + 'against configuration',
    )
    .option(
      '--write <file>',
      'write the profile with the chosen values (comments and key order kept), under a ' +
        'comment saying where and when they were measured; the changes are printed to stderr',
    )
    .option(
      '--write-anyway',
      'with --write: write the best configuration even when nothing was decided with ' +
        'confidence (exit 4); the comment says so',
    )
    .option(
      '--allow-capacity-change',
      "with --write: let replicas.min and replicas.initial go below the profile's own " +
        '(without it they are kept, and one line says so)',
    )
    .addHelpText(
      'after',
      `
Exit codes: 0 a configuration met every target with confidence (also when the ` +
        `budget ran out after finding one),
1 every measured one missed with confidence (the ` +
        `closest is reported with what it missed), 2 usage,
3 the cluster could not be ` +
        `started or reached, 4 inconclusive (unstable windows, or a target's 95% interval
` +
        `straddling it, after the repeats the budget allows: nothing is written without
` +
        `--write-anyway), 130 interrupted (the best so ` +
        `far is still reported).

Examples:
  $ serve tune --profile ` +
        `local --rps 200 --write tuned.yaml
  $ serve tune --profile market-hours --budget 10m --write mh.yaml   keeps ` +
        `replicas.min/initial 5 if tune picks fewer; prints each field: old -> new
  ` +
        `$ serve tune --profile market-hours --budget 10m --write mh.yaml ` +
        `--allow-capacity-change --write-anyway   may cut replicas; writes even on exit 4
  $ serve tune --profile local --objective ` +
        `throughput --replicas 1 --batch-sizes 1,8,16,32 --batch-waits 0ms,2ms,5ms,10ms ` +
        `--threads 1,2
  $ serve tune --profile market-hours --budget 10m --html ` +
        `tune.html --json > tune.json
  $ serve tune --profile local --attach ` +
        `--state-dir .serve
  $ serve tune --rps 200 --write tuned.yaml       the ` +
        `profile of the cluster \`serve up\` runs in .serve, on a cluster of tune's own`,
    )
    .action(action((flags: TuneFlags) => run(flags)));
}
