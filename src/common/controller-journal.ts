// The controller's journal (common): controller.json in the state directory says which children a
// running controller has and how far a rollout got; the controller rewrites it when that changes and
// touches it every second, so its mtime is when the controller was last known alive. A clean stop
// removes it; one left behind by a dead controller tells `serve status` and the next `serve up` what
// happened (controller-death.ts).
import { lstatIfAny, readSmallFile } from './no-follow.js';
import type { StatePaths } from './state-layout.js';

/** How often a live controller touches its journal. */
export const JOURNAL_HEARTBEAT_MS = 1000;

/** One child process of the controller. */
export interface JournalChild {
  /** "gateway" or the replica's id. */
  id: string;
  pid: number;
  /** Its start time on its host (Linux clock ticks), to tell it from a later process with its pid. */
  startTicks?: number;
  /**
   * The SSH host it runs on; absent on this machine. There `pid` and `startTicks` are the host's,
   * and `controlSocket` the path there (reached through a forward over SSH).
   */
  host?: string;
  /*
   * What a new controller needs to adopt a local child (issue 26): its control socket, where it
   * listens, and for a replica its placement and the model it runs.
   */
  /** Its control socket (`--control-socket`); absent: it cannot be adopted. */
  controlSocket?: string;
  /** The gateway's socket holder (the process started; `pid`), and the serving process it runs. */
  servingPid?: number;
  url?: string;
  port?: number;
  /** The host placement put it on (this machine's name in the profile) and its GPUs. */
  placedOn?: string;
  gpus?: number[];
  device?: string;
  modelVersion?: number;
  /** The digest of the model bytes it loaded (its ready event). */
  modelDigest?: string;
  /** A local replica's frame socket (its ready event; its hello says it again on adoption). */
  frameSocket?: string;
  /** A replica's TCP frame address on an SSH host (its ready event; its hello says it again on adoption). */
  frameAddress?: string;
}

/**
 * How to reach one SSH host again with the system ssh once the controller is gone (`serve down` and
 * `serve status` without it): the argv serve builds for a one-shot command there, nothing secret (a
 * key's path at most).
 */
export interface JournalSshHost {
  /** The destination as the profile wrote it, and what OpenSSH resolved it to. */
  destination: string;
  user: string;
  hostname: string;
  port: number;
  /** `ssh` options up to and including the destination (`--`, destination last); the command follows. */
  args: string[];
  /** ssh's connect timeout (its ConnectTimeout), to bound a whole command there. */
  connectTimeoutMs: number;
}

/** A rollout in progress, as far as it got. */
export interface JournalRollout {
  model: string;
  fromVersion: number;
  toVersion: number;
  /** The rollout's phase (see RolloutPhase): starting, stepping, completing or rolling-back. */
  phase: string;
  /** 1-based step in progress (0 while the new replicas start), of `steps`. */
  step: number;
  steps: number;
  /** The new version's share of traffic, in percent. */
  percent: number;
}

export interface ControllerJournal {
  version: 1;
  pid: number;
  startTicks?: number;
  startedAt: string;
  /** The profile (a schedule's name, when it runs one). */
  profile: string;
  children: JournalChild[];
  rollout?: JournalRollout;
  /** The model version in force. */
  modelVersion?: number;
  /** How to reach each SSH host a child runs on (absent in journals of serve before it). */
  sshHosts?: Record<string, JournalSshHost>;
  /** The cluster token the children require: a controller that adopts them needs it (the file is mode 0600). */
  token?: string;
}

/** The journal in `paths` and when it was last written or touched (epoch ms); undefined if none or unreadable. */
export function readJournal(paths: StatePaths): { journal: ControllerJournal; touchedAtMs: number } | undefined {
  const st = lstatIfAny(paths.journalFile);
  if (!st?.isFile()) return undefined;
  const text = readSmallFile(paths.journalFile, 256 * 1024);
  if (text === undefined) return undefined;
  try {
    const j = JSON.parse(text) as ControllerJournal;
    if (j?.version !== 1 || !Number.isInteger(j.pid) || j.pid <= 0 || !Array.isArray(j.children)) return undefined;
    return { journal: j, touchedAtMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}
