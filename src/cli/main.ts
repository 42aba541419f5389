// Entry point of the `serve` CLI (cli): builds the commander program from one file per command.
import { Command } from 'commander';
import { reportError } from './errors.js';
import { register as registerModel } from './model.js';
import { register as registerReplica } from './replica.js';
import { register as registerGateway } from './gateway.js';
import { register as registerValidate } from './validate.js';
import { register as registerUp } from './up.js';
import { register as registerStatus } from './status.js';
import { register as registerLogs } from './logs.js';
import { register as registerScale } from './scale.js';
import { register as registerDown } from './down.js';
import { register as registerBench } from './bench.js';
import { register as registerDemo } from './demo.js';

export function buildProgram(): Command {
  const program = new Command('serve')
    .description('Start, supervise, load-test and tune low-latency ONNX model serving clusters.')
    .version('0.1.0')
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false })
    .exitOverride();
  for (const register of [
    registerDemo, registerUp, registerStatus, registerLogs, registerScale, registerDown,
    registerBench, registerValidate, registerModel, registerReplica, registerGateway,
  ]) register(program);
  program.addHelpText('after', `
Examples:
  $ serve demo                              build the demo model, serve it, load it at 200 req/s, gate on the targets
  $ serve up --profile local                start the local profile in the foreground (Ctrl-C stops it)
  $ serve bench --profile local --rps 200   load the running cluster and check its targets
  $ serve status --json                     the running cluster as JSON

Exit codes: 0 ok, 1 a target missed, 2 usage or config error, 3 target unreachable, 70 internal error.`);
  // Subcommands inherit exitOverride so usage errors map to exit code 2 in one place.
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

await main();
