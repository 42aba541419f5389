// `serve status` (cli): asks the running controller for its ClusterStatus over the admin socket
// and prints it as a table (or JSON). `renderStatus` is pure, so `serve up` prints the same table.
import type { Command } from 'commander';
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
  const a = s.autoscaling;
  const load = a.averageInFlight === undefined ? '' : ` · average in-flight ${a.averageInFlight.toFixed(1)} -> wants ${a.wantedReplicas}`;
  lines.push(
    a.enabled
      ? `Autoscaling ${a.active ? 'on' : 'paused (scaled with --force)'}: ${a.minReplicas}..${a.maxReplicas} replicas, target ${a.targetOngoingRequests} in flight each${load}`
      : `Autoscaling off: ${s.desiredReplicas} replicas${load}`,
  );
  const rows = s.replicas.map((r) => [
    r.id, r.state, r.host ?? '-', r.pid ?? '-', r.port ?? '-', `${r.device ?? '-'}${r.gpus ? ` gpu ${r.gpus.join(',')}` : ''}`, r.restarts, r.inFlight ?? '-',
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
  const hosts = renderHosts(s);
  if (hosts) lines.push(hosts);
  return lines.join('\n');
}

/** The hosts table, when there is more than this machine or any GPU; then down hosts with why. */
function renderHosts(s: ClusterStatus): string | undefined {
  const hosts = s.hosts ?? [];
  if (hosts.length <= 1 && !hosts.some((h) => h.gpus.length > 0)) return undefined;
  const rows = hosts.map((h) => [
    h.name, h.state, h.ssh ?? '(this machine)', round(h.cpus), formatBytes(h.memoryBytes), s.replicas.filter((r) => r.host === h.name && r.pid !== undefined).length,
    h.gpus.length === 0 ? '-' : h.gpus.map(renderGpu).join('  '),
  ]);
  const lines = [compactTable(['host', 'state', 'ssh', 'cpus', 'memory', 'replicas', 'gpus (util, memory used/total)'], rows, 100)];
  for (const h of hosts) if (h.state !== 'up' && h.reason) lines.push(`  ${h.name} ${h.state}: ${h.reason}`);
  return lines.join('\n');
}

function renderGpu(g: NonNullable<ClusterStatus['hosts']>[number]['gpus'][number]): string {
  const util = g.utilizationPercent === undefined ? '?' : `${g.utilizationPercent}%`;
  const mem = g.memoryTotalBytes === undefined ? '' : ` ${g.memoryUsedBytes === undefined ? '?' : formatBytes(g.memoryUsedBytes)}/${formatBytes(g.memoryTotalBytes)}`;
  return `${g.index}: ${util}${mem}`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

export function register(program: Command): void {
  program
    .command('status')
    .description('Show the running cluster: gateway URL, each replica with state, host, pid, port, restarts, in-flight, RSS, CPU%, uptime, and the hosts with their GPUs.')
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
