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
  const written = f.write && report.recommendation ? await writeProfile(f.write, text, profile, report) : undefined;
  if (f.html) await writeAtomically(f.html, tuneHtml(report));
  if (f.json) printJson(written ? { ...report, written } : report);
  else {
    const files = [
      written && `Wrote ${written}`,
      f.html && `Wrote ${f.html}`,
      f.write && !written && `Not written: ${f.write} (nothing met every target)`,
    ].filter(Boolean);
    process.stdout.write(`${renderTune(report)}\n${files.map((l) => `${l}\n`).join('')}`);
  }
  if (report.stopped === 'interrupted') return ExitCode.Interrupted;
  return report.recommendation ? ExitCode.Ok : ExitCode.TargetMissed;
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
    .option('--write <file>', 'write the profile with the chosen values (comments and key order kept)')
    .addHelpText(
      'after',
      `
Exit codes: 0 a configuration met every target (also when the budget ran out ` +
        `after finding one),
1 none did (the closest is reported with what it missed), 2 ` +
        `usage, 3 the cluster could not be
started or reached, 130 interrupted (the best ` +
        `so far is still reported and written).

Examples:
  $ serve tune --profile ` +
        `local --rps 200 --write tuned.yaml
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
