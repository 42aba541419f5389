// The ClusterStatus a running controller reports (control plane): plain data built from its parts,
// for `serve status`, the admin API and `serve up`'s table.
import type { Profile } from '../../profile/types.js';
import type { AutoscaleLoop } from '../autoscale/index.js';
import type { GatewayLink } from './gateway-link.js';
import type { ClusterStatus, OtherServersStatus, ScheduleStatus } from '../../common/cluster-status.js';
import { redactUrl } from '../../common/redact-url.js';
import type { ScheduleRunner } from '../schedule/index.js';
import type { Supervisor } from '../replicas/index.js';
import type { ClusterStateFile } from '../../common/wire.js';

export interface StatusParts {
  /** The profile in force. */
  profile: Profile;
  phase: ClusterStatus['phase'];
  modelVersion: number;
  gatewayUrl: string;
  gateway: GatewayLink;
  supervisor: Supervisor;
  stateDir: string;
  startedAt: string;
  uptimeMs: number;
  autoscaling: AutoscaleLoop;
  schedule?: { name: string; sourcePath: string; schedule: { timezone: string } };
  scheduleRunner?: ScheduleRunner;
  hosts?: ClusterStatus['hosts'];
  controllerMetricsUrl?: string;
  rollout?: ClusterStatus['rollout'];
  previousController?: ClusterStatus['previousController'];
  writeFailures?: ClusterStatus['writeFailures'];
}

export function buildStatus(p: StatusParts): ClusterStatus {
  const { profile, gateway, supervisor } = p;
  const a = profile.autoscaling;
  const d = p.autoscaling.lastDecision;
  const floor = p.autoscaling.floor;
  return {
    phase: p.phase,
    profile: { name: profile.name, path: profile.sourcePath },
    model: { name: profile.model.name, version: p.modelVersion },
    ...(p.rollout ? { rollout: p.rollout } : {}),
    ...(p.previousController ? { previousController: p.previousController } : {}),
    gatewayUrl: p.gatewayUrl,
    gateway: {
      pid: gateway.pid,
      ...(gateway.holderPid !== undefined ? { holderPid: gateway.holderPid } : {}),
      state: gateway.state,
      restarts: gateway.restarts,
      reason: gateway.failure,
      ...(gateway.adopted && gateway.pid !== undefined ? { adopted: true } : {}),
    },
    controllerPid: process.pid,
    controllerMetricsUrl: p.controllerMetricsUrl,
    stateDir: p.stateDir,
    startedAt: p.startedAt,
    uptimeMs: p.uptimeMs,
    desiredReplicas: supervisor.desired,
    autoscaling: {
      enabled: a.enabled,
      active: p.autoscaling.active,
      minReplicas: profile.replicas.min,
      maxReplicas: profile.replicas.max,
      targetOngoingRequests: a.targetOngoingRequests,
      latencyGuard: a.latencyGuard,
      ...(p.autoscaling.pinned !== undefined ? { pinned: p.autoscaling.pinned } : {}),
      ...(floor !== undefined ? { floor } : {}),
      ...(d
        ? {
            signal: d.signal,
            averageInFlight: d.averageInFlight,
            averageQueued: d.averageQueued,
            wantedReplicas: d.desiredReplicas,
          }
        : {}),
      ...(d?.guard?.p99Ms !== undefined ? { p99Ms: d.guard.p99Ms } : {}),
      decisions: [...p.autoscaling.decisions],
      history: [...p.autoscaling.history],
    },
    ...(p.schedule && p.scheduleRunner ? { schedule: scheduleStatus(p.schedule, p.scheduleRunner) } : {}),
    replicas: supervisor.status(),
    ...(p.hosts ? { hosts: p.hosts } : {}),
    warnings: [...supervisor.warnings],
    ...(otherServersOf(profile) ?? {}),
    ...(p.writeFailures?.length ? { writeFailures: p.writeFailures } : {}),
  };
}

/** The profile's external, fallback and shadow servers as `serve status` lists them; undefined when none. */
export function otherServersOf(profile: Profile): { otherServers: OtherServersStatus } | undefined {
  const g = profile.gateway;
  if (!g.external?.length && g.fallbackUrl === undefined && g.shadow === undefined) return undefined;
  const pct = (f: number) => Math.round(f * 1000) / 10;
  return {
    otherServers: {
      external: (g.external ?? []).map((e, i) => ({
        name: `external-${i}`,
        url: redactUrl(e.url),
        weightPercent: pct(e.weight),
      })),
      ...(g.fallbackUrl !== undefined ? { fallback: { url: redactUrl(g.fallbackUrl) } } : {}),
      ...(g.shadow ? { shadow: { url: redactUrl(g.shadow.url), sharePercent: pct(g.shadow.share) } } : {}),
    },
  };
}

function scheduleStatus(s: NonNullable<StatusParts['schedule']>, r: ScheduleRunner): ScheduleStatus {
  const n = r.next;
  const prewarmAt = r.prewarmAt;
  return {
    name: s.name,
    path: s.sourcePath,
    timezone: s.schedule.timezone,
    active: r.active,
    ...(n
      ? {
          next: {
            at: n.at.toISOString(),
            profile: n.profile,
            reason: n.reason,
            ...(prewarmAt ? { prewarmAt: prewarmAt.toISOString() } : {}),
          },
        }
      : {}),
  };
}

/** What state.json says of the running cluster (for `serve bench --profile` and other readers). */
export function stateFileOf(p: {
  profile: Profile;
  schedule?: string;
  startedAt: string;
  gatewayUrl: string;
  adminSocket: string;
  controllerMetricsUrl?: string;
  modelVersion: number;
}): ClusterStateFile {
  return {
    version: 1,
    pid: process.pid,
    startedAt: p.startedAt,
    profileName: p.profile.name,
    profilePath: p.profile.sourcePath,
    ...(p.schedule ? { schedule: p.schedule } : {}),
    gatewayUrl: p.gatewayUrl,
    adminSocket: p.adminSocket,
    controllerMetricsUrl: p.controllerMetricsUrl,
    model: { name: p.profile.model.name, version: p.modelVersion },
    slo: p.profile.slo,
  };
}
