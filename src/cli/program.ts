// The `serve` commander program (cli), built without running it: main.ts parses argv with it, and
// the docs generator and the README-example test walk it. Only the named command's module is loaded,
// so a replica or gateway child does not pay for the imports of every other command (about 37 MB of
// RSS per replica).
import { Command, CommanderError } from 'commander';
import { exitCodeSummary } from '../common/exit-codes.js';
import { versionLine } from '../common/package-info.js';

type Register = (program: Command) => void;

/** Command name → its module, in the order `serve --help` lists them. */
export const commandModules: ReadonlyArray<readonly [string, () => Promise<{ register: Register }>]> = [
  ['demo', () => import('./demo.js')],
  ['up', () => import('./up/up.js')],
  ['status', () => import('./status/status.js')],
  ['logs', () => import('./logs.js')],
  ['scale', () => import('./scale.js')],
  ['rollout', () => import('./rollout.js')],
  ['restart', () => import('./restart.js')],
  ['down', () => import('./down.js')],
  ['bench', () => import('./bench/bench.js')],
  ['tune', () => import('./tune/tune.js')],
  ['validate', () => import('./validate.js')],
  ['schedule', () => import('./schedule.js')],
  ['autoscale', () => import('./autoscale.js')],
  ['export', () => import('./export.js')],
  ['alerts', () => import('./alerts.js')],
  ['model', () => import('./model.js')],
  ['hosts', () => import('./hosts.js')],
  ['replica', () => import('./replica.js')],
  ['gateway', () => import('./gateway.js')],
];

/** Builds the program with the commands named in `only` (all when undefined). */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command('serve')
    .description('Start, supervise, load-test and tune low-latency ONNX model serving clusters.')
    // Not commander's .version(string): the line is read from package.json (and git) only when asked.
    .option('-V, --version', 'print the version (with the git commit when run from a checkout)')
    .on('option:version', () => {
      const line = versionLine();
      process.stdout.write(`${line}\n`);
      throw new CommanderError(0, 'commander.version', line);
    })
    .showSuggestionAfterError(true)
    .showHelpAfterError('(add --help for usage and examples)')
    // Usage errors read like every other error: "serve: error: ...".
    .configureOutput({ outputError: (text, write) => write(`serve: ${text}`) })
    .exitOverride();
  const chosen = commandModules.filter(([name]) => only === undefined || name === only);
  const modules = await Promise.all(chosen.map(([, load]) => load()));
  for (const mod of modules) mod.register(program);
  program.addHelpText(
    'after',
    `
Examples:
  $ serve demo                              build the demo model, ` +
      `serve it, load it at 200 req/s, gate on the targets
  $ serve up --profile ` +
      `local                start the local profile in the foreground (Ctrl-C stops ` +
      `it)
  $ serve bench --profile local --rps 200   load the running cluster and ` +
      `check its targets
  $ serve status --json                     the running ` +
      `cluster as JSON
  $ serve tune --profile local --write t.yaml  the cheapest ` +
      `batching, threads and replicas that meet the targets

Exit codes: ` +
      `${exitCodeSummary()}.`,
  );
  // Subcommands inherit exitOverride so usage errors map to exit code 2 in one place.
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}
