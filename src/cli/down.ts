// `serve down` (cli): asks the running controller to drain and stop, and waits until it is gone.
// A controller that does not answer is stopped with SIGTERM, then SIGKILL (it and its group).
import type { Command } from 'commander';
import { errorMessage, UserError } from '../common/errors.js';
import { formatMs, parseDurationMs } from '../common/units.js';
import { stopController } from '../client/detached-cluster.js';
import { DEFAULT_STATE_DIR, runningPid, statePaths } from '../cluster/state/index.js';
import { controllerDeath, notRunningHere } from '../common/controller-death.js';
import { action } from './errors.js';

/** After SIGTERM to a controller that did not answer, how long before SIGKILL (at most). */
const TERM_GRACE_MS = 5000;

export function register(program: Command): void {
  program
    .command('down')
    .description(
      'Drain and stop the running cluster: the gateway finishes what it accepted, then ' +
        'the replicas stop. With nothing running it says "nothing to stop" and exits 0.',
    )
    .option(
      '--timeout <duration>',
      'how long to wait for the controller to answer and then to stop cleanly; past ' +
        'it, or if it does not answer, it is sent SIGTERM then SIGKILL (its children exit with it)',
      '60s',
    )
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
        // Nothing running is what `down` wants: exit 0, so an always-run CI teardown step never fails (docker compose down does the same).
        // A controller that died is still said (its children may need `serve status`).
        if (pid === undefined) {
          const why = controllerDeath(paths, false)
            ? notRunningHere(paths).message
            : `no cluster is running in ${paths.dir}`;
          process.stdout.write(`nothing to stop: ${why}\n`);
          return;
        }
        const graceMs = Math.min(TERM_GRACE_MS, Math.max(timeoutMs, 1000));
        const r = await stopController(paths, { pid }, { timeoutMs, termGraceMs: graceMs });
        if (r.unresponsive !== undefined) {
          const how = r.killed ? `sent SIGTERM, then SIGKILL after ${formatMs(graceMs)}` : 'sent SIGTERM';
          process.stdout.write(`stopped (the controller, pid ${pid}, ${r.unresponsive}; ${how})\n`);
        } else if (r.killed) {
          process.stdout.write(
            `stopped (killed the controller, pid ${pid}, after ${opts.timeout}; its ` + `children exit with it)\n`,
          );
        } else {
          process.stdout.write(`stopped (pid ${pid})\n`);
        }
      }),
    );
}
