// Re-adoption (control plane shell): `serve up` on a state directory whose controller died reads its
// journal, looks at each local child (/proc, a hello over its control socket within 1 s), and keeps
// those adopt-verify.ts trusts, with their open channels; the rest it kills (process group) when they
// are certainly its own, to be replaced by fresh ones. An interrupted rollout is rolled back: only
// replicas of the version in force are adopted, and the adopted gateway gets a set without weights.
import { readJournal, type JournalChild } from '../../common/controller-journal.js';
import { fileDigest } from '../../model/model-digest.js';
import { lstatIfAny, removeEntry } from '../../common/no-follow.js';
import { isAlive, readCmdline, readProcessGroup, readStartTicks } from '../../common/process.js';
import { ownerAlive, type StatePaths } from '../../common/state-layout.js';
import { openControl, type Bridge, type ControlChannel } from '../launchers/index.js';
import { roleOf, verifyChild, type AdoptExpect, type ChildFacts } from './adopt-verify.js';

/** How long a child has to say hello over its socket. */
export const HELLO_TIMEOUT_MS = 1000;

export interface Adoptee {
  rec: JournalChild;
  channel: ControlChannel;
  /** A child on an SSH host: the forward its channel goes through. */
  bridge?: Bridge;
}

export interface AdoptionPlan {
  /** The dead controller's pid, and its cluster token (the adopted children require it). */
  previousPid: number;
  token: string;
  gateway: Adoptee | undefined;
  replicas: Adoptee[];
  /** Children not trusted: `kill` when they are certainly the dead controller's. */
  rejected: Array<{ rec: JournalChild; why: string; kill: boolean }>;
  /** Replicas of the version in force it ran: the count to keep. */
  replicaCount: number;
  /**
   * Detached children on SSH hosts, looked at once the hosts are connected (adopt-remote.ts), with
   * what is in force; `remoteVeto`: why none of them may be adopted (they are then killed).
   */
  remote: JournalChild[];
  expect: AdoptExpect;
  remoteVeto?: string;
}

/**
 * What to adopt of the dead controller in `paths`; undefined when there is none or it left no local
 * child. Children started for another profile are all rejected.
 */
export async function planAdoption(
  paths: StatePaths,
  x: Omit<AdoptExpect, 'modelDigest'> & { profile: string; onnxPath: string },
): Promise<AdoptionPlan | undefined> {
  const found = readJournal(paths);
  const j = found?.journal;
  if (!j || ownerAlive({ pid: j.pid, startTicks: j.startTicks, text: '' })) return undefined;
  const local = j.children.filter((c) => c.host === undefined);
  // Only detached ones can be reached; the others end with their SSH session.
  const remote = j.children.filter((c) => c.host !== undefined && c.controlSocket && c.startTicks !== undefined);
  if (local.length === 0 && remote.length === 0) return undefined;
  const expect = { ...x, modelDigest: await fileDigest(x.onnxPath) };
  const veto =
    j.profile !== x.profile
      ? `it runs profile ${j.profile}`
      : !j.token
        ? 'the journal has no cluster token'
        : undefined;
  const plan: AdoptionPlan = {
    previousPid: j.pid,
    token: j.token ?? '',
    gateway: undefined,
    replicas: [],
    rejected: [],
    replicaCount: [...local, ...remote].filter((c) => roleOf(c) === 'replica' && c.modelVersion === x.modelVersion)
      .length,
    remote,
    expect,
    ...(veto ? { remoteVeto: veto } : {}),
  };
  const looked = await Promise.all(local.map((c) => lookAt(c, expect)));
  for (const { rec, facts, channel } of looked) {
    let v = verifyChild(rec, facts, expect);
    if (v.adopt && j.profile !== x.profile) v = { adopt: false, why: `it runs profile ${j.profile}`, kill: true };
    if (v.adopt && !j.token) v = { adopt: false, why: 'the journal has no cluster token', kill: true };
    if (!v.adopt || !channel) {
      channel?.close();
      plan.rejected.push({ rec, why: v.adopt ? 'no channel' : v.why, kill: v.adopt || v.kill });
    } else if (roleOf(rec) === 'gateway') plan.gateway = { rec, channel };
    else plan.replicas.push({ rec, channel });
  }
  // Replicas behind a gateway that is replaced are replaced too: the new gateway starts with no set.
  if (!plan.gateway)
    for (const r of plan.replicas.splice(0)) {
      r.channel.close();
      plan.rejected.push({ rec: r.rec, why: 'the gateway is not adopted', kill: true });
    }
  // Nothing of it runs any more (a plain crash, children gone): an ordinary start.
  return plan.gateway || plan.rejected.some((r) => r.kill) || remote.length > 0 ? plan : undefined;
}

async function lookAt(
  rec: JournalChild,
  x: AdoptExpect,
): Promise<{ rec: JournalChild; facts: ChildFacts; channel?: ControlChannel }> {
  const facts: ChildFacts = {
    alive: isAlive(rec.pid),
    startTicks: readStartTicks(rec.pid),
    cmdline: readCmdline(rec.pid),
    hello: { error: 'not asked' },
  };
  // Only a process that is certainly the dead controller's child is asked.
  const pre = verifyChild(rec, facts, x);
  if (!pre.adopt && !pre.kill) return { rec, facts };
  if (rec.controlSocket === undefined) return { rec, facts };
  try {
    const channel = await openControl(rec.controlSocket, HELLO_TIMEOUT_MS);
    return { rec, facts: { ...facts, hello: channel.hello }, channel };
  } catch (err) {
    return { rec, facts: { ...facts, hello: { error: (err as Error).message } } };
  }
}

/**
 * Kills the rejected children that are the dead controller's (SIGKILL to the process group it leads)
 * and resolves once they are gone (at most `waitMs`); removes the sockets they leave behind.
 */
export async function killRejected(
  rejected: AdoptionPlan['rejected'],
  waitMs = 3000,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<void> {
  const doomed = rejected.filter((r) => r.kill);
  for (const { rec } of doomed) {
    try {
      process.kill(readProcessGroup(rec.pid) === rec.pid ? -rec.pid : rec.pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  for (let waited = 0; waited < waitMs && doomed.some((r) => isAlive(r.rec.pid)); waited += 20) await sleep(20);
  for (const { rec } of doomed)
    if (rec.controlSocket && lstatIfAny(rec.controlSocket)?.isSocket()) removeEntry(rec.controlSocket);
}

/** "gateway (pid 10), replica-1 (pid 12)" */
export function childList(list: ReadonlyArray<{ rec: JournalChild }>): string {
  return list.map((a) => `${a.rec.id} (pid ${a.rec.pid})`).join(', ');
}
