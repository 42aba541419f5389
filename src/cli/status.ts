// `serve status` (cli): asks the running controller for its ClusterStatus over the admin socket
// and prints it as a table (or JSON). `renderStatus` is pure, so `serve up` prints the same table.
import path from 'node:path';
import type { Command } from 'commander';
import { SD_FILE_NAME } from '../common/monitoring.js';
import { errorMessage, UserError } from '../common/errors.js';
import { formatBytes, formatMs, parseDurationMs } from '../common/units.js';
import { AdminClient } from '../client/admin-client.js';
import { DEFAULT_STATE_DIR } from '../cluster/state-dir.js';
import type { ClusterStatus } from '../common/cluster-status.js';
import { action } from './errors.js';
import { printJson } from './output.js';
import { compactTable } from './table.js';

/** The status as text for people: a header, a replica table, then reasons and warnings. */
export function renderStatus(s: ClusterStatus): string {
  const lines: string[] = [];
  lines.push(`Profile ${s.profile.name}${s.profile.path ? ` (${s.profile.path})` : ''} · model ${s.model.name}@${s.model.version} · ${s.phase}, up ${formatMs(s.uptimeMs)}`);
  lines.push(`Gateway ${s.gatewayUrl || '(not listening)'} · ${s.gateway.state}${s.gateway.pid ? `, pid ${s.gateway.pid}` : ''}${s.gateway.restarts ? `, ${s.gateway.restarts} restarts` : ''}`);
  if (s.controllerMetricsUrl) lines.push(`Metrics ${s.controllerMetricsUrl} (controller, pid ${s.controllerPid}) · Prometheus targets in ${path.join(s.stateDir, SD_FILE_NAME)}`);
  const a = s.autoscaling;
  const load = a.averageInFlight === undefined ? '' : ` · average in-flight ${a.averageInFlight.toFixed(1)} -> wants ${a.wantedReplicas}`;
  lines.push(
    a.enabled
      ? `Autoscaling ${a.active ? 'on' : 'paused (scaled with --force)'}: ${a.minReplicas}..${a.maxReplicas} replicas, target ${a.targetOngoingRequests} in flight each${load}`
      : `Autoscaling off: ${s.desiredReplicas} replicas${load}`,
  );
  const rows = s.replicas.map((r) => [
    r.id, r.state, r.host ?? '-', r.pid ?? '-', r.port ?? '-', r.device ?? '-', r.restarts, r.inFlight ?? '-',
    r.rssBytes === undefined ? '-' : formatBytes(r.rssBytes),
    r.cpuPercent === undefined ? '-' : r.cpuPercent.toFixed(0),
    r.uptimeMs === undefined ? '-' : formatMs(r.uptimeMs),
  ]);
  lines.push(compactTable(['replica', 'state', 'host', 'pid', 'port', 'device', 'restarts', 'in-flight', 'RSS', 'CPU%', 'uptime'], rows));
  for (const r of s.replicas) {
    const retry = r.retryInMs === undefined ? '' : `; next start in ${formatMs(r.retryInMs)}`;
    if (r.reason && r.state !== 'ready') lines.push(`  ${r.id} ${r.state}: ${r.reason}${retry}`);
  }
  for (const w of s.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n');
}

export function register(program: Command): void {
  program
    .command('status')
    .description('Show the running cluster: gateway URL and each replica with state, pid, port, restarts, in-flight, RSS, CPU%, uptime.')
    .option('--state-dir <dir>', 'state directory of the cluster', DEFAULT_STATE_DIR)
    .option('--json', 'print the status as JSON')
    .option('--timeout <duration>', 'how long to wait for the controller to answer', '10s')
    .addHelpText('after', '\nExit code 3 when no cluster is running in the state directory, or its controller does not answer.')
    .action(
      action(async (opts: { stateDir: string; json?: boolean; timeout: string }) => {
        let timeoutMs: number;
        try {
          timeoutMs = parseDurationMs(opts.timeout);
        } catch (err) {
          throw new UserError(`--timeout: ${errorMessage(err)}`);
        }
        const status = await new AdminClient(opts.stateDir, Math.max(1, timeoutMs)).status();
        if (opts.json) printJson(status);
        else process.stdout.write(renderStatus(status) + '\n');
      }),
    );
}
