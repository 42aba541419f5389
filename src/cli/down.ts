// `serve down` (cli): asks the running controller to drain and stop, and waits until it is gone.
// A controller that does not answer is stopped with SIGTERM, then SIGKILL (it and its group).
import type { Command } from 'commander';
import { errorMessage, UserError } from '../common/errors.js';
import { formatMs, parseDurationMs } from '../common/units.js';
import { stopController } from '../client/detached-cluster.js';
import { DEFAULT_STATE_DIR, runningPid, statePaths } from '../cluster/state/index.js';
import { controllerDeath, notRunningHere, type ControllerDeath } from '../common/controller-death.js';
import { stopDataPlane } from '../client/orphans.js';
import { action } from './errors.js';

/** After SIGTERM to a controller that did not answer, how long before SIGKILL (at most). */
const TERM_GRACE_MS = 5000;

/**
 * Stops what a dead controller left serving on this machine (its gateway and replicas outlive it);
 * false when nothing of it runs here.
 */
async function stopLeftovers(death: ControllerDeath, timeoutMs: number): Promise<boolean> {
  const stopped = await stopDataPlane(death, Math.min(TERM_GRACE_MS, Math.max(timeoutMs, 1000)));
  if (stopped.length === 0) return false;
  const what = stopped.map((c) => `${c.id} pid ${c.pid}${c.killed ? ' (SIGKILL)' : ''}`).join(', ');
  process.stdout.write(`stopped what the controller (pid ${death.pid}, died without stopping) left serving: ${what}\n`);
  return true;
}

export function register(program: Command): void {
  program
    .command('down')
    .description(
      'Drain and stop the running cluster: the gateway finishes what it accepted, then ' +
        'the replicas stop. With a controller that died, stops the gateway and replicas it left serving on ' +
        'this machine. With nothing running it says "nothing to stop" and exits 0.',
    )
    .option(
      '--timeout <duration>',
      'how long to wait for the controller to answer and then to stop cleanly; past ' +
        'it, or if it does not answer, it is sent SIGTERM then SIGKILL, and then its gateway and replicas on ' +
        'this machine (which outlive it) get SIGTERM, SIGKILL after 5s',
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
          const death = controllerDeath(paths, false);
          if (death && (await stopLeftovers(death, timeoutMs))) return;
          const why = death ? notRunningHere(paths).message : `no cluster is running in ${paths.dir}`;
          process.stdout.write(`nothing to stop: ${why}\n`);
          return;
        }
        const graceMs = Math.min(TERM_GRACE_MS, Math.max(timeoutMs, 1000));
        const r = await stopController(paths, { pid }, { timeoutMs, termGraceMs: graceMs });
        if (r.unresponsive !== undefined) {
          const how = r.killed ? `sent SIGTERM, then SIGKILL after ${formatMs(graceMs)}` : 'sent SIGTERM';
          process.stdout.write(`stopped (the controller, pid ${pid}, ${r.unresponsive}; ${how})\n`);
        } else if (r.killed) {
          process.stdout.write(`stopped (killed the controller, pid ${pid}, after ${opts.timeout})\n`);
        } else {
          process.stdout.write(`stopped (pid ${pid})\n`);
        }
        // A controller that had to be killed leaves its children serving: they are stopped too.
        const death = r.killed || r.unresponsive !== undefined ? controllerDeath(paths, false) : undefined;
        if (death) await stopLeftovers(death, timeoutMs);
      }),
    );
}
