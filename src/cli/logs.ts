// `serve logs` (cli): the controller's, gateway's and replicas' logs from the state directory,
// merged in time order with a prefix per component; -f follows them.
import type { Command } from 'commander';
import { UnreachableError, UserError } from '../common/errors.js';
import { followLogs, formatLogLine, isComponentName, logComponents, mergedTail } from '../client/logs.js';
import { DEFAULT_STATE_DIR, statePaths } from '../cluster/state/index.js';
import { action } from './errors.js';

export function register(program: Command): void {
  program
    .command('logs')
    .description(
      'Show the logs of the controller, the gateway and the replicas, each line ' + 'prefixed with its component.',
    )
    .argument('[component]', 'only this one: controller, gateway, replica-2 (or just 2)')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('-n, --lines <count>', 'how many of the last lines to show', '50')
    .option('--state-dir <dir>', 'state directory of the cluster', DEFAULT_STATE_DIR)
    .addHelpText('after', '\nExamples:\n  $ serve logs -n 100\n  $ serve logs replica-2 -f')
    .action(
      action(async (component: string | undefined, opts: { follow?: boolean; lines: string; stateDir: string }) => {
        if (!/^\d+$/.test(opts.lines)) throw new UserError(`--lines must be a whole number, got "${opts.lines}"`);
        // A name is only ever looked up inside logs/: nothing with a slash or dots can point elsewhere.
        if (component !== undefined && !isComponentName(component)) {
          throw new UserError(
            `"${component}" is not a component name: use controller, gateway, replica-N (or ` + `just N)`,
          );
        }
        const paths = statePaths(opts.stateDir);
        const available = logComponents(paths.logsDir);
        if (available.length === 0) {
          throw new UnreachableError(
            `no logs in ${paths.logsDir}: start a cluster with \`serve up --profile <profile>\``,
          );
        }
        const wanted =
          component === undefined ? undefined : /^\d+$/.test(component) ? `replica-${component}` : component;
        if (wanted !== undefined && !available.includes(wanted)) {
          throw new UserError(
            `no log for "${component}" in ${paths.logsDir}: choose one of ` + `${available.join(', ')}`,
          );
        }
        const pick = () => (wanted ? [wanted] : logComponents(paths.logsDir));
        const width = Math.max(...available.map((c) => c.length));
        for (const l of mergedTail(paths.logsDir, pick(), Number(opts.lines)))
          process.stdout.write(formatLogLine(l, width) + '\n');
        if (!opts.follow) return;
        const stop = followLogs(paths.logsDir, pick, (l) => process.stdout.write(formatLogLine(l, width) + '\n'));
        await new Promise<void>((resolve) => {
          const end = () => {
            stop();
            resolve();
          };
          process.once('SIGINT', end);
          process.once('SIGTERM', end);
        });
      }),
    );
}
