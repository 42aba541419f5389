// `serve status` (cli): asks the running controller for its ClusterStatus over the admin socket
// and prints it as a table (status-render.ts) or JSON; reports a controller that died.
import type { Command } from 'commander';
import { errorMessage, UserError } from '../../common/errors.js';
import { parseDurationMs } from '../../common/units.js';
import { AdminClient } from '../../client/admin-client.js';
import { DEFAULT_STATE_DIR, runningPid, statePaths } from '../../cluster/state/index.js';
import { clearDeadOwner, controllerDeath } from '../../common/controller-death.js';
import { ExitCode } from '../../common/exit-codes.js';
import { renderDeath } from './death.js';
import { askDataPlane } from '../../client/orphans.js';
import { lookAtRemoteOrphans, withRemoteLook } from '../../cluster/hosts/index.js';
import { cacheStatusFromMetrics, countOtherServers, readGatewayMetrics } from '../../client/gateway-metrics.js';
import { action } from '../errors.js';
import { printJson } from '../output.js';
import { renderStatus } from './render.js';

export function register(program: Command): void {
  program
    .command('status')
    .description(
      'Show the running cluster: gateway URL, each replica with state, host, pid, ' +
        'port, restarts, in-flight, RSS, CPU%, uptime, the hosts with their GPUs, the ' +
        "cache's hit rate, the external, fallback and shadow servers with what the " +
        'gateway sent them, and any file of the state directory it cannot write now (a full disk).',
    )
    .option('--state-dir <dir>', 'state directory of the cluster', DEFAULT_STATE_DIR)
    .option('--json', 'print the status as JSON')
    .option('--timeout <duration>', 'how long to wait for the controller to answer', '10s')
    .addHelpText(
      'after',
      `
When the controller died without stopping (kill -9, a crash), its gateway and ` +
        `replicas keep serving:
status asks each of them directly (/v2/health/ready; one on an SSH host is first ` +
        `looked at there over
ssh, as the controller's journal recorded how to reach it) and says since when ` +
        `the controller is down,
whether the data plane serves, what became of each child, the rollout it was in ` +
        `the middle of, and
how to re-adopt it (\`serve up\` with the same profile and state directory) or ` +
        `stop it (\`serve down\`);
in --json as "controllerDied" and "dataPlane". It removes the pid file, admin ` +
        `socket and state.json
it left, and the Prometheus targets once no child runs. The next \`serve up\` ` +
        `reports it too.

Exit code 3 when ` +
        `no cluster is running in the state directory (a dead controller included, even ` +
        `while its data plane serves: see "dataPlane.serving"), or ` +
        `its controller does not answer.`,
    )
    .action(
      action(async (opts: { stateDir: string; json?: boolean; timeout: string }) => {
        let timeoutMs: number;
        try {
          timeoutMs = parseDurationMs(opts.timeout);
        } catch (err) {
          throw new UserError(`--timeout: ${errorMessage(err)}`);
        }
        const paths = statePaths(opts.stateDir);
        if (runningPid(paths) === undefined) {
          const dead = controllerDeath(paths, true);
          if (dead) {
            // Its children on SSH hosts are looked at there (over ssh as its journal says), each host at once.
            const death = withRemoteLook(dead, await lookAtRemoteOrphans(dead));
            const plane = await askDataPlane(death, Math.min(2000, Math.max(1, timeoutMs)));
            if (opts.json) printJson({ running: false, stateDir: paths.dir, controllerDied: death, dataPlane: plane });
            else process.stdout.write(renderDeath(death, paths.dir, plane));
            return ExitCode.Unreachable;
          }
          // A controller from before the journal: still no stale targets, pid file or socket.
          clearDeadOwner(paths);
        }
        const status = await new AdminClient(opts.stateDir, Math.max(1, timeoutMs)).status();
        // The hit rate and the other servers' counts come from the gateway itself (its /metrics), so
        // the controller need not scrape it.
        const metrics = await readGatewayMetrics(status.gatewayUrl, Math.min(2000, Math.max(1, timeoutMs)));
        const cache = metrics === undefined ? undefined : cacheStatusFromMetrics(metrics);
        if (cache) status.cache = cache;
        if (metrics !== undefined && status.otherServers)
          status.otherServers = countOtherServers(status.otherServers, metrics);
        if (opts.json) printJson(status);
        else process.stdout.write(renderStatus(status) + '\n');
      }),
    );
}
