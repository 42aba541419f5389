// `serve demo` (cli): the whole slice in one command on a fresh clone. Builds the demo model if it
// is missing, starts the local profile, loads it open-loop at the profile's target rate with live
// progress, prints the SLO table, stops everything and exits as a gate (0 met, 1 missed).
import type { Command } from 'commander';
import { ExitCode } from '../common/exit-codes.js';
import { loadProfile } from '../profile/load.js';
import type { Profile } from '../profile/types.js';
import { ensureModel } from './ensure-model.js';
import { startCluster, type ClusterHandle } from '../cluster/controller/index.js';
import { evaluateGates, renderProgressLine, runBench, runOutcome, type RunResult } from '../loadtest/index.js';
import { parseBenchFlags } from '../loadtest/flags.js';
import { action, runExitCode } from './errors.js';
import { renderTable } from './bench/bench.js';

interface DemoFlags {
  profile: string;
  rps?: string;
  duration: string;
  warmup: string;
  registry?: string;
  stateDir: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'Build the demo CNN+LSTM if missing, serve it with a profile, load it at the ' +
        'target rate, gate on the targets, stop.',
    )
    .option('--profile <name|file>', 'profile to start', 'local')
    .option('--rps <rate>', "requests per second (default: the profile's slo.throughput.target, 200 for local)")
    .option('--duration <duration>', 'measured time', '10s')
    .option('--warmup <duration>', 'load before measuring, not recorded', '2s')
    .option('--registry <dir>', "model registry folder (default: the profile's model.registry, ./models)")
    .option('--state-dir <dir>', 'state directory of the demo cluster (kept apart from `serve up`)', '.serve/demo')
    .option('--json', 'print the bench result as JSON instead of the table')
    .addHelpText(
      'after',
      `
Examples:
  $ serve demo                           local profile, 200 req/s ` +
        `for 10 s
  $ serve demo --rps 500 --duration 30s
  $ serve demo --json > ` +
        `demo.json

Exit codes: 0 every target met, 1 a target missed, 2 bad flags or ` +
        `profile, 130 interrupted.`,
    )
    .action(action((flags: DemoFlags) => demo(flags)));
}

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function demo(flags: DemoFlags): Promise<number> {
  const profile = await loadProfile(flags.profile, { cwd: process.cwd(), env: process.env });
  // The demo owns its cluster: a free port avoids clashing with a `serve up` already on 8000.
  const demoProfile: Profile = { ...profile, gateway: { ...profile.gateway, port: 0 } };
  const registry = flags.registry ?? profile.model.registry;
  await ensureModel(registry, profile, say);
  const parsed = parseBenchFlags(
    { rps: flags.rps, duration: flags.duration, warmup: flags.warmup, checkShape: true, connections: '64' },
    { url: 'http://127.0.0.1', model: profile.model.name, slo: profile.slo },
  );

  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(ExitCode.Interrupted);
    say('\ninterrupted: stopping the cluster (Ctrl-C again to leave at once)');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let cluster: ClusterHandle | undefined;
  try {
    say(
      `starting profile ${profile.name}: ${profile.replicas.initial} replica(s) of ` +
        `${profile.model.name} and the gateway`,
    );
    cluster = await startCluster(demoProfile, {
      stateDir: flags.stateDir,
      registryOverride: flags.registry,
      signal: abort.signal,
      onEvent: (e) => {
        if (e.level !== 'info') say(`${e.level}: ${e.message}`);
      },
    });
    say(
      `gateway ${cluster.gatewayUrl}: ${parsed.options.ratePerSec} req/s for ` +
        `${flags.duration} after ${flags.warmup} of warmup`,
    );
    const showProgress = Boolean(process.stderr.isTTY) && !process.env.CI;
    const result: RunResult = await runBench(
      { ...parsed.options, url: cluster.gatewayUrl },
      {
        signal: abort.signal,
        onProgress: showProgress ? (p) => process.stderr.write(`\r\x1b[2K${renderProgressLine(p)}`) : undefined,
      },
    );
    if (showProgress) process.stderr.write('\r\x1b[2K');
    const gates = evaluateGates(result, parsed.targets);
    if (flags.json) process.stdout.write(JSON.stringify({ ...result, gates }, null, 2) + '\n');
    else process.stdout.write(renderTable(result, gates));
    return runExitCode(runOutcome(result, gates), cluster.gatewayUrl);
  } finally {
    if (cluster) {
      say('stopping the cluster');
      await cluster.stop();
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
