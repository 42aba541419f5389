// The cluster status as text for people (cli): header, replica table, reasons, warnings, hosts and
// decisions. Pure, so `serve status` and `serve up` print the same table.
import path from 'node:path';
import { SD_FILE_NAME } from '../../common/monitoring.js';
import { formatBytes, formatMs } from '../../common/units.js';
import type { ClusterStatus, WriteFailure } from '../../common/cluster-status.js';
import { renderPrevious } from './death.js';
import { renderCache, renderOtherServers } from './gateway.js';
import { renderAutoscaling, renderSchedule } from './scaling.js';
import { compactTable } from '../table.js';
import { renderRollout } from '../rollout.js';

/** The status as text for people: a header, a replica table, then reasons and warnings. */
export function renderStatus(s: ClusterStatus): string {
  const lines: string[] = [];
  lines.push(
    `Profile ${s.profile.name}${s.profile.path ? ` (${s.profile.path})` : ''} · ` +
      `model ${s.model.name}@${s.model.version} · ${s.phase}, up ` +
      `${formatMs(s.uptimeMs)}`,
  );
  lines.push(
    `Gateway ${s.gatewayUrl || '(not listening)'} · ${s.gateway.state}` +
      `${s.gateway.pid ? `, pid ${s.gateway.pid}` : ''}` +
      `${s.gateway.adopted ? ' (adopted)' : ''}` +
      `${s.gateway.restarts ? `, ${s.gateway.restarts} restarts` : ''}`,
  );
  if (s.controllerMetricsUrl)
    lines.push(
      `Metrics ${s.controllerMetricsUrl} (controller, pid ${s.controllerPid}) · ` +
        `Prometheus targets in ${path.join(s.stateDir, SD_FILE_NAME)}`,
    );
  if (s.schedule) lines.push(renderSchedule(s.schedule));
  lines.push(...renderAutoscaling(s));
  if (s.rollout) lines.push(renderRollout(s.rollout, 3).trimEnd());
  const rows = s.replicas.map((r) => [
    r.id,
    r.adopted ? `${r.state} (adopted)` : r.state,
    r.version ?? '-',
    r.host ?? '-',
    r.pid ?? '-',
    r.port ?? '-',
    `${r.device ?? '-'}${r.gpus ? ` gpu ${r.gpus.join(',')}` : ''}`,
    r.restarts,
    r.inFlight ?? '-',
    r.rssBytes === undefined ? '-' : formatBytes(r.rssBytes),
    r.cpuPercent === undefined ? '-' : r.cpuPercent.toFixed(0),
    r.uptimeMs === undefined ? '-' : formatMs(r.uptimeMs),
  ]);
  lines.push(
    compactTable(
      [
        'replica',
        'state',
        'version',
        'host',
        'pid',
        'port',
        'device',
        'restarts',
        'in-flight',
        'RSS',
        'CPU%',
        'uptime',
      ],
      rows,
    ),
  );
  for (const r of s.replicas) {
    const retry = r.retryInMs === undefined ? '' : `; next start in ${formatMs(r.retryInMs)}`;
    if (r.reason && r.state !== 'ready') lines.push(`  ${r.id} ${r.state}: ${r.reason}${retry}`);
    else if (r.lastError && r.state === 'starting')
      lines.push(`  ${r.id} starting again; the last start failed: ${r.lastError}`);
  }
  lines.push(...renderDeviceFallbacks(s));
  for (const w of s.warnings) lines.push(`  warning: ${w}`);
  lines.push(...renderPrevious(s.previousController));
  for (const f of s.writeFailures ?? []) lines.push(renderWriteFailure(f));
  const hosts = renderHosts(s);
  if (hosts) lines.push(hosts);
  const decisions = s.autoscaling.decisions.slice(-5);
  if (decisions.length > 0) {
    lines.push('Last scaling decisions:');
    for (const d of decisions)
      lines.push(`  ${d.at.slice(11, 19)} ${d.by} ${d.action} ${d.from} -> ${d.to}: ${d.reason}`);
  }
  if (s.cache) lines.push(renderCache(s.cache));
  if (s.otherServers) lines.push(...renderOtherServers(s.otherServers));
  return lines.join('\n');
}

/** One line per distinct reason that device auto ended on the CPU, naming its replicas (none when no fallback). */
export function renderDeviceFallbacks(s: ClusterStatus): string[] {
  const byReason = new Map<string, string[]>();
  for (const r of s.replicas)
    if (r.deviceFallback) byReason.set(r.deviceFallback, [...(byReason.get(r.deviceFallback) ?? []), r.id]);
  return [...byReason].map(([why, ids]) => `  device auto fell back to cpu on ${ids.join(', ')}: ${why}`);
}

/** "  disk: /s/state.json not written since 12:00:01 UTC (3 failed tries, retried every second): the disk holding /s is full ...". */
export function renderWriteFailure(f: WriteFailure): string {
  const what =
    f.droppedLines !== undefined
      ? `${f.droppedLines.toLocaleString('en-US')} ` +
        `${f.droppedLines === 1 ? 'line' : 'lines'} dropped, logging resumes when the ` +
        `disk takes them`
      : `${f.failures} failed ${f.failures === 1 ? 'try' : 'tries'}, retried every second`;
  return `  disk: ${f.file} not written since ${f.since.slice(11, 19)} UTC (${what}): ` + `${f.error}`;
}

/** The hosts table, when there is more than this machine, an SSH host or any GPU; then down hosts with why and their next attempt. */
function renderHosts(s: ClusterStatus): string | undefined {
  const hosts = s.hosts ?? [];
  if (hosts.length <= 1 && !hosts.some((h) => h.gpus.length > 0 || h.ssh !== undefined || h.state !== 'up'))
    return undefined;
  const rows = hosts.map((h) => [
    h.name,
    h.state,
    h.ssh ?? '(this machine)',
    round(h.cpus),
    formatBytes(h.memoryBytes),
    s.replicas.filter((r) => r.host === h.name && r.pid !== undefined).length,
    h.gpus.length === 0 ? '-' : h.gpus.map(renderGpu).join('  '),
  ]);
  const lines = [
    compactTable(['host', 'state', 'ssh', 'cpus', 'memory', 'replicas', 'gpus (util, memory used/total)'], rows, 100),
  ];
  for (const h of hosts) if (h.state !== 'up') lines.push(renderHostDown(h));
  return lines.join('\n');
}

/** "  h1 down: lost the SSH connection to ... (...); next attempt in 3.9s". */
export function renderHostDown(h: NonNullable<ClusterStatus['hosts']>[number]): string {
  const next = h.nextAttemptInMs === undefined ? '' : `; next attempt in ${formatMs(h.nextAttemptInMs)}`;
  return `  ${h.name} ${h.state}: ${h.reason ?? 'no reason known'}${next}`;
}

function renderGpu(g: NonNullable<ClusterStatus['hosts']>[number]['gpus'][number]): string {
  const util = g.utilizationPercent === undefined ? '?' : `${g.utilizationPercent}%`;
  const mem =
    g.memoryTotalBytes === undefined
      ? ''
      : ` ${g.memoryUsedBytes === undefined ? '?' : formatBytes(g.memoryUsedBytes)}/` +
        `${formatBytes(g.memoryTotalBytes)}`;
  return `${g.index}: ${util}${mem}`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
