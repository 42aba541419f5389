// Entry point of the `serve` CLI (cli): builds the commander program (program.ts) for the named
// command, parses argv with it, and turns any error into an exit code.
import { buildProgram, commandModules } from './program.js';
import { reportError } from './errors.js';

async function main(): Promise<void> {
  // `serve status | head` closes the pipe early: that is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const first = process.argv[2];
  const known = commandModules.some(([name]) => name === first);
  try {
    const program = await buildProgram(known ? first : undefined);
    await program.parseAsync(process.argv);
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

await main();
