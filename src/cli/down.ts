// `serve down` (cli): asks the running controller to drain and stop, and waits until it is gone.
// A controller that does not answer is stopped with SIGTERM, then SIGKILL (it and its group); what a
// dead controller left serving is stopped here and, over ssh, on its SSH hosts.
import path from 'node:path';
import type { Command } from 'commander';
import { errorMessage, UserError } from '../common/errors.js';
import { formatMs, parseDurationMs } from '../common/units.js';
import { stopController } from '../client/detached-cluster.js';
import { DEFAULT_STATE_DIR, runningPid, statePaths } from '../cluster/state/index.js';
import { controllerDeath, notRunningHere, type ControllerDeath } from '../common/controller-death.js';
import { stopDataPlane } from '../client/orphans.js';
import { removeStaleSockets } from '../client/stale-sockets.js';
import { handStopCommand, stopRemoteOrphans } from '../cluster/hosts/index.js';
import { ExitCode } from '../common/exit-codes.js';
import { action } from './errors.js';

/** After SIGTERM to a controller that did not answer, how long before SIGKILL (at most). */
const TERM_GRACE_MS = 5000;

/** What stopping a dead controller's children did: whether any ran, and the lines saying what was not stopped. */
interface Leftovers {
  any: boolean;
  notStopped: string[];
}

/**
 * Stops what a dead controller left serving (its gateway and replicas outlive it): here, and on its
 * SSH hosts over ssh as its journal says to reach them, all at once.
 */
async function stopLeftovers(death: ControllerDeath, timeoutMs: number): Promise<Leftovers> {
  const graceMs = Math.min(TERM_GRACE_MS, Math.max(timeoutMs, 1000));
  const [local, remote] = await Promise.all([stopDataPlane(death, graceMs), stopRemoteOrphans(death, graceMs)]);
  const stopped = [
    ...local.map((c) => `${c.id} pid ${c.pid}${c.killed ? ' (SIGKILL)' : ''}`),
    ...remote
      .filter((c) => c.fate === 'stopped' || c.fate === 'killed')
      .map((c) => `${c.id} pid ${c.pid} on ${c.host}${c.fate === 'killed' ? ' (SIGKILL)' : ''}`),
  ];
  if (stopped.length > 0)
    process.stdout.write(
      `stopped what the controller (pid ${death.pid}, died without stopping) left serving: ${stopped.join(', ')}\n`,
    );
  const notStopped = remote
    .filter((c) => c.fate === 'unreachable' || c.fate === 'not-tried' || c.fate === 'left')
    .map(
      (c) =>
        `not stopped: ${c.id} pid ${c.pid} on ${c.host}: ${c.fate === 'left' ? 'still there after SIGKILL' : c.why}; ` +
        `stop it by hand: ${handStopCommand(death.sshHosts?.[c.host], c.host, c.pid)}` +
        `${c.fate === 'left' ? '' : ' (if that pid is still the replica)'}`,
    );
  for (const line of notStopped) process.stdout.write(`${line}\n`);
  return { any: stopped.length > 0 || notStopped.length > 0, notStopped };
}

export function register(program: Command): void {
  program
    .command('down')
    .description(
      'Drain and stop the running cluster: the gateway finishes what it accepted, then ' +
        'the replicas stop. With a controller that died, stops the gateway and replicas it left serving on ' +
        'this machine, and those on SSH hosts over ssh as its journal recorded how to reach them (exit 3 ' +
        'when one could not be stopped: a host not reached; the output says how to stop it by hand). ' +
        'With nothing running it says "nothing to stop" and exits 0. Last, it removes the sockets in ' +
        "the state directory's run/ that nothing listens on (left by children killed with SIGKILL).",
    )
    .option(
      '--timeout <duration>',
      'how long to wait for the controller to answer and then to stop cleanly; past ' +
        'it, or if it does not answer, it is sent SIGTERM then SIGKILL, and then its gateway and replicas ' +
        '(which outlive it; on SSH hosts too) get SIGTERM, SIGKILL after 5s',
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
        // Sockets of children killed with SIGKILL, now or before, that nothing listens on.
        const sweep = () => removeStaleSockets(path.join(paths.dir, 'run'));
        if (pid === undefined) {
          const death = controllerDeath(paths, false);
          const left = death && (await stopLeftovers(death, timeoutMs));
          await sweep();
          if (left && left.any) return left.notStopped.length > 0 ? ExitCode.Unreachable : undefined;
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
        const left = death && (await stopLeftovers(death, timeoutMs));
        await sweep();
        if (left && left.notStopped.length > 0) return ExitCode.Unreachable;
      }),
    );
}
