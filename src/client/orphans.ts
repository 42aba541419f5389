// The data plane a dead controller left (client): its gateway and replicas keep serving when the
// controller dies (issue 26), so `serve status` asks them directly whether they serve, and `serve
// down` stops them. Only children on this machine are stopped here; one on an SSH host is looked at
// and stopped over ssh (cluster/hosts/orphan-ssh.ts, which runs the system ssh), and asked here for
// its readiness once its host said it runs (state "running"), at the URL the gateway uses. A child is trusted to be ours only while its pid has the start time
// the journal recorded (controller-death.ts); a later process with its pid is never asked or signalled.
import type { ControllerDeath, DeadControllerChild } from '../common/controller-death.js';
import { signalController, waitGone } from './detached-cluster.js';
import { groupMembers } from '../common/process.js';

/** How often the processes of a stopped child's group are looked for in /proc. */
const GROUP_CHECK_MS = 50;

/** What one child of a dead controller answered on its readiness endpoint. */
export interface OrphanAnswer {
  id: string;
  pid: number;
  url?: string;
  /**
   * ready: 200 on /v2/health/ready; not-ready: another HTTP status (still starting, draining, or the
   * gateway wants a token); no-answer: it runs but did not answer in time; exited: gone;
   * not-asked: on an SSH host not looked at (or not reached), or no address recorded.
   */
  answer: 'ready' | 'not-ready' | 'no-answer' | 'exited' | 'not-asked';
  status?: number;
}

/** The dead controller's data plane as its processes say: serving when the gateway answers ready. */
export interface DataPlaneReport {
  serving: boolean;
  children: OrphanAnswer[];
}

/** Asks every running child of `d` (local, or said to run by its SSH host) for /v2/health/ready, each within `timeoutMs`, all at once. */
export async function askDataPlane(d: ControllerDeath, timeoutMs: number): Promise<DataPlaneReport> {
  const children = await Promise.all(d.children.map((c) => ask(c, timeoutMs)));
  return { serving: dataPlaneServing(children), children };
}

/** Pure: the data plane serves when its gateway answers ready (the replicas behind it may be fewer). */
export function dataPlaneServing(children: readonly OrphanAnswer[]): boolean {
  return children.some((c) => c.id === 'gateway' && c.answer === 'ready');
}

async function ask(c: DeadControllerChild, timeoutMs: number): Promise<OrphanAnswer> {
  const base = { id: c.id, pid: c.pid, ...(c.url ? { url: c.url } : {}) };
  if (c.state === 'exited') return { ...base, answer: 'exited' };
  if (c.state !== 'running' || !c.url) return { ...base, answer: 'not-asked' };
  try {
    const res = await fetch(`${c.url}/v2/health/ready`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer().catch(() => undefined);
    return { ...base, answer: res.status === 200 ? 'ready' : 'not-ready', status: res.status };
  } catch {
    return { ...base, answer: 'no-answer' };
  }
}

/** What `stopDataPlane` did to each running local child. */
export interface StoppedChild {
  id: string;
  pid: number;
  /** It was still there after the grace period and got SIGKILL. */
  killed: boolean;
}

/**
 * Stops every running local child of a dead controller: SIGTERM to its process group (each child
 * leads its own, the gateway's holder with its serving processes), SIGKILL after `graceMs`, and
 * returns once each, and everything in its group, is gone. Children on SSH hosts are stopped there
 * over ssh (stopRemoteOrphans), not here.
 */
export async function stopDataPlane(d: ControllerDeath, graceMs: number): Promise<StoppedChild[]> {
  const running = d.children.filter((c) => c.state === 'running' && c.host === undefined && c.startTicks !== undefined);
  const signal = (pid: number, sig: NodeJS.Signals) => signalController({ pid, leader: true }, sig);
  for (const c of running) signal(c.pid, 'SIGTERM');
  return Promise.all(
    running.map(async (c) => {
      if (await groupGone(c.pid, graceMs)) return { id: c.id, pid: c.pid, killed: false };
      signal(c.pid, 'SIGKILL');
      await groupGone(c.pid, 2000);
      return { id: c.id, pid: c.pid, killed: true };
    }),
  );
}

/**
 * Resolves true once the child and every process of its group are gone (the holder can exit while
 * its serving gateway still drains), false after `ms`.
 */
async function groupGone(pgid: number, ms: number): Promise<boolean> {
  const deadlineMs = Date.now() + ms;
  if (!(await waitGone({ pid: pgid }, ms))) return false;
  while (groupMembers(pgid).length > 0) {
    if (Date.now() >= deadlineMs) return false;
    await new Promise((resolve) => setTimeout(resolve, GROUP_CHECK_MS));
  }
  return true;
}
