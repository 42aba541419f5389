// `serve down` (cli): asks the running controller to drain and stop, and waits until it is gone.
import type { Command } from 'commander';
import { errorMessage, UnreachableError, UserError } from '../common/errors.js';
import { parseDurationMs } from '../common/units.js';
import { AdminClient } from '../cluster/admin-client.js';
import { isAlive } from '../cluster/proc-stats.js';
import { DEFAULT_STATE_DIR, notRunning, runningPid, statePaths } from '../cluster/state-dir.js';
import { action } from './errors.js';

export function register(program: Command): void {
  program
    .command('down')
    .description('Drain and stop the running cluster: the gateway finishes what it accepted, then the replicas stop.')
    .option('--timeout <duration>', 'how long to wait for a clean stop before killing the controller (its children exit with it)', '60s')
    .option('--state-dir <dir>', 'state directory of the cluster', DEFAULT_STATE_DIR)
    .action(
      action(async (opts: { timeout: string; stateDir: string }) => {
        let timeoutMs: number;
        try {
          timeoutMs = parseDurationMs(opts.timeout);
        } catch (err) {
          throw new UserError(`--timeout: ${errorMessage(err)}`);
        }
        const paths = statePaths(opts.stateDir);
        const pid = runningPid(paths);
        if (pid === undefined) throw notRunning(paths);
        try {
          await new AdminClient(opts.stateDir).down();
        } catch (err) {
          // Still starting (no socket yet): SIGTERM asks `serve up` for the same drain.
          if (!(err instanceof UnreachableError)) throw err;
          process.kill(pid, 'SIGTERM');
        }
        const deadline = Date.now() + timeoutMs;
        while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        if (isAlive(pid)) {
          process.kill(pid, 'SIGKILL');
          process.stdout.write(`stopped (killed the controller, pid ${pid}, after ${opts.timeout}; its children exit with it)\n`);
        } else {
          process.stdout.write(`stopped (pid ${pid})\n`);
        }
      }),
    );
}
