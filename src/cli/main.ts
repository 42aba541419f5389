// Entry point of the `serve` CLI (cli): builds the commander program (program.ts) for the named
// command, parses argv with it, and turns any error into an exit code.
import { UserError } from '../common/errors.js';
import { buildProgram, commandModules } from './program.js';
import { reportError } from './errors.js';

/** Names other tools use for our commands (pm2, systemctl): each answered with ours. */
const otherNames: Readonly<Record<string, string>> = { start: 'up', stop: 'down' };

async function main(): Promise<void> {
  // `serve status | head` closes the pipe early: that is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const first = process.argv[2];
  const known = commandModules.some(([name]) => name === first);
  try {
    const ours = first !== undefined && Object.hasOwn(otherNames, first) ? otherNames[first] : undefined;
    if (ours !== undefined)
      throw new UserError(
        `unknown command '${first}': did you mean \`serve ${ours}\`? (see \`serve ` + `${ours} --help\`)`,
      );
    const program = await buildProgram(known ? first : undefined);
    await program.parseAsync(process.argv);
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

await main();
