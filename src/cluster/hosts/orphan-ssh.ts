// The replicas a dead controller left on SSH hosts, reached with the system ssh and what its journal
// recorded of each host (control plane, hosts; issue 26): `serve status` asks whether each is alive,
// `serve down` stops them. One ssh connection per host, all hosts at once, each bounded by a timeout;
// a child is signalled only while its pid has the start time the journal recorded (orphan-script.ts).
import type { ControllerDeath, DeadControllerChild } from '../../common/controller-death.js';
import type { JournalSshHost } from '../../common/controller-journal.js';
import { lookCommand, parseOrphanLines, stopCommand, stopScriptMs, type OrphanFate } from './orphan-script.js';
import { runProcess } from './run-process.js';

/** Beyond ssh's connect timeout and the script's own time: the login and the shell there. */
const LOGIN_MS = 3000;

/** What became of one child on an SSH host; `why` when it was not looked at or its host did not answer. */
export interface RemoteChildFate {
  id: string;
  pid: number;
  host: string;
  fate: OrphanFate | 'unreachable' | 'not-tried';
  why?: string;
}

/** The children of `d` on SSH hosts that may still run, by host. Pure. */
export function remoteOrphansByHost(d: ControllerDeath): Map<string, DeadControllerChild[]> {
  const by = new Map<string, DeadControllerChild[]>();
  for (const c of d.children)
    if (c.host !== undefined && c.state !== 'exited') by.set(c.host, [...(by.get(c.host) ?? []), c]);
  return by;
}

/**
 * Pure: which children of one host can be asked (`asked`, in the order sent) and which not, with why:
 * no SSH settings in the journal (a controller of an older serve), or no start time recorded (its pid
 * could be another process's by now).
 */
export function planHost(
  host: string,
  children: readonly DeadControllerChild[],
  reach: JournalSshHost | undefined,
): { asked: DeadControllerChild[]; notTried: RemoteChildFate[] } {
  const notTried = (c: DeadControllerChild, why: string): RemoteChildFate => ({
    id: c.id,
    pid: c.pid,
    host,
    fate: 'not-tried',
    why,
  });
  if (!validReach(reach))
    return {
      asked: [],
      notTried: children.map((c) =>
        notTried(c, `the journal has no SSH settings for ${host} (its controller was an older serve)`),
      ),
    };
  const ok = (c: DeadControllerChild) => c.startTicks !== undefined && c.startTicks > 0;
  return {
    asked: children.filter(ok),
    notTried: children
      .filter((c) => !ok(c))
      .map((c) => notTried(c, 'its start time there was not recorded (its host had not said it yet)')),
  };
}

function validReach(r: JournalSshHost | undefined): r is JournalSshHost {
  return (
    r !== undefined &&
    Array.isArray(r.args) &&
    r.args.length >= 2 &&
    r.args.every((a) => typeof a === 'string') &&
    r.args.at(-2) === '--' &&
    Number.isFinite(r.connectTimeoutMs)
  );
}

/** `d` with what its SSH hosts said of their children: alive is running, gone is exited, else unknown and why. Pure. */
export function withRemoteLook(d: ControllerDeath, fates: readonly RemoteChildFate[]): ControllerDeath {
  const by = new Map(fates.map((f) => [`${f.id}/${f.pid}`, f]));
  const children = d.children.map((c): DeadControllerChild => {
    const f = by.get(`${c.id}/${c.pid}`);
    if (!f || c.host === undefined) return c;
    if (f.fate === 'alive') return { ...c, state: 'running' };
    if (f.fate === 'gone') return { ...c, state: 'exited' };
    return { ...c, state: 'unknown', unknownWhy: f.why ?? f.fate };
  });
  return { ...d, children };
}

/** "ssh -p 2222 ops@10.0.0.5 kill 4242": how to stop it by hand. Pure. */
export function handStopCommand(reach: JournalSshHost | undefined, host: string, pid: number): string {
  if (!reach) return `ssh ${host} kill ${pid}`;
  const dest = `${reach.user ? `${reach.user}@` : ''}${reach.hostname}`;
  return `ssh ${reach.port === 22 ? '' : `-p ${reach.port} `}${dest} kill ${pid}`;
}

/** Asks each SSH host whether its children of `d` are alive. Never rejects. */
export function lookAtRemoteOrphans(d: ControllerDeath): Promise<RemoteChildFate[]> {
  return eachHost(d, (asked) => ({ command: lookCommand(asked), scriptMs: 1000 }));
}

/** Stops the children of `d` on SSH hosts (SIGTERM, SIGKILL after `graceMs`). Never rejects. */
export function stopRemoteOrphans(d: ControllerDeath, graceMs: number): Promise<RemoteChildFate[]> {
  return eachHost(d, (asked) => ({ command: stopCommand(asked, graceMs), scriptMs: stopScriptMs(graceMs) }));
}

type Orphan = { pid: number; startTicks: number; socket?: string };

async function eachHost(
  d: ControllerDeath,
  script: (asked: Orphan[]) => { command: string; scriptMs: number },
): Promise<RemoteChildFate[]> {
  const hosts = [...remoteOrphansByHost(d)].map(async ([host, children]) => {
    const reach = d.sshHosts?.[host];
    const { asked, notTried } = planHost(host, children, reach);
    if (asked.length === 0) return notTried;
    const sent = asked.map((c) => ({
      pid: c.pid,
      startTicks: c.startTicks!,
      ...(c.controlSocket && /^\/\S+\.sock$/.test(c.controlSocket) ? { socket: c.controlSocket } : {}),
    }));
    const { command, scriptMs } = script(sent);
    const r = await runProcess('ssh', [...reach!.args, command], {
      timeoutMs: reach!.connectTimeoutMs + LOGIN_MS + scriptMs,
    });
    const fates = parseOrphanLines(r.stdout, asked.length);
    const why = r.timedOut
      ? `${host} did not answer within ${Math.round((reach!.connectTimeoutMs + LOGIN_MS + scriptMs) / 1000)} s`
      : r.spawnError
        ? `ssh could not be started (${r.spawnError})`
        : `${host} could not be reached: ${lastLine(r.stderr) || `ssh exited with ${r.code}`}`;
    const done = asked.map((c, i): RemoteChildFate => {
      const fate = fates[i];
      return fate ? { id: c.id, pid: c.pid, host, fate } : { id: c.id, pid: c.pid, host, fate: 'unreachable', why };
    });
    return [...done, ...notTried];
  });
  return (await Promise.all(hosts)).flat();
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.trim() ?? '';
}
