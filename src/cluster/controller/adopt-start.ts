// The start of a controller that adopts (control plane): the verified gateway and replicas of the
// dead controller go straight into supervision as they run (same pids, ready, the gateway told the
// set in force), the ones not trusted are killed and replaced by fresh starts, and one event says
// which were adopted, which replaced and why, and how long it took.
import type { Clock } from '../../common/clock.js';
import type { Profile } from '../../profile/types.js';
import type { ClusterEvent } from '../events.js';
import type { RemoteConnection } from '../hosts/index.js';
import type { HostLauncher, LaunchedProcess, LocalLauncher } from '../launchers/index.js';
import type { Supervisor } from '../replicas/index.js';
import { lookAtRemote, killRemote } from './adopt-remote.js';
import { childList, HELLO_TIMEOUT_MS, killRejected, type Adoptee, type AdoptionPlan } from './adoption.js';
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
  /** Children on SSH hosts: their connections (once up), the launcher that adopts them, the run directory here. */
  remote?: { connection(host: string): RemoteConnection | undefined; launcher: HostLauncher; runDir: string };
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
  const remoteRejected = await judgeRemote(p);
  const open =
    (a: Adoptee) =>
    (onEvent: Parameters<LocalLauncher['adopt']>[0]['onEvent']): LaunchedProcess => {
      const base = { id: a.rec.id, pid: a.rec.pid, channel: a.channel, onEvent, controlSocket: a.rec.controlSocket! };
      if (a.rec.host === undefined || !a.bridge) return launcher.adopt(base);
      const extra = { bridge: a.bridge, ...(a.rec.startTicks === undefined ? {} : { startTicks: a.rec.startTicks }) };
      // The connection was up a moment ago; should it be gone already, the child is lost at once.
      return p.remote!.launcher.adoptRemote(a.rec.host, { ...base, ...extra }) ?? lostAtOnce(a);
    };
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
          ...(h.ready?.frameSocket ? { frameSocket: h.ready.frameSocket } : {}),
          ...(h.ready?.frameAddress ? { frameAddress: h.ready.frameAddress } : {}),
          open: open(a),
        };
      }),
    );
    // The gateway routes by the adopted set (and no rollout weights) before the others are killed.
    await gateway.update(supervisor.endpoints());
  }
  await killRejected(plan.rejected);
  await Promise.all(
    remoteRejected.filter((r) => r.kill).map((r) => killRemote(r.rec, p.remote?.connection(r.rec.host!))),
  );
  plan.rejected.push(...remoteRejected);
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

/**
 * Looks at the dead controller's children on SSH hosts: the trusted ones join `plan.replicas` (only
 * behind an adopted gateway); resolves with the others, each with whether to kill it there.
 */
async function judgeRemote(p: AdoptParts): Promise<AdoptionPlan['rejected']> {
  const { plan, remote } = p;
  const rejected: AdoptionPlan['rejected'] = [];
  const veto = plan.remoteVeto ?? (plan.gateway ? undefined : 'the gateway is not adopted');
  const looks = await Promise.all(
    plan.remote.map((rec) =>
      lookAtRemote(rec, remote?.connection(rec.host!), {
        runDir: remote?.runDir ?? '',
        expect: plan.expect,
        helloTimeoutMs: HELLO_TIMEOUT_MS,
        clock: p.clock,
      }),
    ),
  );
  for (const { rec, verdict, channel, bridge } of looks) {
    if (verdict.adopt && channel && bridge && !veto) plan.replicas.push({ rec, channel, bridge });
    else {
      channel?.close();
      await bridge?.close();
      const why = verdict.adopt ? (veto ?? 'no channel') : verdict.why;
      rejected.push({ rec, why, kill: verdict.adopt || verdict.kill });
    }
  }
  return rejected;
}

/** An adoptee whose host went down between its check and its adoption. */
function lostAtOnce(a: Adoptee): LaunchedProcess {
  const info = { code: null, signal: null, lost: `its host ${a.rec.host} is not connected` };
  a.channel.close();
  void a.bridge?.close();
  return {
    pid: a.rec.pid,
    remote: true,
    exited: Promise.resolve(info),
    send() {},
    signal() {},
    stop: () => Promise.resolve(info),
  };
}
