// The start of a controller that adopts (control plane): the verified gateway and replicas of the
// dead controller go straight into supervision as they run (same pids, ready, the gateway told the
// set in force), the ones not trusted are killed and replaced by fresh starts, and one event says
// which were adopted, which replaced and why, and how long it took.
import type { Clock } from '../../common/clock.js';
import type { Profile } from '../../profile/types.js';
import type { ClusterEvent } from '../events.js';
import type { LocalLauncher } from '../launchers/index.js';
import type { Supervisor } from '../replicas/index.js';
import { childList, killRejected, type Adoptee, type AdoptionPlan } from './adoption.js';
import type { GatewayLink } from './gateway-link.js';

/** The dead controller's children to adopt, and when this `serve up` began. */
export interface Adoption {
  plan: AdoptionPlan;
  /** The clock's ms at the start of this `serve up`: the adoption's time is counted from it. */
  startedAtMs: number;
}

/** Starts the gateway and the replicas; with `adoption`, adopts what it trusts and starts the rest. */
export async function startOrAdopt(
  p: Omit<AdoptParts, 'plan' | 'startedAtMs' | 'launcher'> & { adoption?: Adoption; launcher?: LocalLauncher },
): Promise<void> {
  const { adoption, launcher } = p;
  const adopted = adoption && launcher && (await adoptChildren({ ...p, ...adoption, launcher }));
  if (!adopted?.gateway) p.gateway.start();
  p.supervisor.setReplicas(adopted ? adopted.replicas : p.profile.replicas.initial);
}

export interface AdoptParts {
  plan: AdoptionPlan;
  /** When this `serve up` began (the clock's ms): the adoption's time is counted from it. */
  startedAtMs: number;
  clock: Clock;
  launcher: LocalLauncher;
  gateway: GatewayLink;
  supervisor: Supervisor;
  profile: Profile;
  emit(e: ClusterEvent): void;
}

/**
 * Adopts what `plan` trusts and kills the rest; resolves with whether the gateway was adopted and
 * the replica count to aim for (the dead controller's, within the profile's bounds).
 */
export async function adoptChildren(p: AdoptParts): Promise<{ gateway: boolean; replicas: number }> {
  const { plan, launcher, gateway, supervisor, profile } = p;
  const open = (a: Adoptee) => (onEvent: Parameters<LocalLauncher['adopt']>[0]['onEvent']) =>
    launcher.adopt({ id: a.rec.id, pid: a.rec.pid, channel: a.channel, onEvent, controlSocket: a.rec.controlSocket! });
  if (plan.gateway) {
    const g = plan.gateway;
    const listening = g.channel.hello.listening!;
    gateway.adopt({
      url: listening.url,
      port: listening.port,
      ...(g.channel.hello.servingPid === undefined ? {} : { servingPid: g.channel.hello.servingPid }),
      open: open(g),
    });
    supervisor.adopt(
      plan.replicas.map((a) => {
        const h = a.channel.hello;
        return {
          index: Number(/^replica-(\d+)$/.exec(a.rec.id)?.[1] ?? 0),
          modelVersion: a.rec.modelVersion!,
          ...(a.rec.placedOn === undefined ? {} : { host: a.rec.placedOn }),
          ...(a.rec.gpus ? { gpus: a.rec.gpus } : {}),
          url: h.listening!.url,
          port: h.listening!.port,
          ...(h.ready?.device ? { device: h.ready.device } : {}),
          ...(h.ready?.modelDigest ? { modelDigest: h.ready.modelDigest } : {}),
          open: open(a),
        };
      }),
    );
    // The gateway routes by the adopted set (and no rollout weights) before the others are killed.
    await gateway.update(supervisor.endpoints());
  }
  await killRejected(plan.rejected);
  const adopted = [...(plan.gateway ? [plan.gateway] : []), ...plan.replicas];
  const tookMs = Math.round(p.clock.nowMs() - p.startedAtMs);
  const replaced = plan.rejected.map((r) => `${r.rec.id} (pid ${r.rec.pid}): ${r.why}`).join('; ');
  p.emit({
    level: plan.rejected.length > 0 ? 'warn' : 'info',
    kind: 'adoption',
    message:
      `${adopted.length > 0 ? `adopted from the controller that died (pid ${plan.previousPid}), ` + `as they run: ${childList(adopted)}` : `adopted nothing of the controller that died (pid ${plan.previousPid})`}` +
      ` in ${tookMs} ms${replaced ? `; not trusted, replaced: ${replaced}` : ''}`,
  });
  const { min, max, initial } = profile.replicas;
  const replicas = plan.replicaCount > 0 ? Math.min(max, Math.max(min, plan.replicaCount)) : initial;
  return { gateway: plan.gateway !== undefined, replicas };
}
