// `serve autoscale simulate` (cli): replays a rate trace through the autoscaling policy and a
// queueing model of the replicas (src/simulate/), with the service time measured from the profile's
// model (a short ONNX Runtime run) or given, and prints or draws what the policy would do.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { UserError, errorMessage } from '../common/errors.js';
import { parseDurationMs } from '../common/units.js';
import { loadProfileOrSchedule } from '../profile/schedule/load.js';
import type { Profile } from '../profile/types.js';
import { measureBatchTimes } from '../replica/batch-timing.js';
import { simulate } from '../simulate/cluster-model.js';
import { ARRIVAL_PATTERNS, type ArrivalPattern } from '../simulate/arrivals.js';
import { parseServiceTime, type ServiceTimeModel } from '../simulate/service-time.js';
import { DEFAULT_HANDLING_MS } from '../simulate/simulation.js';
import { parseTrace } from '../simulate/trace.js';
import { action } from './errors.js';
import { printJson } from './output.js';
import { renderSimulation, simulationHtml } from './simulate-render.js';

interface SimulateFlags {
  profile: string;
  trace: string;
  serviceTime?: string;
  startTime: string;
  initial?: string;
  handlingMs?: string;
  arrivals: string;
  registry?: string;
  html?: string;
  json?: boolean;
}

/** Batch sizes measured: powers of two up to the profile's largest batch, and that batch. */
function batchSizes(max: number): number[] {
  const out: number[] = [];
  for (let b = 1; b < max; b *= 2) out.push(b);
  out.push(max);
  return out;
}

async function serviceTimeFor(profile: Profile, flags: SimulateFlags): Promise<ServiceTimeModel> {
  if (flags.serviceTime !== undefined) return parseServiceTime(flags.serviceTime);
  const registry = path.resolve(flags.registry ?? profile.model.registry);
  const ref = `${profile.model.name}@${profile.model.version}`;
  let m: Awaited<ReturnType<typeof measureBatchTimes>>;
  try {
    m = await measureBatchTimes({
      registry,
      model: ref,
      device: profile.runtime.device,
      threads: profile.runtime.threads,
      batches: batchSizes(profile.batching.maxBatchSize),
      msPerBatch: 150,
    });
  } catch (err) {
    throw new UserError(
      `cannot measure the service time of ${ref} in ${registry} (${errorMessage(err)}` +
        `): build or point at the model (--registry), or give --service-time such as ` +
        `"1:2ms,32:12ms"`,
    );
  }
  const source =
    `measured: ${m.model} on ${m.device}, ${profile.runtime.threads} thread(s), ` +
    `median of ${m.timings.reduce((a, t) => a + t.runs, 0)} runs`;
  return { points: m.timings.map((t) => [t.batch, t.medianMs]), source };
}

async function run(flags: SimulateFlags): Promise<number> {
  let startupMs: number;
  try {
    startupMs = parseDurationMs(flags.startTime, 's');
  } catch (err) {
    throw new UserError(`--start-time: ${errorMessage(err)}`);
  }
  const initial = flags.initial === undefined ? undefined : Number(flags.initial);
  if (initial !== undefined && !(Number.isInteger(initial) && initial >= 0))
    throw new UserError(`--initial must be a whole number >= 0, got "${flags.initial}"`);
  const handlingMs = flags.handlingMs === undefined ? DEFAULT_HANDLING_MS : Number(flags.handlingMs);
  if (flags.handlingMs !== undefined && !(/\S/.test(flags.handlingMs) && handlingMs >= 0 && handlingMs < 60_000))
    throw new UserError(`--handling-ms must be a number of milliseconds >= 0, got "${flags.handlingMs}"`);
  const arrivals = flags.arrivals as ArrivalPattern;
  if (!ARRIVAL_PATTERNS.includes(arrivals))
    throw new UserError(`--arrivals must be ${ARRIVAL_PATTERNS.join(' or ')}, got "${flags.arrivals}"`);
  const loaded = await loadProfileOrSchedule(flags.profile);
  if (loaded.kind === 'schedule') {
    throw new UserError(
      `${flags.profile} is a schedule: simulate one of its profiles (` +
        `${Object.keys(loaded.schedule.profiles).join(', ')}) on the trace`,
    );
  }
  const profile = loaded.profile;
  let text: string;
  try {
    text = await readFile(flags.trace, 'utf8');
  } catch (err) {
    throw new UserError(
      `--trace ${flags.trace} cannot be read (` + `${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`,
    );
  }
  const trace = parseTrace(text, flags.trace);
  const serviceTime = await serviceTimeFor(profile, flags);
  const result = simulate({ profile, trace, serviceTime, startupMs, initialReplicas: initial, handlingMs, arrivals });
  if (flags.html) await writeFile(flags.html, simulationHtml(result, profile));
  if (flags.json) printJson({ profile: profile.name, ...result });
  else process.stdout.write(renderSimulation(result, profile) + (flags.html ? `\nWrote ${flags.html}` : '') + '\n');
  return 0;
}

export function register(program: Command): void {
  const autoscale = program
    .command('autoscale')
    .description('The autoscaling policy: simulate it on a load trace before deploying it.');
  autoscale
    .command('simulate')
    .description(
      'Replay a rate trace through the autoscaling policy and a queueing model of the ' +
        'replicas: replicas over time, p99 per minute, replica-minutes, minutes that ' +
        'miss the targets.',
    )
    .requiredOption('--profile <name|file>', 'profile whose replicas, autoscaling, batching and targets to simulate')
    .requiredOption(
      '--trace <file>',
      'a `serve bench --json` result (its per-second series) or a CSV of ' + 'seconds,requests_per_second',
    )
    .option(
      '--service-time <spec>',
      'run time of one batch: "20ms", or batch:duration pairs "1:2ms,8:4ms,32:12ms" ' +
        '(default: measured from the model)',
    )
    .option('--start-time <duration>', 'from asking for a replica until it is ready', '2s')
    .option('--initial <n>', "replicas at the start (default the profile's replicas.initial)")
    .option(
      '--handling-ms <ms>',
      "a replica's main-thread time per request outside the model run (HTTP, JSON, answering), one request " +
        `at a time (default ${DEFAULT_HANDLING_MS}, the demo model's JSON request on a CPU of its own)`,
    )
    .option(
      '--arrivals <pattern>',
      "when each second's requests arrive: random (independent instants) or even (evenly spaced)",
      'random',
    )
    .option('--registry <dir>', "model registry to measure the service time from (default the profile's)")
    .option('--html <file>', 'also write a self-contained HTML page: load, replicas and predicted p99 on one time axis')
    .option('--json', 'print the whole simulation as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ serve bench --rps 200 --duration 10m --json > day.json
  $ serve ` +
        `autoscale simulate --profile market-hours --trace day.json --html market.html
  ` +
        `$ serve autoscale simulate --profile off-hours --trace load.csv --service-time 1:2ms,32:12ms`,
    )
    .action(action((flags: SimulateFlags) => run(flags)));
}
