// `serve status` (cli): asks the running controller for its ClusterStatus over the admin socket
// and prints it as a table (or JSON). `renderStatus` is pure, so `serve up` prints the same table.
import path from 'node:path';
import type { Command } from 'commander';
import { SD_FILE_NAME } from '../common/monitoring.js';
import { errorMessage, UserError } from '../common/errors.js';
import { formatBytes, formatMs, parseDurationMs } from '../common/units.js';
import { AdminClient } from '../client/admin-client.js';
import { DEFAULT_STATE_DIR, runningPid, statePaths } from '../cluster/state-dir.js';
import { clearDeadOwner, controllerDeath } from '../common/controller-death.js';
import { ExitCode } from '../common/exit-codes.js';
import { renderDeath, renderPrevious } from './status-death.js';
import type { CacheStatus, ClusterStatus, OtherServersStatus, WriteFailure } from '../common/cluster-status.js';
import { cacheStatusFromMetrics, countOtherServers, readGatewayMetrics } from '../client/gateway-metrics.js';
import { action } from './errors.js';
import { printJson } from './output.js';
import { compactTable } from './table.js';
import { renderRollout } from './rollout.js';

/** The status as text for people: a header, a replica table, then reasons and warnings. */
export function renderStatus(s: ClusterStatus): string {
  const lines: string[] = [];
  lines.push(`Profile ${s.profile.name}${s.profile.path ? ` (${s.profile.path})` : ''} · model ${s.model.name}@${s.model.version} · ${s.phase}, up ${formatMs(s.uptimeMs)}`);
  lines.push(`Gateway ${s.gatewayUrl || '(not listening)'} · ${s.gateway.state}${s.gateway.pid ? `, pid ${s.gateway.pid}` : ''}${s.gateway.restarts ? `, ${s.gateway.restarts} restarts` : ''}`);
  if (s.controllerMetricsUrl) lines.push(`Metrics ${s.controllerMetricsUrl} (controller, pid ${s.controllerPid}) · Prometheus targets in ${path.join(s.stateDir, SD_FILE_NAME)}`);
  if (s.schedule) lines.push(renderSchedule(s.schedule));
  lines.push(...renderAutoscaling(s));
  if (s.rollout) lines.push(renderRollout(s.rollout, 3).trimEnd());
  const rows = s.replicas.map((r) => [
    r.id, r.state, r.version ?? '-', r.host ?? '-', r.pid ?? '-', r.port ?? '-', `${r.device ?? '-'}${r.gpus ? ` gpu ${r.gpus.join(',')}` : ''}`, r.restarts, r.inFlight ?? '-',
    r.rssBytes === undefined ? '-' : formatBytes(r.rssBytes),
    r.cpuPercent === undefined ? '-' : r.cpuPercent.toFixed(0),
    r.uptimeMs === undefined ? '-' : formatMs(r.uptimeMs),
  ]);
  lines.push(compactTable(['replica', 'state', 'version', 'host', 'pid', 'port', 'device', 'restarts', 'in-flight', 'RSS', 'CPU%', 'uptime'], rows));
  for (const r of s.replicas) {
    const retry = r.retryInMs === undefined ? '' : `; next start in ${formatMs(r.retryInMs)}`;
    if (r.reason && r.state !== 'ready') lines.push(`  ${r.id} ${r.state}: ${r.reason}${retry}`);
    else if (r.lastError && r.state === 'starting') lines.push(`  ${r.id} starting again; the last start failed: ${r.lastError}`);
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
    for (const d of decisions) lines.push(`  ${d.at.slice(11, 19)} ${d.by} ${d.action} ${d.from} -> ${d.to}: ${d.reason}`);
  }
  if (s.cache) lines.push(renderCache(s.cache));
  if (s.otherServers) lines.push(...renderOtherServers(s.otherServers));
  return lines.join('\n');
}

/** One line per distinct reason that device auto ended on the CPU, naming its replicas (none when no fallback). */
export function renderDeviceFallbacks(s: ClusterStatus): string[] {
  const byReason = new Map<string, string[]>();
  for (const r of s.replicas) if (r.deviceFallback) byReason.set(r.deviceFallback, [...(byReason.get(r.deviceFallback) ?? []), r.id]);
  return [...byReason].map(([why, ids]) => `  device auto fell back to cpu on ${ids.join(', ')}: ${why}`);
}

/** The other servers the gateway sends to, with what it sent each (when the gateway's /metrics was read). */
export function renderOtherServers(o: OtherServersStatus): string[] {
  const n = (v: number | undefined, what: string) => (v === undefined ? '' : ` · ${v.toLocaleString('en-US')} ${what}`);
  const lines = ['Other servers:'];
  for (const e of o.external) lines.push(`  ${e.name} ${e.url}: ${e.weightPercent}% of infer requests${n(e.requests, 'sent')}`);
  if (o.fallback) lines.push(`  fallback ${o.fallback.url}: when no replica can answer${n(o.fallback.requests, 'sent')}`);
  const sh = o.shadow;
  if (sh) {
    const verdicts = sh.copies === undefined ? '' : ` (${sh.agreements ?? 0} agreed, ${sh.disagreements ?? 0} disagreed, ${sh.errors ?? 0} errors, ${sh.dropped ?? 0} dropped)`;
    lines.push(`  shadow ${sh.url}: a copy of ${sh.sharePercent}% of infer requests${n(sh.copies, 'copies')}${verdicts}`);
  }
  return lines;
}

/** "  disk: /s/state.json not written since 12:00:01 UTC (3 failed tries, retried every second): the disk holding /s is full ...". */
export function renderWriteFailure(f: WriteFailure): string {
  const what = f.droppedLines !== undefined
    ? `${f.droppedLines.toLocaleString('en-US')} ${f.droppedLines === 1 ? 'line' : 'lines'} dropped, logging resumes when the disk takes them`
    : `${f.failures} failed ${f.failures === 1 ? 'try' : 'tries'}, retried every second`;
  return `  disk: ${f.file} not written since ${f.since.slice(11, 19)} UTC (${what}): ${f.error}`;
}

/** One line on the response cache: its hit rate and what it holds. */
export function renderCache(c: CacheStatus): string {
  const rate = c.hitRate === undefined ? 'no cacheable request yet' : `${(c.hitRate * 100).toFixed(1)}% hits (${c.hits.toLocaleString('en-US')} of ${(c.hits + c.misses).toLocaleString('en-US')}${c.redisHits > 0 ? `, ${c.redisHits.toLocaleString('en-US')} from Redis` : ''})`;
  return `Cache: ${rate}; ${c.entries.toLocaleString('en-US')} entries, ${formatBytes(c.bytes)}, ${c.evictions} evictions${c.redisErrors > 0 ? `, ${c.redisErrors} Redis errors` : ''}`;
}

/** "Schedule trading-day: market-hours now; off-hours at 16:00:00 America/New_York (21:00:00 UTC, closes)". */
export function renderSchedule(sch: NonNullable<ClusterStatus['schedule']>): string {
  const next = sch.next
    ? `; ${sch.next.profile} at ${localClock(sch.next.at, sch.timezone)} ${sch.timezone} (${sch.next.at.slice(0, 10)} ${sch.next.at.slice(11, 19)} UTC, ${sch.next.reason})${sch.next.prewarmAt ? `, prewarm from ${localClock(sch.next.prewarmAt, sch.timezone)}` : ''}`
    : '; no switch within 8 days';
  return `Schedule ${sch.name}: ${sch.active} now${next}`;
}

function localClock(iso: string, timezone: string): string {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  return f.format(new Date(iso)).replace(',', '');
}

/** The autoscaling lines: bounds, pin, the signal and what the policy wants, the recent replica counts. */
function renderAutoscaling(s: ClusterStatus): string[] {
  const a = s.autoscaling;
  const signal = a.signal === undefined ? ''
    : ` · signal ${a.signal.toFixed(1)} (in flight ${(a.averageInFlight ?? 0).toFixed(1)} + queued ${(a.averageQueued ?? 0).toFixed(1)})${a.p99Ms !== undefined ? `, p99 ${a.p99Ms.toFixed(1)}ms` : ''} -> wants ${a.wantedReplicas}`;
  const state = !a.enabled ? 'off' : a.pinned !== undefined ? `pinned at ${a.pinned} by \`serve scale\` (\`serve scale auto\` resumes)` : 'on';
  const guard = a.latencyGuard ? ', latency guard on' : '';
  const floor = a.floor !== undefined ? `, at least ${a.floor} until the switch (prewarm)` : '';
  const lines = [`Autoscaling ${state}: ${s.desiredReplicas} replica${s.desiredReplicas === 1 ? '' : 's'} now (${a.minReplicas}..${a.maxReplicas}, target ${a.targetOngoingRequests} per replica${guard}${floor})${signal}`];
  if (a.history.length > 1) lines.push(`Replicas over the last ${formatMs(Date.parse(a.history.at(-1)!.at) - Date.parse(a.history[0]!.at))}: ${sparkline(a.history.map((h) => h.replicas))} (${a.history[0]!.replicas} -> ${a.history.at(-1)!.replicas})`);
  return lines;
}

/** One character per value, from ▁ (the lowest) to █ (the highest); at most the last 60. */
export function sparkline(values: readonly number[]): string {
  const v = values.slice(-60);
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  const bars = '▁▂▃▄▅▆▇█';
  return v.map((x) => bars[hi === lo ? 0 : Math.round(((x - lo) / (hi - lo)) * (bars.length - 1))]).join('');
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
    .description('Show the running cluster: gateway URL, each replica with state, host, pid, port, restarts, in-flight, RSS, CPU%, uptime, the hosts with their GPUs, the cache\'s hit rate, the external, fallback and shadow servers with what the gateway sent them, and any file of the state directory it cannot write now (a full disk).')
    .option('--state-dir <dir>', 'state directory of the cluster', DEFAULT_STATE_DIR)
    .option('--json', 'print the status as JSON')
    .option('--timeout <duration>', 'how long to wait for the controller to answer', '10s')
    .addHelpText('after', `
When the controller died without stopping (kill -9, a crash), status says when it was last known
alive, what became of each of its children (still running or exited), and the rollout it was in
the middle of (also in --json as "controllerDied"); it removes the Prometheus targets, pid file,
admin socket and state.json it left. The next \`serve up\` reports it too.

Exit code 3 when no cluster is running in the state directory (a dead controller included), or its controller does not answer.`)
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
          const death = controllerDeath(paths, true);
          if (death) {
            if (opts.json) printJson({ running: false, stateDir: paths.dir, controllerDied: death });
            else process.stdout.write(renderDeath(death, paths.dir));
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
        if (metrics !== undefined && status.otherServers) status.otherServers = countOtherServers(status.otherServers, metrics);
        if (opts.json) printJson(status);
        else process.stdout.write(renderStatus(status) + '\n');
      }),
    );
}
