// The ClusterStatus a running controller reports (control plane): plain data built from its parts,
// for `serve status`, the admin API and `serve up`'s table.
import type { Profile } from '../profile/types.js';
import type { GatewayLink } from './gateway-link.js';
import type { ClusterStatus } from '../common/cluster-status.js';
import type { Supervisor } from './supervisor.js';

export interface StatusParts {
  profile: Profile;
  phase: ClusterStatus['phase'];
  modelVersion: number;
  gatewayUrl: string;
  gateway: GatewayLink;
  supervisor: Supervisor;
  stateDir: string;
  startedAt: string;
  uptimeMs: number;
  autoscalingActive: boolean;
  lastDecision: { averageInFlight: number; desiredReplicas: number } | undefined;
  controllerMetricsUrl?: string;
}

export function buildStatus(p: StatusParts): ClusterStatus {
  const { profile, gateway, supervisor } = p;
  const a = profile.autoscaling;
  return {
    phase: p.phase,
    profile: { name: profile.name, path: profile.sourcePath },
    model: { name: profile.model.name, version: p.modelVersion },
    gatewayUrl: p.gatewayUrl,
    gateway: { pid: gateway.pid, state: gateway.state, restarts: gateway.restarts, reason: gateway.failure },
    controllerPid: process.pid,
    controllerMetricsUrl: p.controllerMetricsUrl,
    stateDir: p.stateDir,
    startedAt: p.startedAt,
    uptimeMs: p.uptimeMs,
    desiredReplicas: supervisor.desired,
    autoscaling: {
      enabled: a.enabled, active: p.autoscalingActive, minReplicas: profile.replicas.min, maxReplicas: profile.replicas.max,
      targetOngoingRequests: a.targetOngoingRequests,
      averageInFlight: p.lastDecision?.averageInFlight, wantedReplicas: p.lastDecision?.desiredReplicas,
    },
    replicas: supervisor.status(),
    warnings: [...supervisor.warnings],
  };
}
